import type { Dispatcher } from 'undici';
import type { ProfileHints } from '../profiles/platform-profile';
import { BodyTooLargeError, classifyFailure, errorCodeOf, readBody } from '../upstream/upstream-http';
import { type PlatformToken, TOKEN_FIELDS, readTokenField, tokenExpiry } from './platform-token';
import { PlatformTokenErrorCode, PlatformTokenException } from './platform-token.exception';

/** A login response is a small JSON document; anything bigger is not one. */
const LOGIN_BODY_LIMIT = 1024 * 1024;

export interface PlatformLoginRequest {
  readonly authUrl: string;
  readonly email: string;
  readonly password: string;
  readonly hints: ProfileHints;
}

export interface PlatformLoginOptions {
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  /** Lifetime assumed for a token that is no JWT with `exp` and comes without `expires_in`. */
  readonly ttlSeconds: number;
  readonly now?: () => number;
}

const failed = (code: PlatformTokenErrorCode, detail: string) =>
  new PlatformTokenException(code, `The platform login failed: ${detail}`);

function statusFailure(status: number, hints: ProfileHints): PlatformTokenException {
  if (status === 401 || status === 403) {
    return new PlatformTokenException(
      PlatformTokenErrorCode.CREDENTIALS_REJECTED,
      `The platform rejected the login (HTTP ${status}): ${hints.credentials}`,
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    return failed(PlatformTokenErrorCode.LOGIN_UNAVAILABLE, `the login API answered HTTP ${status}`);
  }
  return failed(
    PlatformTokenErrorCode.LOGIN_REFUSED,
    `the login API answered HTTP ${status} (${hints.authUrl})`,
  );
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Some login APIs answer HTTP 200 with the real outcome in the body, as the seed's `{"statusCode": 200, ...}` shows. */
function embeddedStatus(json: unknown): number | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const status = (json as Record<string, unknown>)['statusCode'];
  return typeof status === 'number' && status >= 400 ? status : undefined;
}

/**
 * One login: `POST authUrl {email, password}`; the token is read from accessToken, access_token, token or
 * authToken (the seed's order) and its expiry from the JWT's `exp`, `expires_in` or the TTL. Throws a
 * PlatformTokenException whose code says whether a retry may help. Neither the password nor the response body
 * appears in any message.
 */
export async function loginToPlatform(
  request: PlatformLoginRequest,
  options: PlatformLoginOptions,
  signal: AbortSignal,
): Promise<PlatformToken> {
  const now = options.now ?? Date.now;
  const url = new URL(request.authUrl);
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
  let body: Buffer;
  let status: number;
  try {
    const response = await options.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: request.email, password: request.password }),
      signal: deadline,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    status = response.statusCode;
    body = await readBody(response, LOGIN_BODY_LIMIT);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw failed(
        PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID,
        `the login response is larger than ${LOGIN_BODY_LIMIT} bytes`,
      );
    }
    const detail =
      classifyFailure(error, deadline) === 'timeout'
        ? `the login API did not answer within ${options.timeoutMs / 1000} s (API_EXECUTOR_TIMEOUT)`
        : `could not reach the login API (${errorCodeOf(error)})`;
    throw failed(PlatformTokenErrorCode.LOGIN_UNAVAILABLE, detail);
  }

  if (status < 200 || status >= 300) throw statusFailure(status, request.hints);
  const json = parseJson(body);
  if (json === undefined)
    throw failed(PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID, 'the login response is not JSON');
  const embedded = embeddedStatus(json);
  if (embedded !== undefined) throw statusFailure(embedded, request.hints);
  const token = readTokenField(json);
  if (token === undefined) {
    throw failed(
      PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID,
      `the login response has none of the fields ${TOKEN_FIELDS.join(', ')}`,
    );
  }
  const obtainedAt = now();
  const expiresIn = (json as Record<string, unknown>)['expires_in'];
  const expiry = tokenExpiry(token, expiresIn, options.ttlSeconds, obtainedAt);
  if (expiry.expiresAt <= obtainedAt) {
    throw failed(
      PlatformTokenErrorCode.LOGIN_RESPONSE_INVALID,
      'the login API returned a token that has already expired (check the clocks)',
    );
  }
  return { value: token, obtainedAt, ...expiry };
}
