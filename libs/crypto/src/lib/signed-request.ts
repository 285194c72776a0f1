import { CryptoConfigError } from './crypto.exception';
import { type ByteInput, hmacSha256Hex, sha256Hex, verifyHmacSha256Hex } from './hmac';

export interface RequestToSign {
  readonly method: string;
  /** The request path as sent, with its query string if the scheme signs one. */
  readonly path: string;
  /** Unix seconds, as sent in the timestamp header. */
  readonly timestamp: string | number;
  readonly nonce?: string;
  readonly product?: string;
  readonly user?: string;
  /** The raw request body, exactly as received. */
  readonly body: ByteInput;
}

export type TimestampRejection = 'stale' | 'future' | 'invalid';
export type TimestampCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: TimestampRejection };

export interface TimestampCheckOptions {
  /** Allowed clock skew, each way. */
  readonly toleranceSeconds: number;
  readonly now?: Date;
}

const UNIX_SECONDS = /^\d{1,15}$/;

/**
 * The string a client signs: `METHOD\nPATH\nTIMESTAMP\nNONCE\nPRODUCT\nUSER\nSHA256_HEX(body)`, absent fields
 * empty. Fields come from headers and the request line, which cannot hold line breaks; one that does would let
 * text move between fields under the same signature, so it is refused with a TypeError.
 */
export function canonicalRequest(request: RequestToSign): string {
  const fields = [
    request.method.toUpperCase(),
    request.path,
    String(request.timestamp),
    request.nonce ?? '',
    request.product ?? '',
    request.user ?? '',
  ];
  if (fields.some((field) => /[\r\n]/.test(field))) {
    throw new TypeError('canonicalRequest: a field contains a line break');
  }
  return [...fields, sha256Hex(request.body)].join('\n');
}

/** HMAC-SHA-256 hex of the canonical request string. */
export function signRequest(secret: ByteInput, request: RequestToSign): string {
  return hmacSha256Hex(secret, canonicalRequest(request));
}

/** Whether the signature matches the request; false (never a throw) for any malformed request or signature. */
export function verifyRequestSignature(
  secret: ByteInput,
  request: RequestToSign,
  signatureHex: string,
): boolean {
  let canonical: string;
  try {
    canonical = canonicalRequest(request);
  } catch {
    return false;
  }
  return verifyHmacSha256Hex(secret, canonical, signatureHex);
}

/**
 * Whether a request timestamp (whole Unix seconds) is within the tolerance of now, in either direction.
 * Boundaries are inclusive.
 */
export function checkTimestamp(
  timestampSeconds: string | number,
  options: TimestampCheckOptions,
): TimestampCheck {
  const { toleranceSeconds } = options;
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new CryptoConfigError('checkTimestamp: toleranceSeconds must be a non-negative number');
  }
  let seconds: number;
  if (typeof timestampSeconds === 'number') seconds = timestampSeconds;
  else if (typeof timestampSeconds === 'string' && UNIX_SECONDS.test(timestampSeconds))
    seconds = Number(timestampSeconds);
  else return { ok: false, reason: 'invalid' };
  if (!Number.isSafeInteger(seconds) || seconds < 0) return { ok: false, reason: 'invalid' };

  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (seconds < nowSeconds - toleranceSeconds) return { ok: false, reason: 'stale' };
  if (seconds > nowSeconds + toleranceSeconds) return { ok: false, reason: 'future' };
  return { ok: true };
}
