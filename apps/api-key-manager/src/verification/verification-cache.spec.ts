import { VerificationCache } from './verification-cache';

function clock() {
  let now = 1000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('VerificationCache', () => {
  it('answers from the cache within the TTL and loads again after it', async () => {
    const time = clock();
    const cache = new VerificationCache<string>(2000, 10, time.now);
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.lookup('h', load)).toEqual({ value: 'v1', hit: false });
    time.advance(1999);
    expect(cache.lookup('h', load)).toEqual({ value: 'v1', hit: true });
    time.advance(1);
    expect(await cache.lookup('h', load)).toEqual({ value: 'v2', hit: false });
  });

  it('gives 100 concurrent misses one shared load', async () => {
    const cache = new VerificationCache<string>(2000, 10);
    let loads = 0;
    const load = () => new Promise<string>((resolve) => setTimeout(() => resolve(`v${++loads}`), 10));
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.lookup('h', load)));
    expect(loads).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set(['v1']));
  });

  it('does not cache a failed load', async () => {
    const cache = new VerificationCache<string>(2000, 10);
    await expect(cache.lookup('h', () => Promise.reject(new Error('storage down')))).rejects.toThrow('storage down');
    expect(await cache.lookup('h', async () => 'v')).toEqual({ value: 'v', hit: false });
  });

  it('forgets a hash at once', async () => {
    const cache = new VerificationCache<string>(2000, 10);
    await cache.lookup('h', async () => 'old');
    cache.forget('h');
    expect(await cache.lookup('h', async () => 'new')).toEqual({ value: 'new', hit: false });
  });

  it('evicts the oldest entries past its bound', async () => {
    const cache = new VerificationCache<string>(60_000, 2);
    for (const hash of ['a', 'b', 'c']) await cache.lookup(hash, async () => hash);
    expect(cache.size).toBe(2);
    expect(await cache.lookup('a', async () => 'reloaded')).toEqual({ value: 'reloaded', hit: false });
    expect(cache.lookup('c', async () => 'x')).toEqual({ value: 'c', hit: true });
  });

  it('with a TTL of 0 loads every time', async () => {
    const cache = new VerificationCache<number>(0, 10);
    let loads = 0;
    await cache.lookup('h', async () => ++loads);
    await cache.lookup('h', async () => ++loads);
    expect(loads).toBe(2);
  });
});

describe('VerificationCache refresh-ahead', () => {
  it('reloads a hot entry in the background from half its TTL, answering from the cache meanwhile', async () => {
    const time = clock();
    const cache = new VerificationCache<string>(2000, 10, time.now);
    let loads = 0;
    let release: (value: string) => void = () => undefined;
    await cache.lookup('h', async () => `v${++loads}`);
    time.advance(1000);
    const slow = () => new Promise<string>((resolve) => (release = resolve));
    expect(cache.lookup('h', slow)).toEqual({ value: 'v1', hit: true });
    expect(cache.lookup('h', slow)).toEqual({ value: 'v1', hit: true });
    release('v2');
    await new Promise((resolve) => setImmediate(resolve));
    time.advance(1500);
    expect(cache.lookup('h', slow)).toEqual({ value: 'v2', hit: true });
  });

  it('never caches a load that was under way when the hash was forgotten', async () => {
    const cache = new VerificationCache<string>(2000, 10);
    let release: (value: string) => void = () => undefined;
    const pending = cache.lookup('h', () => new Promise<string>((resolve) => (release = resolve)));
    cache.forget('h');
    release('before the revocation');
    await pending;
    expect(await cache.lookup('h', async () => 'after')).toEqual({ value: 'after', hit: false });
  });
});
