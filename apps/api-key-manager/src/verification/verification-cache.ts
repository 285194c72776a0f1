interface Entry<T> {
  readonly value: T;
  /** Past this, the next lookup reloads in the background and still answers from this entry. */
  readonly refreshAt: number;
  /** Past this, the entry is never used: the bound on how stale an answer can be. */
  readonly expiresAt: number;
}

export interface CacheLookup<T> {
  readonly value: T;
  /** True when no load was needed for this lookup. */
  readonly hit: boolean;
}

/**
 * Verification results by key hash for a few seconds, so a hot key costs no storage call; the TTL bounds how long
 * a revocation made on another replica can go unseen. A hot entry is reloaded in the background from half its
 * TTL on, so its callers never wait for storage; concurrent misses for one hash share one load. Bounded: past
 * `maxEntries` the oldest entries go first. A TTL of 0 turns caching (and load sharing) off.
 */
export class VerificationCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<T>>();
  private epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached value, or a load (shared with concurrent callers) that is cached when it succeeds. */
  lookup(hash: string, load: () => Promise<T>): CacheLookup<T> | Promise<CacheLookup<T>> {
    if (this.ttlMs === 0) return load().then((value) => ({ value, hit: false }));
    const entry = this.entries.get(hash);
    if (entry !== undefined) {
      const now = this.now();
      if (entry.expiresAt > now) {
        if (entry.refreshAt <= now && !this.loading.has(hash)) void this.load(hash, load).catch(() => undefined);
        return { value: entry.value, hit: true };
      }
    }
    return this.load(hash, load).then((value) => ({ value, hit: false }));
  }

  /** Drops a hash at once (a revocation or rotation made by this replica). */
  forget(hash: string): void {
    this.entries.delete(hash);
    this.loading.delete(hash);
    // A load that started before the change may carry the old record: it must not be cached.
    this.epoch += 1;
  }

  private load(hash: string, load: () => Promise<T>): Promise<T> {
    const existing = this.loading.get(hash);
    if (existing) return existing;
    const epoch = this.epoch;
    const pending: Promise<T> = load()
      .then((value) => {
        if (epoch === this.epoch) this.store(hash, value);
        return value;
      })
      .finally(() => {
        if (this.loading.get(hash) === pending) this.loading.delete(hash);
      });
    this.loading.set(hash, pending);
    return pending;
  }

  private store(hash: string, value: T): void {
    this.entries.delete(hash);
    const now = this.now();
    this.entries.set(hash, { value, refreshAt: now + this.ttlMs / 2, expiresAt: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
