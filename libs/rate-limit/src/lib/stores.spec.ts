import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { utcOffsetMs, localDay } from './clock';
import { DailyQuota, FixedWindow, TokenBucket } from './limiters';
import { MemoryStore } from './memory.store';
import { createLimiterRedisClient } from './redis-client';
import { RedisStore } from './redis.store';
import type { RateLimitStore } from './types';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `rl-spec-${randomUUID()}`;
const clients: Redis[] = [];

function redisReplica(): RedisStore {
  const client = createLimiterRedisClient(REDIS_URL, { commandTimeoutMs: 2000 });
  clients.push(client);
  return new RedisStore(client, prefix);
}

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await new Promise((resolve, reject) => client.once('ready', resolve).once('error', reject));
}

afterAll(async () => {
  const [first] = clients;
  if (first) {
    const keys = await first.keys(`${prefix}:*`);
    if (keys.length) await first.del(...keys);
  }
  await Promise.all(clients.map((client) => client.quit()));
});

const stores: [string, () => RateLimitStore][] = [
  ['redis', redisReplica],
  ['memory', () => new MemoryStore()],
];

describe.each(stores)('%s store', (_kind, makeStore) => {
  let store: RateLimitStore;
  beforeAll(async () => {
    store = makeStore();
    if (store instanceof RedisStore) await ready(store.client);
  });
  const unique = () => randomUUID();

  it('token bucket: allows a burst of `capacity`, then refuses with a retry time from the refill rate', async () => {
    const bucket = new TokenBucket(store, 'burst', { capacity: 3, refillPerSecond: 10 });
    const key = unique();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await bucket.consume(key));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[2]).toMatchObject({ limit: 3, remaining: 0 });
    expect(decisions[3]!.retryAfterMs).toBeGreaterThan(0);
    expect(decisions[3]!.retryAfterMs).toBeLessThanOrEqual(100);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await bucket.consume(key)).allowed).toBe(true);
  });

  it('token bucket: a cost larger than the capacity can never succeed', async () => {
    const bucket = new TokenBucket(store, 'huge', { capacity: 2, refillPerSecond: 1 });
    const decision = await bucket.consume(unique(), 3);
    expect(decision.allowed).toBe(false);
    expect(decision.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('fixed window: allows `limit` per window, counts refused hits, and resets after the window', async () => {
    const window = new FixedWindow(store, 'window', { limit: 2, windowMs: 200 });
    const key = unique();
    const [a, b, c] = [await window.consume(key), await window.consume(key), await window.consume(key)];
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    expect(c).toMatchObject({ hits: 3, remaining: 0, limit: 2 });
    expect(c.retryAfterMs).toBeGreaterThan(0);
    expect(c.retryAfterMs).toBeLessThanOrEqual(200);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await window.consume(key)).toMatchObject({ allowed: true, hits: 1 });
  });

  it('fixed window: a block duration outlasts the window', async () => {
    const window = new FixedWindow(store, 'blocking', { limit: 1, windowMs: 100, blockMs: 400 });
    const key = unique();
    await window.consume(key);
    expect((await window.consume(key)).retryAfterMs).toBeGreaterThan(300);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await window.consume(key)).allowed).toBe(false);
  });

  it('daily quota: reserves all or nothing and refunds what was not used', async () => {
    const quota = new DailyQuota(store, 'tokens', { limit: 1000 });
    const key = unique();
    const big = await quota.reserve(key, 800);
    expect(big).toMatchObject({ allowed: true, remaining: 200 });
    expect((await quota.reserve(key, 300)).allowed).toBe(false);
    await quota.refund(key, big, 500);
    expect(await quota.reserve(key, 300)).toMatchObject({ allowed: true, remaining: 400 });
  });

  it('daily quota: a refund never takes usage below zero', async () => {
    const quota = new DailyQuota(store, 'floor', { limit: 10 });
    const key = unique();
    const reservation = await quota.reserve(key, 2);
    await quota.refund(key, reservation);
    await quota.refund(key, reservation);
    expect(await quota.reserve(key, 10)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('daily quota: resets at midnight in the configured time zone', async () => {
    const quota = new DailyQuota(store, 'tz', { limit: 5, timeZone: 'Asia/Tokyo' });
    const decision = await quota.reserve(unique());
    const now = Date.now();
    const expected = localDay(now, utcOffsetMs('Asia/Tokyo', now));
    expect(decision.day).toBe(expected.day);
    expect(Math.abs(decision.resetAfterMs - expected.msUntilMidnight)).toBeLessThan(5000);
  });
});

describe('limiters', () => {
  it('refuse invalid configuration with the limiter named', () => {
    const store = new MemoryStore();
    expect(() => new TokenBucket(store, 'qps', { capacity: 0, refillPerSecond: 1 })).toThrow('rate limiter "qps": capacity must be a positive number');
    expect(() => new FixedWindow(store, 'sas', { limit: 1.5, windowMs: 1000 })).toThrow('limit must be a positive integer');
    expect(() => new DailyQuota(store, 'daily', { limit: 10, timeZone: 'Mars/Olympus' })).toThrow('unknown time zone "Mars/Olympus"');
  });

  it('refuse a non-integer cost', async () => {
    const bucket = new TokenBucket(new MemoryStore(), 'qps', { capacity: 5, refillPerSecond: 1 });
    expect(() => bucket.consume('k', 0.5)).toThrow('units must be a positive integer');
  });
});

describe('redis store', () => {
  it('never writes the caller key into Redis, and every key it writes expires', async () => {
    const store = redisReplica();
    await ready(store.client);
    const secretKey = `permas_live_${randomUUID()}`;
    await new TokenBucket(store, 'hashing', { capacity: 5, refillPerSecond: 1 }).consume(secretKey);
    await new FixedWindow(store, 'hashing', { limit: 5, windowMs: 60_000 }).consume(secretKey);
    await new DailyQuota(store, 'hashing', { limit: 5 }).reserve(secretKey);
    const keys = await store.client.keys(`${prefix}:*hashing*`);
    expect(keys.length).toBe(3);
    for (const key of keys) {
      expect(key).not.toContain(secretKey);
      expect(await store.client.pttl(key)).toBeGreaterThan(0);
    }
  });

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const store = redisReplica();
    await ready(store.client);
    const bucket = new TokenBucket(store, 'noscript', { capacity: 5, refillPerSecond: 1 });
    await bucket.consume('a');
    await store.client.script('FLUSH');
    expect((await bucket.consume('a')).allowed).toBe(true);
  });

  describe('three replicas sharing one Redis', () => {
    const replicas = () => [redisReplica(), redisReplica(), redisReplica()];

    it('token bucket admits at most capacity plus the refill over the elapsed time (plus 1%) under 300 concurrent requests', async () => {
      const stores = replicas();
      await Promise.all(stores.map((s) => ready(s.client)));
      const config = { capacity: 50, refillPerSecond: 20 };
      const buckets = stores.map((s) => new TokenBucket(s, 'shared-bucket', config));
      const key = randomUUID();
      const started = Date.now();
      const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => buckets[i % 3]!.consume(key)));
      const elapsedSeconds = (Date.now() - started) / 1000;
      const allowed = decisions.filter((d) => d.allowed).length;
      expect(allowed).toBeGreaterThanOrEqual(config.capacity);
      expect(allowed).toBeLessThanOrEqual(Math.floor((config.capacity + config.refillPerSecond * elapsedSeconds) * 1.01));
    });

    it('fixed window admits exactly its limit under 300 concurrent requests', async () => {
      const stores = replicas();
      await Promise.all(stores.map((s) => ready(s.client)));
      const windows = stores.map((s) => new FixedWindow(s, 'shared-window', { limit: 100, windowMs: 60_000 }));
      const key = randomUUID();
      const decisions = await Promise.all(Array.from({ length: 300 }, (_, i) => windows[i % 3]!.consume(key)));
      expect(decisions.filter((d) => d.allowed).length).toBe(100);
    });

    it('a daily quota of 1,000 admits exactly 1,000 of 2,000 concurrent reservations', async () => {
      const stores = replicas();
      await Promise.all(stores.map((s) => ready(s.client)));
      const quotas = stores.map((s) => new DailyQuota(s, 'shared-quota', { limit: 1000 }));
      const key = randomUUID();
      const decisions = await Promise.all(Array.from({ length: 2000 }, (_, i) => quotas[i % 3]!.reserve(key)));
      expect(decisions.filter((d) => d.allowed).length).toBe(1000);
    });
  });
});

describe('memory store bound', () => {
  it('stays within its bound after a million distinct keys', async () => {
    const store = new MemoryStore({ maxKeys: 10_000 });
    const config = { limit: 5, windowMs: 60_000 };
    // A real collection before each reading, so the comparison is of what the store retains, not of garbage.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) await store.consumeFixedWindow(`key-${i}`, config, 1);
    expect(store.size).toBe(10_000);
    collect();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('evicts the least recently used key first', async () => {
    const store = new MemoryStore({ maxKeys: 2 });
    const config = { limit: 10, windowMs: 60_000 };
    await store.consumeFixedWindow('a', config, 1);
    await store.consumeFixedWindow('b', config, 1);
    await store.consumeFixedWindow('a', config, 1);
    await store.consumeFixedWindow('c', config, 1);
    expect((await store.consumeFixedWindow('a', config, 1)).hits).toBe(3);
    expect((await store.consumeFixedWindow('b', config, 1)).hits).toBe(1);
  });
});
