import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoConfigError } from './crypto.exception';
import { fromBase64Url, toBase64Url } from './encoding';
import type { ByteInput } from './hmac';

export interface CreateStateTokenOptions {
  /** What the token is for (`oauth-state`, `email-verify`); a token verifies only for the same purpose. */
  readonly purpose: string;
  /** Any JSON-serialisable object; it is signed, not encrypted, so it must hold nothing secret. */
  readonly payload: object;
  readonly ttlSeconds: number;
  readonly now?: Date;
}

export interface VerifyStateTokenOptions {
  readonly purpose: string;
  readonly now?: Date;
}

export type StateTokenRejection = 'MALFORMED' | 'BAD_SIGNATURE' | 'EXPIRED' | 'WRONG_PURPOSE';

export type VerifiedStateToken =
  | {
      readonly ok: true;
      readonly payload: Record<string, unknown>;
      readonly expiresAt: Date;
      /** Random id of this token, for callers that record used tokens to refuse a replay. */
      readonly jti: string;
    }
  | { readonly ok: false; readonly reason: StateTokenRejection };

interface StateTokenBody {
  readonly purpose: string;
  readonly exp: number;
  readonly jti: string;
  readonly payload: Record<string, unknown>;
}

const MIN_SECRET_LENGTH = 32;
const MAX_TOKEN_LENGTH = 8192;
const SIGNATURE_BYTES = 32;

function assertSecret(secret: ByteInput): void {
  const length = typeof secret === 'string' || secret instanceof Uint8Array ? secret.length : 0;
  if (length < MIN_SECRET_LENGTH) {
    throw new CryptoConfigError(
      `state token secret must be at least ${MIN_SECRET_LENGTH} characters or bytes`,
    );
  }
}

function assertPurpose(purpose: string): void {
  if (typeof purpose !== 'string' || purpose.length === 0) {
    throw new CryptoConfigError('state token purpose must be a non-empty string');
  }
}

function sign(secret: ByteInput, encodedBody: string): Buffer {
  return createHmac('sha256', secret).update(encodedBody, 'ascii').digest();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(encodedBody: Buffer): StateTokenBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(encodedBody.toString('utf8'));
  } catch {
    return undefined;
  }
  if (
    !isPlainObject(body) ||
    typeof body['purpose'] !== 'string' ||
    !Number.isSafeInteger(body['exp']) ||
    typeof body['jti'] !== 'string' ||
    !isPlainObject(body['payload'])
  ) {
    return undefined;
  }
  return body as unknown as StateTokenBody;
}

/**
 * A signed, expiring token: `base64url(JSON {purpose, exp, jti, payload}).base64url(HMAC-SHA-256)`. For OAuth
 * `state` and similar round trips through a browser. Signed, not encrypted.
 */
export function createStateToken(secret: ByteInput, options: CreateStateTokenOptions): string {
  assertSecret(secret);
  assertPurpose(options.purpose);
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new CryptoConfigError('state token ttlSeconds must be a positive whole number');
  }
  if (!isPlainObject(options.payload)) throw new TypeError('state token payload must be a plain object');
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const body: StateTokenBody = {
    purpose: options.purpose,
    exp: nowSeconds + options.ttlSeconds,
    jti: toBase64Url(randomBytes(16)),
    payload: options.payload as Record<string, unknown>,
  };
  const encodedBody = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${encodedBody}.${toBase64Url(sign(secret, encodedBody))}`;
}

/**
 * Checks a token's signature (in constant time, before its JSON is read), then its purpose, then its expiry.
 * The token expires `ttlSeconds` after creation, to the second. Never throws on the token, whatever it is.
 */
export function verifyStateToken(
  secret: ByteInput,
  token: string,
  options: VerifyStateTokenOptions,
): VerifiedStateToken {
  assertSecret(secret);
  assertPurpose(options.purpose);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'MALFORMED' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'MALFORMED' };
  const [encodedBody, encodedSignature] = parts as [string, string];
  const bodyBytes = fromBase64Url(encodedBody);
  const signature = fromBase64Url(encodedSignature);
  if (!bodyBytes || bodyBytes.length === 0 || signature?.length !== SIGNATURE_BYTES) {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (!timingSafeEqual(sign(secret, encodedBody), signature)) return { ok: false, reason: 'BAD_SIGNATURE' };

  const body = parseBody(bodyBytes);
  if (!body) return { ok: false, reason: 'MALFORMED' };
  if (body.purpose !== options.purpose) return { ok: false, reason: 'WRONG_PURPOSE' };
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (nowSeconds >= body.exp) return { ok: false, reason: 'EXPIRED' };
  return { ok: true, payload: body.payload, expiresAt: new Date(body.exp * 1000), jti: body.jti };
}

/** createStateToken / verifyStateToken bound to one secret, validated once at construction. */
export class StateTokenSigner {
  readonly #secret: ByteInput;

  constructor(secret: ByteInput) {
    assertSecret(secret);
    this.#secret = typeof secret === 'string' ? secret : Buffer.from(secret);
  }

  create(options: CreateStateTokenOptions): string {
    return createStateToken(this.#secret, options);
  }

  verify(token: string, options: VerifyStateTokenOptions): VerifiedStateToken {
    return verifyStateToken(this.#secret, token, options);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}
