import { DomainException } from '../common/domain.exception';

export enum IdentityProviderErrorCode {
  /** KEYCLOAK_ISSUER (or server and realm), client id or secret is not set yet. */
  PROVIDER_NOT_CONFIGURED = 'PROVIDER_NOT_CONFIGURED',
  /** Unreachable, timed out, or answered 5xx: nothing was changed, the caller may retry. */
  PROVIDER_UNAVAILABLE = 'PROVIDER_UNAVAILABLE',
  /** The provider refused this service's request (client credentials, a malformed answer, an unexpected error). */
  PROVIDER_REJECTED_REQUEST = 'PROVIDER_REJECTED_REQUEST',
  /** The refresh token or authorization code is no longer valid at the provider. */
  INVALID_GRANT = 'INVALID_GRANT',
}

export class IdentityProviderException extends DomainException<IdentityProviderErrorCode> {
  constructor(
    code: IdentityProviderErrorCode,
    message: string,
    /** The OAuth error code or failure kind, for metrics and logs. */
    readonly reason?: string,
  ) {
    super(code, message);
  }
}
