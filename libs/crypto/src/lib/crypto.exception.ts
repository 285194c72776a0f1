/**
 * A key, secret or option the crypto lib was given cannot be used. Thrown at boot or at the call that received
 * it; the message names the key id or setting, never the value.
 */
export class CryptoConfigError extends Error {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'CryptoConfigError';
  }
}

export enum DecryptionErrorCode {
  /** Not a ciphertext of this lib: wrong number of parts, bad base64url, wrong IV or tag length. */
  MALFORMED = 'MALFORMED',
  /** A ciphertext format version this lib does not read. */
  UNSUPPORTED_VERSION = 'UNSUPPORTED_VERSION',
  /** The ciphertext names a key id the keyring does not hold. */
  UNKNOWN_KEY = 'UNKNOWN_KEY',
  /** The tag did not verify: tampered, moved to other associated data, or encrypted under another key. */
  AUTHENTICATION_FAILED = 'AUTHENTICATION_FAILED',
}

/** A ciphertext could not be decrypted. The message carries no ciphertext, plaintext or key material. */
export class DecryptionError extends Error {
  constructor(
    readonly code: DecryptionErrorCode,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'DecryptionError';
  }
}
