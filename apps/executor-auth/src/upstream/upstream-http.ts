import type { Dispatcher } from 'undici';

/** Why a request to the login API or the platform API got no response. */
export type UpstreamFailureKind = 'timeout' | 'network';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system or undici code of a failed request (ECONNREFUSED, UND_ERR_SOCKET...), for logs and messages. */
export function errorCodeOf(error: unknown): string {
  // Duck-typed: errors from Node's internals need not be instances of this realm's Error (Jest's sandbox).
  let current: unknown = error;
  for (let depth = 0; depth < 3 && typeof current === 'object' && current !== null; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && code !== '') return code;
    current = cause;
  }
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== 'Error' ? name : 'unknown';
}

/** A timeout when our deadline fired or undici gave up waiting; anything else is a network failure. */
export function classifyFailure(error: unknown, deadline: AbortSignal): UpstreamFailureKind {
  if (deadline.aborted) return 'timeout';
  return TIMEOUT_CODES.has(errorCodeOf(error)) ? 'timeout' : 'network';
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the response body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a response body into memory, refusing (and discarding) one above `limit` bytes. */
export async function readBody(response: Dispatcher.ResponseData, limit: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    throw new BodyTooLargeError(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) {
      response.body.destroy();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
