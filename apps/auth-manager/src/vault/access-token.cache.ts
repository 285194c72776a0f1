export interface MintedAccessToken {
  readonly accessToken: string;
  /** Epoch ms at which the provider said the token expires. */
  readonly expiresAt: number;
  readonly scope: string;
}

/** Where an access token came from: this process's memory, the vault row (minted earlier, maybe elsewhere), or a refresh. */
export type MintSource = 'memory' | 'vault' | 'refresh';

export interface MintResult {
  readonly token: MintedAccessToken;
  readonly source: MintSource;
}

interface Entry {
  readonly token: MintedAccessToken;
  readonly checkedAt: number;
}

/**
 * The in-process layer in front of the vault. It serves an access token while it has at least `minValidityMs`
 * left and was confirmed against the vault within `recheckMs` (so a token deleted or revoked through another
 * replica stops being served within that time); concurrent misses for one token id share one load, so a process
 * makes at most one trip to the vault, and at most one refresh, per token at a time.
 */
export class AccessTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<MintResult>>();
  /** Bumped by forget(): a load that started before a delete must not put the token back. */
  private readonly epochs = new Map<string, number>();

  constructor(
    private readonly minValidityMs: number,
    private readonly recheckMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string, load: () => Promise<MintResult>): Promise<MintResult> {
    const entry = this.entries.get(id);
    if (entry) {
      const now = this.now();
      if (entry.token.expiresAt - this.minValidityMs > now && now - entry.checkedAt < this.recheckMs) {
        return Promise.resolve({ token: entry.token, source: 'memory' });
      }
    }
    let pending = this.inFlight.get(id);
    if (!pending) {
      const epoch = this.epochs.get(id) ?? 0;
      pending = load()
        .then((result) => {
          if ((this.epochs.get(id) ?? 0) === epoch) this.remember(id, result.token);
          return result;
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
  }

  private remember(id: string, token: MintedAccessToken): void {
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { token, checkedAt: this.now() });
  }
}
