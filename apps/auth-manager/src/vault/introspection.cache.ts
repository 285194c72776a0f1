import { hash } from 'node:crypto';

export interface CachedVerdict<T> {
  readonly verdict: T;
  readonly cacheHit: boolean;
}

interface Entry<T> {
  readonly verdict: T;
  readonly until: number;
}

/**
 * Introspection answers by token, keyed by the token's SHA-256 so that no token is kept as a key. Each answer
 * says itself how long it may be reused (`ttlMs`); concurrent questions about one token share one call.
 */
export class IntrospectionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    private readonly ttlMs: (verdict: T, now: number) => number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(token: string, introspect: () => Promise<T>): Promise<CachedVerdict<T>> {
    const key = hash('sha256', token, 'base64url');
    const entry = this.entries.get(key);
    if (entry && entry.until > this.now()) return { verdict: entry.verdict, cacheHit: true };
    if (entry) this.entries.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = introspect()
        .then((verdict) => {
          const now = this.now();
          const ttl = this.ttlMs(verdict, now);
          if (ttl > 0) this.remember(key, { verdict, until: now + ttl });
          return verdict;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return { verdict: await pending, cacheHit: false };
  }

  private remember(key: string, entry: Entry<T>): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }
}
