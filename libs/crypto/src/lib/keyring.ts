import {
  type KeyObject,
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
} from 'node:crypto';
import { CryptoConfigError, DecryptionError, DecryptionErrorCode } from './crypto.exception';
import { fromBase64Url, isWellFormedText, toBase64Url } from './encoding';

/** One AES-256 key: an id stored beside each ciphertext, and the key as 64 hex characters. */
export interface KeyringKey {
  readonly id: string;
  readonly key: string;
}

export interface KeyringOptions {
  /** Encrypts every new ciphertext. */
  readonly current: KeyringKey;
  /** Retired keys, kept so that older ciphertexts still decrypt until they are rewrapped. */
  readonly previous?: readonly KeyringKey[];
}

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const VERSION_LIKE = /^v\d{1,9}$/;

interface ParsedCiphertext {
  readonly keyId: string;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly data: Buffer;
}

function malformed(): DecryptionError {
  return new DecryptionError(DecryptionErrorCode.MALFORMED, 'ciphertext is malformed');
}

function parseCiphertext(ciphertext: string): ParsedCiphertext {
  if (typeof ciphertext !== 'string') throw malformed();
  const parts = ciphertext.split('.');
  if (parts.length !== 5) throw malformed();
  const [version, keyId, ivText, tagText, dataText] = parts as [string, string, string, string, string];
  if (version !== VERSION) {
    if (VERSION_LIKE.test(version)) {
      throw new DecryptionError(
        DecryptionErrorCode.UNSUPPORTED_VERSION,
        `ciphertext format ${version} is not supported (expected ${VERSION})`,
      );
    }
    throw malformed();
  }
  if (!KEY_ID.test(keyId)) throw malformed();
  const iv = fromBase64Url(ivText);
  const tag = fromBase64Url(tagText);
  const data = fromBase64Url(dataText);
  if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || data === undefined) throw malformed();
  return { keyId, iv, tag, data };
}

/**
 * The GCM additional data: the version and key id, so that neither can be edited, then the caller's associated
 * data. The key id cannot contain a dot, so the prefix ends unambiguously.
 */
function additionalData(keyId: string, associatedData: string | undefined): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${associatedData ?? ''}`, 'utf8');
}

function assertAssociatedData(associatedData: string | undefined): void {
  if (associatedData === undefined) return;
  if (typeof associatedData !== 'string' || !isWellFormedText(associatedData)) {
    throw new TypeError('associated data must be a well-formed string');
  }
}

function describeKeyFormat(hex: string): string {
  if (typeof hex !== 'string') return 'is not a string';
  if (hex.length !== 64) return `has ${hex.length} characters`;
  return 'contains characters other than 0-9 and a-f';
}

/** Validates a key given as hex and returns its bytes; the error names `label`, never the value. */
function decodeKey(hex: string, label: string, keyId?: string): Buffer {
  if (typeof hex !== 'string' || !KEY_HEX.test(hex)) {
    throw new CryptoConfigError(
      `${label} must be 64 hex characters (32 bytes, e.g. from \`openssl rand -hex 32\`); it ${describeKeyFormat(hex)}`,
      keyId,
    );
  }
  return Buffer.from(hex, 'hex');
}

/** The default id of a key: the first 8 hex characters of the SHA-256 of its 32 bytes. Not secret. */
export function keyFingerprint(keyHex: string): string {
  return fingerprintedId(keyHex, 'encryption key');
}

/** The id of the key a ciphertext was encrypted under; throws DecryptionError (MALFORMED) for anything else. */
export function keyIdOf(ciphertext: string): string {
  return parseCiphertext(ciphertext).keyId;
}

/**
 * AES-256-GCM under versioned keys. The current key encrypts; every key the ring holds decrypts. Ciphertexts
 * are `v1.<keyId>.<iv>.<tag>.<data>` and are bound to their version, key id and associated data.
 */
export class Keyring {
  readonly currentKeyId: string;
  readonly #keys = new Map<string, KeyObject>();
  readonly #currentKey: KeyObject;

  constructor(options: KeyringOptions) {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.current !== 'object' ||
      options.current === null
    ) {
      throw new CryptoConfigError('keyring: a current key is required');
    }
    const entries = [
      { label: 'current key', entry: options.current },
      ...(options.previous ?? []).map((entry, index) => ({ label: `previous key #${index + 1}`, entry })),
    ];
    for (const { label, entry } of entries) {
      const id: unknown = entry?.id;
      // An id that breaks the rules may be a key pasted into the wrong field, so it is not echoed.
      if (typeof id !== 'string' || !KEY_ID.test(id)) {
        throw new CryptoConfigError(
          `keyring: the id of the ${label} must be 1-32 characters of A-Z, a-z, 0-9, _ and -`,
        );
      }
      if (this.#keys.has(id)) throw new CryptoConfigError(`keyring: key id "${id}" is used twice`, id);
      const bytes = decodeKey(entry.key, `keyring: key "${id}"`, id);
      this.#keys.set(id, createSecretKey(bytes));
      bytes.fill(0);
    }
    this.currentKeyId = options.current.id;
    this.#currentKey = this.#keys.get(this.currentKeyId) as KeyObject;
  }

  /** Every key id the ring can decrypt, current first. */
  get keyIds(): readonly string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Encrypts under the current key with a fresh random IV. `associatedData` (a row id, a user id) is not stored
   * but must be given again to decrypt; absent and empty are the same.
   */
  encrypt(plaintext: string, associatedData?: string): string {
    if (typeof plaintext !== 'string' || !isWellFormedText(plaintext)) {
      throw new TypeError('plaintext must be a well-formed string');
    }
    assertAssociatedData(associatedData);
    const keyId = this.currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#currentKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(keyId, associatedData));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, keyId, toBase64Url(iv), toBase64Url(cipher.getAuthTag()), toBase64Url(data)].join('.');
  }

  /** Decrypts with whichever key the ciphertext names; throws DecryptionError with a code otherwise. */
  decrypt(ciphertext: string, associatedData?: string): string {
    assertAssociatedData(associatedData);
    const { keyId, iv, tag, data } = parseCiphertext(ciphertext);
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new DecryptionError(
        DecryptionErrorCode.UNKNOWN_KEY,
        `ciphertext was encrypted under key "${keyId}", which this keyring does not hold`,
        keyId,
      );
    }
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(keyId, associatedData));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
        `ciphertext under key "${keyId}" failed authentication (tampered, or other associated data)`,
        keyId,
      );
    }
  }

  /**
   * Re-encrypts a ciphertext under the current key, after decrypting (and so authenticating) it with the same
   * associated data. A ciphertext already under the current key is returned as it is, so a rotation job can
   * write back only the rows where the result differs from the input.
   */
  rewrap(ciphertext: string, associatedData?: string): string {
    const plaintext = this.decrypt(ciphertext, associatedData);
    return this.needsRewrap(ciphertext) ? this.encrypt(plaintext, associatedData) : ciphertext;
  }

  /** Whether the ciphertext is under a key other than the current one (and so due for rewrap). */
  needsRewrap(ciphertext: string): boolean {
    return keyIdOf(ciphertext) !== this.currentKeyId;
  }

  toJSON(): { currentKeyId: string; keyIds: readonly string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }
}

/**
 * A keyring from environment values: the current key as 64 hex characters (its id is its fingerprint) or as
 * `{ id, key }`, and the previous keys either as a list of hex keys (ids are fingerprints; duplicates of the
 * current key or of each other are dropped) or as a record of id to hex key.
 */
export function keyringFromHex(
  current: string | KeyringKey,
  previous: Readonly<Record<string, string>> | readonly string[] = [],
): Keyring {
  const currentKey =
    typeof current === 'string' ? { id: fingerprintedId(current, 'current key'), key: current } : current;
  if (!isKeyList(previous)) {
    const named = Object.entries(previous).map(([id, key]) => ({ id, key }));
    return new Keyring({ current: currentKey, previous: named });
  }
  // Compared by key, not by fingerprint: two different keys whose fingerprints collide must not be merged.
  const seen = new Set<string>([String(currentKey.key).toLowerCase()]);
  const fingerprinted: KeyringKey[] = [];
  previous.forEach((hex, index) => {
    const id = fingerprintedId(hex, `previous key #${index + 1}`);
    if (!seen.has(hex.toLowerCase())) fingerprinted.push({ id, key: hex });
    seen.add(hex.toLowerCase());
  });
  return new Keyring({ current: currentKey, previous: fingerprinted });
}

function isKeyList(
  previous: Readonly<Record<string, string>> | readonly string[],
): previous is readonly string[] {
  return Array.isArray(previous);
}

function fingerprintedId(hex: string, label: string): string {
  const key = decodeKey(hex, label);
  try {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  } finally {
    key.fill(0);
  }
}
