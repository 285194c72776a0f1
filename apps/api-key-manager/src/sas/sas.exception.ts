export enum SasErrorCode {
  TABLE_NOT_ALLOWED = 'TABLE_NOT_ALLOWED',
  PERMISSION_NOT_ALLOWED = 'PERMISSION_NOT_ALLOWED',
  SCOPE_MISSING = 'SCOPE_MISSING',
  NOT_AVAILABLE = 'NOT_AVAILABLE',
}

export class SasException extends Error {
  constructor(
    readonly code: SasErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SasException';
  }
}
