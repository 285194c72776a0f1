export enum KeyErrorCode {
  NOT_CONFIGURED = 'NOT_CONFIGURED',
  KEY_NOT_FOUND = 'KEY_NOT_FOUND',
  ALREADY_REVOKED = 'ALREADY_REVOKED',
  ALREADY_ROTATED = 'ALREADY_ROTATED',
  KEY_EXPIRED = 'KEY_EXPIRED',
  CONCURRENT_CHANGE = 'CONCURRENT_CHANGE',
  INVALID_CONTINUATION_TOKEN = 'INVALID_CONTINUATION_TOKEN',
}

/** A key lifecycle error; the message is for the client and never holds a key or a hash. */
export class KeyException extends Error {
  constructor(
    readonly code: KeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyException';
  }
}
