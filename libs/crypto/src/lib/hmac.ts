import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoConfigError } from './crypto.exception';

/** Bytes, or a string taken as its UTF-8 encoding. */
export type ByteInput = string | Uint8Array;

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

const BLOCK_SIZE = 64;
const INNER_PAD = 0x36;
const OUTER_PAD = 0x5c;

function bytesOf(data: ByteInput, encoding: BufferEncoding = 'utf8'): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, encoding) : data;
}

/**
 * HMAC-SHA-256 (RFC 2104) under one key, computed as two one-shot `crypto.hash` calls over the key's precomputed
 * pads. Same bytes as `createHmac('sha256', key)`, without a native Hmac object per call: under load those objects
 * (and the garbage collection of their handles) cost several times the hashing itself, on every request that
 * checks a key.
 */
export class HmacSha256 {
  readonly #inner: Buffer;
  readonly #outer: Buffer;

  constructor(secret: ByteInput) {
    assertSecret(secret);
    const copy = Buffer.from(bytesOf(secret));
    // A key longer than the block is replaced by its digest (RFC 2104); both copies are wiped once padded.
    const key = copy.length > BLOCK_SIZE ? hash('sha256', copy, 'buffer') : copy;
    this.#inner = Buffer.alloc(BLOCK_SIZE, INNER_PAD);
    this.#outer = Buffer.alloc(BLOCK_SIZE, OUTER_PAD);
    for (let i = 0; i < key.length; i++) {
      this.#inner[i]! ^= key[i]!;
      this.#outer[i]! ^= key[i]!;
    }
    key.fill(0);
    copy.fill(0);
  }

  /** The MAC of the data (a string is taken in `encoding`, UTF-8 by default). */
  digest(data: ByteInput, encoding: BufferEncoding = 'utf8'): Buffer {
    const inner = hash('sha256', Buffer.concat([this.#inner, bytesOf(data, encoding)]), 'buffer');
    return hash('sha256', Buffer.concat([this.#outer, inner]), 'buffer');
  }

  hex(data: ByteInput): string {
    return this.digest(data).toString('hex');
  }

  toJSON(): Record<string, never> {
    return {};
  }
}

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
  return hash('sha256', data, 'hex');
}

/** HMAC-SHA-256 of the data under the secret, lowercase hex. */
export function hmacSha256Hex(secret: ByteInput, data: ByteInput): string {
  return new HmacSha256(secret).hex(data);
}

/**
 * Whether `signatureHex` is the HMAC-SHA-256 of the data (hex, either case). Anything a caller can send, a short,
 * long or non-hex signature, or a missing body, gives false; it never throws on them.
 */
export function verifyHmacSha256Hex(secret: ByteInput, data: ByteInput, signatureHex: string): boolean {
  return verifyHmacHex(new HmacSha256(secret), data, signatureHex);
}

/** verifyHmacSha256Hex with a key whose pads are already computed. */
export function verifyHmacHex(mac: HmacSha256, data: ByteInput, signatureHex: string): boolean {
  if (typeof signatureHex !== 'string' || !SHA256_HEX.test(signatureHex) || !isByteInput(data)) return false;
  return timingSafeEqual(mac.digest(data), Buffer.from(signatureHex, 'hex'));
}

/**
 * Compares two secrets (API keys, shared tokens) in time that depends on neither their content nor their
 * lengths: both are reduced to keyed SHA-256 digests of equal size first.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  // UTF-16 code units, not UTF-8: UTF-8 maps every lone surrogate to U+FFFD, which would make unequal strings equal.
  return timingSafeEqual(comparisonDigest(a), comparisonDigest(b));
}

/**
 * SHA-256 over the per-process key and the value: equal-length digests to compare, one hash per call. Never
 * revealed, so no MAC construction is needed (length extension gives nothing to anyone who cannot see a digest).
 */
function comparisonDigest(value: string): Buffer {
  return hash('sha256', Buffer.concat([comparisonKey, Buffer.from(value, 'utf16le')]), 'buffer');
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
