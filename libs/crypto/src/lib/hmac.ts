import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoConfigError } from './crypto.exception';

/** Bytes, or a string taken as its UTF-8 encoding. */
export type ByteInput = string | Uint8Array;

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** Per-process key for constantTimeEqual; only ever compared against itself, so it need not persist. */
const comparisonKey = randomBytes(32);

function isByteInput(value: unknown): value is ByteInput {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function assertSecret(secret: ByteInput): void {
  if (!isByteInput(secret) || secret.length === 0) {
    throw new CryptoConfigError('HMAC secret must be a non-empty string or byte array');
  }
}

/** SHA-256 of the data, lowercase hex. */
export function sha256Hex(data: ByteInput): string {
  return createHash('sha256').update(data).digest('hex');
}

/** HMAC-SHA-256 of the data under the secret, lowercase hex. */
export function hmacSha256Hex(secret: ByteInput, data: ByteInput): string {
  assertSecret(secret);
  return createHmac('sha256', secret).update(data).digest('hex');
}

/**
 * Whether `signatureHex` is the HMAC-SHA-256 of the data (hex, either case). Anything a caller can send, a short,
 * long or non-hex signature, or a missing body, gives false; it never throws on them.
 */
export function verifyHmacSha256Hex(secret: ByteInput, data: ByteInput, signatureHex: string): boolean {
  assertSecret(secret);
  if (typeof signatureHex !== 'string' || !SHA256_HEX.test(signatureHex) || !isByteInput(data)) return false;
  const expected = createHmac('sha256', secret).update(data).digest();
  return timingSafeEqual(expected, Buffer.from(signatureHex, 'hex'));
}

/**
 * Compares two secrets (API keys, shared tokens) in time that depends on neither their content nor their
 * lengths: both are reduced to HMACs of equal size first.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  // UTF-16 code units, not UTF-8: UTF-8 maps every lone surrogate to U+FFFD, which would make unequal strings equal.
  return timingSafeEqual(comparisonDigest(a), comparisonDigest(b));
}

function comparisonDigest(value: string): Buffer {
  return createHmac('sha256', comparisonKey).update(value, 'utf16le').digest();
}

/**
 * A fixed set of accepted secrets (static API keys, service keys), checked in constant time: the presented value
 * is digested once and compared with every member's precomputed digest, with no early exit, so neither a match
 * nor its position shows in the timing. Cheaper per request than constantTimeEqual against each member.
 */
export class SecretSet {
  private readonly members: readonly { readonly secret: string; readonly digest: Buffer }[];

  constructor(secrets: Iterable<string>) {
    this.members = [...new Set(secrets)].map((secret) => ({ secret, digest: comparisonDigest(secret) }));
  }

  get size(): number {
    return this.members.length;
  }

  /** The matching member, or undefined. */
  match(presented: string): string | undefined {
    if (typeof presented !== 'string') return undefined;
    const digest = comparisonDigest(presented);
    let found: string | undefined;
    for (const member of this.members) {
      if (timingSafeEqual(digest, member.digest)) found = member.secret;
    }
    return found;
  }
}
