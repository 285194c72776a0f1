interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * A map with a deadline per entry and at most `maxEntries` entries: the least recently used one is dropped to make
 * room, so a flood of distinct keys costs a bounded amount of memory. Time comes from `now`, so tests can move it.
 */
export class ExpiringLruCache<V> {
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used entry first.
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `expiresAt` (epoch ms); a deadline already past stores nothing and drops what was there. */
  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (this.maxEntries <= 0 || expiresAt <= this.now()) return;
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
