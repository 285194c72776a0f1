import { DomainException } from '../common/domain.exception';

export enum SessionErrorCode {
  /** Neither the vault nor (with admin credentials) the provider knows the session. */
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
}

export class SessionException extends DomainException<SessionErrorCode> {}
