import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's `x-request-id` when it is a sane token, else a fresh UUID. Stored on the raw request as `id`, where
 * pino-http looks for it, so Fastify and the logger agree on one id.
 */
export function assignRequestId(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
  req.id = id;
  return id;
}
