import { jwtExpiry } from './platform-token';
import type { PlatformTokenSource, TokenStatus } from './platform-token-manager';
import { PlatformTokenErrorCode, PlatformTokenException } from './platform-token.exception';

/**
 * The seed's "before" mode: a fixed API_AUTH_TOKEN, kept for migration. Nothing can refresh it, so a 401 from the
 * platform is returned to the caller as it is; a JWT past its `exp` makes the profile not ready.
 */
export class StaticPlatformToken implements PlatformTokenSource {
  readonly mode = 'static';
  private readonly expiresAt?: number;

  constructor(
    private readonly token: string,
    private readonly hint: string,
    private readonly now: () => number = Date.now,
  ) {
    this.expiresAt = jwtExpiry(token);
  }

  start(): void {
    // Nothing to fetch.
  }

  stop(): void {
    // Nothing to cancel.
  }

  async getToken(): Promise<string> {
    if (this.expired()) throw this.expiredError();
    return this.token;
  }

  invalidate(): void {
    // A static token cannot be replaced; the caller gets the platform's 401.
  }

  async checkReadiness(): Promise<TokenStatus> {
    if (this.expired()) throw this.expiredError();
    return this.status();
  }

  status(): TokenStatus {
    const expiresAt = this.expiresAt === undefined ? null : new Date(this.expiresAt).toISOString();
    return {
      mode: this.mode,
      token_expires_at: expiresAt,
      token_expiry_source: this.expiresAt === undefined ? 'none' : 'jwt_exp',
      last_refresh_at: null,
      next_refresh_at: null,
      consecutive_failures: 0,
      last_error: this.expired() ? this.expiredError().message : null,
      login_in_flight: false,
    };
  }

  private expired(): boolean {
    return this.expiresAt !== undefined && this.now() >= this.expiresAt;
  }

  private expiredError(): PlatformTokenException {
    const at = new Date(this.expiresAt ?? 0).toISOString();
    return new PlatformTokenException(
      PlatformTokenErrorCode.STATIC_TOKEN_EXPIRED,
      `The static API_AUTH_TOKEN expired at ${at}: ${this.hint}`,
    );
  }
}
