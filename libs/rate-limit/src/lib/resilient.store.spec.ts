import { startRedisServer, type RedisServerProcess } from '@auth-platform/testing';
import type Redis from 'ioredis';
import { FixedWindow } from './limiters';
import { MemoryStore } from './memory.store';
import { createLimiterRedisClient } from './redis-client';
import { RedisStore } from './redis.store';
import { type ModeChange, type RedisFailurePolicy, ResilientStore } from './resilient.store';
import { RateLimitUnavailableError } from './types';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('ResilientStore with Redis killed mid-run', () => {
  let server: RedisServerProcess;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    clients.forEach((client) => client.disconnect());
    await server?.kill();
  });

  function limiter(policy: RedisFailurePolicy) {
    const client = createLimiterRedisClient(server.url, { commandTimeoutMs: 200 });
    clients.push(client);
    const changes: ModeChange[] = [];
    const store = new ResilientStore(new RedisStore(client, 'resilience'), new MemoryStore(), {
      policy,
      probeIntervalMs: 50,
      onModeChange: (change) => changes.push(change),
    });
    return { store, client, changes, window: new FixedWindow(store, `policy-${policy}`, { limit: 1000, windowMs: 60_000 }) };
  }

  it('memory policy keeps deciding, closed policy answers unavailable, and both return to Redis after a restart', async () => {
    const memory = limiter('memory');
    const closed = limiter('closed');
    await until(() => memory.client.status === 'ready' && closed.client.status === 'ready');

    expect((await memory.window.consume('k')).allowed).toBe(true);
    expect((await closed.window.consume('k')).allowed).toBe(true);
    expect(memory.store.mode).toBe('redis');

    await server.kill();

    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      expect((await memory.window.consume('k')).allowed).toBe(true);
      await expect(closed.window.consume('k')).rejects.toBeInstanceOf(RateLimitUnavailableError);
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(memory.store.mode).toBe('fallback');
    expect(closed.store.mode).toBe('fallback');

    await server.restart();
    await until(async () => {
      await memory.window.consume('k');
      await closed.window.consume('k').catch(() => undefined);
      return memory.store.mode === 'redis' && closed.store.mode === 'redis';
    });
    expect((await closed.window.consume('k')).allowed).toBe(true);

    expect(memory.changes.map((c) => c.mode)).toEqual(['fallback', 'redis']);
    expect(closed.changes.map((c) => c.mode)).toEqual(['fallback', 'redis']);
    expect(memory.changes[0]).toMatchObject({ policy: 'memory', reason: expect.any(String) });
  });

  it('gives up on a Redis that does not answer within the command timeout', async () => {
    const { store, client, window } = limiter('memory');
    await until(() => client.status === 'ready');
    await client.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const started = Date.now();
    expect((await window.consume('slow')).allowed).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.mode).toBe('fallback');
  });
});
