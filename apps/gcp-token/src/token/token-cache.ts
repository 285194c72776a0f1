export interface AccessToken {
  readonly accessToken: string;
  /** Epoch ms at which Google says the token expires. */
  readonly expiresAt: number;
}

export interface CachedToken extends AccessToken {
  /** True when no call to Google was made for this request. */
  readonly cacheHit: boolean;
}

/**
 * One token per key (service account + scopes + target). A token is served until `marginMs` before it expires;
 * from then on the next callers wait for one refresh, however many they are. If that refresh fails while the old
 * token is still valid, the old token is served rather than an error.
 */
export class TokenCache {
  private readonly tokens = new Map<string, AccessToken>();
  private readonly inFlight = new Map<string, Promise<AccessToken>>();

  constructor(
    private readonly marginMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, fetchToken: () => Promise<AccessToken>): Promise<CachedToken> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - this.marginMs > this.now()) return { ...cached, cacheHit: true };
    try {
      return { ...(await this.refresh(key, fetchToken)), cacheHit: false };
    } catch (error) {
      const stillValid = this.tokens.get(key);
      if (stillValid && stillValid.expiresAt > this.now()) return { ...stillValid, cacheHit: true };
      throw error;
    }
  }

  private refresh(key: string, fetchToken: () => Promise<AccessToken>): Promise<AccessToken> {
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = fetchToken()
        .then((token) => {
          this.tokens.set(key, token);
          return token;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
