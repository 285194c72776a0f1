import { DomainException } from '../common/domain.exception';

export enum OfflineErrorCode {
  STATE_SECRET_NOT_CONFIGURED = 'STATE_SECRET_NOT_CONFIGURED',
  /** The callback's state is malformed, tampered with, expired, or was used already. */
  INVALID_STATE = 'INVALID_STATE',
  /** The provider redirected back with an error (the user denied consent, ...). */
  AUTHORIZATION_DENIED = 'AUTHORIZATION_DENIED',
  /** The user signed in as someone else than the user the link was made for. */
  SUBJECT_MISMATCH = 'SUBJECT_MISMATCH',
  /** The provider issued no offline token (offline_access not granted). */
  OFFLINE_ACCESS_NOT_GRANTED = 'OFFLINE_ACCESS_NOT_GRANTED',
}

export class OfflineException extends DomainException<OfflineErrorCode> {}
