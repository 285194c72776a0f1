import { encodeBase62Fixed, randomBase62 } from './base62';
import { crc32 } from './crc32';
import { CryptoConfigError } from './crypto.exception';
import { HmacSha256, hmacSha256Hex, verifyHmacHex } from './hmac';

export type ApiKeyEnvironment = 'test' | 'live';

export interface GenerateApiKeyOptions {
  /** Lowercase `[a-z][a-z0-9]{1,15}`; default `permas`. */
  readonly prefix?: string;
  readonly environment: ApiKeyEnvironment;
  /** Random base62 characters, 32 to 128; default 32 (about 190 bits). */
  readonly randomLength?: number;
}

export interface GeneratedApiKey {
  /** The plaintext key: show it to its owner once, store only `hashApiKey(key, pepper)`. */
  readonly key: string;
  readonly prefix: string;
  readonly environment: ApiKeyEnvironment;
  /** Non-secret, for lists and logs: `permas_live_4eC3…`. */
  readonly displayPrefix: string;
}

export type ApiKeyRejection = 'FORMAT' | 'CHECKSUM' | 'PREFIX';

export type ParsedApiKey =
  | {
      readonly ok: true;
      readonly prefix: string;
      readonly environment: ApiKeyEnvironment;
      readonly displayPrefix: string;
    }
  | { readonly ok: false; readonly reason: ApiKeyRejection };

const DEFAULT_PREFIX = 'permas';
const DEFAULT_RANDOM_LENGTH = 32;
const MIN_RANDOM_LENGTH = 32;
const MAX_RANDOM_LENGTH = 128;
const CHECKSUM_LENGTH = 6;
const DISPLAY_RANDOM_CHARS = 4;
const MIN_PEPPER_LENGTH = 32;
const PREFIX = /^[a-z][a-z0-9]{1,15}$/;
const API_KEY = new RegExp(
  `^([a-z][a-z0-9]{1,15})_(test|live)_([0-9A-Za-z]{${MIN_RANDOM_LENGTH + CHECKSUM_LENGTH},${MAX_RANDOM_LENGTH + CHECKSUM_LENGTH}})$`,
);
const MAX_KEY_LENGTH = 16 + '_live_'.length + MAX_RANDOM_LENGTH + CHECKSUM_LENGTH;

function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new CryptoConfigError(
      'API key prefix must be 2-16 characters: a lowercase letter, then lowercase letters or digits',
    );
  }
}

function assertPepper(pepper: string): void {
  if (typeof pepper !== 'string' || pepper.length < MIN_PEPPER_LENGTH) {
    throw new CryptoConfigError(`API key pepper must be at least ${MIN_PEPPER_LENGTH} characters`);
  }
}

function checksumOf(body: string): string {
  return encodeBase62Fixed(crc32(Buffer.from(body, 'ascii')), CHECKSUM_LENGTH);
}

function display(prefix: string, environment: string, random: string): string {
  return `${prefix}_${environment}_${random.slice(0, DISPLAY_RANDOM_CHARS)}…`;
}

/**
 * A new key `<prefix>_<env>_<random><checksum>`: random base62 from the CSPRNG, then 6 base62 characters of the
 * CRC-32 of everything before them, so a mistyped key is refused without a lookup.
 */
export function generateApiKey(options: GenerateApiKeyOptions): GeneratedApiKey {
  const { prefix = DEFAULT_PREFIX, environment, randomLength = DEFAULT_RANDOM_LENGTH } = options;
  assertPrefix(prefix);
  if (environment !== 'test' && environment !== 'live') {
    throw new CryptoConfigError('API key environment must be test or live');
  }
  if (
    !Number.isInteger(randomLength) ||
    randomLength < MIN_RANDOM_LENGTH ||
    randomLength > MAX_RANDOM_LENGTH
  ) {
    throw new CryptoConfigError(
      `API key randomLength must be a whole number from ${MIN_RANDOM_LENGTH} to ${MAX_RANDOM_LENGTH}`,
    );
  }
  const random = randomBase62(randomLength);
  const body = `${prefix}_${environment}_${random}`;
  return {
    key: body + checksumOf(body),
    prefix,
    environment,
    displayPrefix: display(prefix, environment, random),
  };
}

/**
 * Checks a presented key offline: its shape, its checksum, then its prefix (default `permas`). Never throws,
 * whatever it is given; the result never contains the key.
 */
export function parseApiKey(key: string, options: { readonly prefix?: string } = {}): ParsedApiKey {
  const expectedPrefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof key !== 'string' || key.length > MAX_KEY_LENGTH) return { ok: false, reason: 'FORMAT' };
  const match = API_KEY.exec(key);
  if (!match) return { ok: false, reason: 'FORMAT' };
  const [, prefix, environment, tail] = match;
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  if (checksumOf(body) !== key.slice(-CHECKSUM_LENGTH)) return { ok: false, reason: 'CHECKSUM' };
  if (prefix !== expectedPrefix) return { ok: false, reason: 'PREFIX' };
  return {
    ok: true,
    prefix,
    environment: environment as ApiKeyEnvironment,
    displayPrefix: display(prefix, environment, tail),
  };
}

/**
 * The value to store for a key: HMAC-SHA-256 hex under a server-side pepper, so a leaked table cannot be checked
 * against guesses without the pepper as well.
 */
export function hashApiKey(key: string, pepper: string): string {
  assertPepper(pepper);
  return hmacSha256Hex(pepper, key);
}

/** `permas_live_4eC3…`: prefix, environment and the first 4 random characters. Throws TypeError for a non-key. */
export function displayPrefix(key: string): string {
  const match = typeof key === 'string' ? API_KEY.exec(key) : null;
  if (!match) throw new TypeError('displayPrefix: not an API key');
  return display(match[1], match[2], match[3]);
}

/** hashApiKey and its constant-time check, bound to one pepper (validated once, at construction). */
export class ApiKeyHasher {
  readonly #mac: HmacSha256;

  constructor(pepper: string) {
    assertPepper(pepper);
    this.#mac = new HmacSha256(pepper);
  }

  hash(key: string): string {
    return this.#mac.hex(key);
  }

  /** Whether the key hashes to the stored value; false for anything malformed. */
  matches(key: string, storedHash: string): boolean {
    return typeof key === 'string' && verifyHmacHex(this.#mac, key, storedHash);
  }

  toJSON(): Record<string, never> {
    return {};
  }
}
