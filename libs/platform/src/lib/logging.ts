import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import { type DestinationStream, type LevelWithSilent, pino } from 'pino';
import type { Params } from 'nestjs-pino';
import type { Options } from 'pino-http';

const CENSOR = '[REDACTED]';

/** Field names that hold credentials wherever they appear in a logged object. */
const SENSITIVE_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apiKey',
  'key',
  'private_key',
  'privateKey',
];

const SENSITIVE_QUERY = /token|key|secret|password|passwd|signature|sig|code|state|auth|assertion/i;

/** Headers worth logging; everything else (Authorization, Cookie, X-API-Key, ...) is left out. */
const LOGGED_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-forwarded-for'];

export function sanitizeUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  const [path, query] = url.split('?', 2) as [string, string];
  const params = new URLSearchParams(query);
  for (const name of [...new Set(params.keys())]) {
    if (SENSITIVE_QUERY.test(name)) params.set(name, CENSOR);
  }
  return `${path}?${params.toString()}`;
}

const PROBE_PATHS = new Set(['/health/live', '/health/ready', '/liveness', '/readiness', '/healthz', '/metrics']);

export interface LoggingOptions {
  readonly app: string;
  readonly level: LevelWithSilent;
  readonly destination?: DestinationStream;
}

/** nestjs-pino options shared by every app: JSON lines, request ids, quiet probes, credentials redacted. */
export function loggerParams(options: LoggingOptions): Params {
  const pinoHttpOptions: Options = {
    level: options.level,
    base: { app: options.app },
    messageKey: 'msg',
    redact: {
      paths: SENSITIVE_FIELDS.flatMap((field) => [field, `*.${field}`]),
      censor: CENSOR,
    },
    // The id comes from assignRequestId, which Fastify's genReqId already ran on this raw request.
    genReqId: (req: IncomingMessage) => req.id ?? 'unknown',
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    // Middleware sees a path-stripped req.url; originalUrl is what the client asked for.
    autoLogging: {
      ignore: (req: IncomingMessage & { originalUrl?: string }) => PROBE_PATHS.has((req.originalUrl ?? req.url ?? '').split('?')[0] ?? ''),
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => {
        const headers: Record<string, unknown> = {};
        for (const name of LOGGED_HEADERS) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
        return { id: req.id, method: req.method, url: sanitizeUrl(req.url), remoteAddress: req.remoteAddress, headers };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
  return {
    // Asynchronous writes: a synchronous write(2) per line was the largest cost of a small request.
    pinoHttp: [pinoHttpOptions, options.destination ?? pino.destination({ dest: 1, sync: false })],
    renameContext: 'context',
    // nestjs-pino's default route pattern, `{/*splat}`, matches nothing on Nest 12's Fastify adapter.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}
