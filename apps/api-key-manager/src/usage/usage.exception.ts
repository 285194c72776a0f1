export enum UsageErrorCode {
  KEY_NOT_FOUND = 'KEY_NOT_FOUND',
  BUFFER_FULL = 'BUFFER_FULL',
  ALREADY_EXPORTED = 'ALREADY_EXPORTED',
  INVALID_DATE = 'INVALID_DATE',
}

export class UsageException extends Error {
  constructor(
    readonly code: UsageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UsageException';
  }
}
