import { ExecuteErrorCode, ExecuteException } from './execute.exception';

/** Hop-by-hop headers (RFC 9110 section 7.6.1): they describe one connection, never the message. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * Never sent on the caller's behalf: the credentials are ours to set, Host is the platform's, the length is
 * computed from the body, and the body must come back uncompressed to be returned as JSON or text.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'proxy-authorization',
  'host',
  'content-length',
  'expect',
  'accept-encoding',
]);

/** Never returned: credentials and challenges of the platform, and lengths that no longer match the re-encoded body. */
const DROPPED_RESPONSE_HEADERS = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'set-cookie',
  'content-length',
]);

export interface ForwardedHeaders {
  readonly headers: Record<string, string>;
  /** Names the caller sent that were dropped, for the access log. */
  readonly dropped: readonly string[];
}

/** The caller's headers for the platform, names lower-cased, without the ones we must set or must not pass on. */
export function forwardedRequestHeaders(
  given: Readonly<Record<string, string>> | undefined,
): ForwardedHeaders {
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  const seen = new Set<string>();
  for (const [rawName, value] of Object.entries(given ?? {})) {
    const name = rawName.toLowerCase();
    if (seen.has(name))
      throw new ExecuteException(
        ExecuteErrorCode.INVALID_REQUEST,
        `headers has "${name}" more than once (names are case-insensitive)`,
      );
    seen.add(name);
    if (DROPPED_REQUEST_HEADERS.has(name)) dropped.push(name);
    else headers[name] = value;
  }
  return { headers, dropped };
}

/** The platform's response headers as returned to the caller. */
export function returnedResponseHeaders(
  given: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const connection = given['connection'];
  const listed = new Set(
    (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name) || listed.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}
