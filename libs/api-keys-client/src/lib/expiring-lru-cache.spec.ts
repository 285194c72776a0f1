import { ExpiringLruCache } from './expiring-lru-cache';

function cacheOf(maxEntries: number) {
  let now = 1_000;
  const cache = new ExpiringLruCache<string>(maxEntries, () => now);
  return { cache, advance: (ms: number) => (now += ms), now: () => now };
}

describe('ExpiringLruCache', () => {
  it('answers until the deadline and not at or after it', () => {
    const { cache, advance, now } = cacheOf(10);
    cache.set('a', 'A', now() + 100);
    advance(99);
    expect(cache.get('a')).toBe('A');
    advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stores nothing for a deadline already past, and drops the value it replaces', () => {
    const { cache, now } = cacheOf(10);
    cache.set('a', 'A', now() + 100);
    cache.set('a', 'stale', now());
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never holds more than maxEntries, dropping the least recently used first', () => {
    const { cache, now } = cacheOf(3);
    for (const key of ['a', 'b', 'c']) cache.set(key, key.toUpperCase(), now() + 1000);
    expect(cache.get('a')).toBe('A');
    cache.set('d', 'D', now() + 1000);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual(['A', 'C', 'D']);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const { cache, now } = cacheOf(100);
    for (let i = 0; i < 10_000; i++) cache.set(`key-${i}`, 'v', now() + 1000);
    expect(cache.size).toBe(100);
    expect(cache.get('key-9999')).toBe('v');
    expect(cache.get('key-0')).toBeUndefined();
  });

  it('caches nothing with maxEntries 0', () => {
    const { cache, now } = cacheOf(0);
    cache.set('a', 'A', now() + 1000);
    expect(cache.get('a')).toBeUndefined();
  });
});
