import { randomUUID } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { loadEnv } from '@auth-platform/config';
import { MetricsService } from '@auth-platform/platform';
import type { ClientIdentity } from '../auth/client-identity';
import { type LlmProxyEnv, llmProxyEnv } from '../config/env';
import { ProxyRedis } from '../redis/proxy-redis';
import { usageDay } from './usage-ledger';
import { UsageService } from './usage.service';

const alice: ClientIdentity = { scheme: 'jwt', product: 'product-a', user: 'alice' };

function config(env: Record<string, string> = {}): ConfigService<LlmProxyEnv, true> {
  return new ConfigService<LlmProxyEnv, true>(loadEnv(llmProxyEnv, env).values);
}

async function ready(redis: ProxyRedis): Promise<void> {
  if (redis.client?.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.client?.once('ready', () => resolve());
    setTimeout(
      () => reject(new Error('Redis at 127.0.0.1:6379 is not reachable; these tests need it')),
      3000,
    );
  });
}

function redisOf(redis: ProxyRedis): NonNullable<ProxyRedis['client']> {
  if (!redis.client) throw new Error('no Redis client configured');
  return redis.client;
}

describe('UsageService', () => {
  it('counts in memory without Redis, and exposes the counts as metrics', async () => {
    const settings = config();
    const metrics = new MetricsService();
    const usage = new UsageService(new ProxyRedis(settings), settings, metrics);
    usage.record(alice, { promptTokens: 11, completionTokens: 5 });
    usage.record(alice, undefined);
    const report = await usage.report(usageDay(Date.now()));
    expect(report).toMatchObject({ source: 'memory', partial: false });
    expect(report.rows).toEqual([
      { product: 'product-a', user: 'alice', requests: 2, promptTokens: 11, completionTokens: 5 },
    ]);
    const exposition = await metrics.registry.metrics();
    expect(exposition).toContain('llm_proxy_usage_requests_total{product="product-a"} 2');
    expect(exposition).toContain('llm_proxy_usage_tokens_total{product="product-a",type="completion"} 5');
  });

  it('books each request on its own UTC day, across midnight', async () => {
    const settings = config();
    const usage = new UsageService(new ProxyRedis(settings), settings, new MetricsService());
    usage.record(alice, undefined, Date.parse('2025-01-31T23:59:59.999Z'));
    usage.record(alice, undefined, Date.parse('2025-02-01T00:00:00.000Z'));
    usage.record(alice, undefined, Date.parse('2025-01-31T12:00:00.000Z'));
    expect((await usage.report('2025-01-31')).rows[0]?.requests).toBe(2);
    expect((await usage.report('2025-02-01')).rows[0]?.requests).toBe(1);
  });

  describe('on the machine Redis', () => {
    const prefix = `llm-proxy-test-${randomUUID()}`;
    const settings = config({
      API_KEY_SERVER_REDIS_URL: 'redis://127.0.0.1:6379',
      API_KEY_SERVER_REDIS_PREFIX: prefix,
    });
    const replicaA = new ProxyRedis(settings);
    const replicaB = new ProxyRedis(settings);

    beforeAll(async () => {
      await ready(replicaA);
      await ready(replicaB);
    });
    afterAll(async () => {
      const keys = await redisOf(replicaA).keys(`${prefix}:*`);
      if (keys.length > 0) await redisOf(replicaA).del(...keys);
      await replicaA.onApplicationShutdown();
      await replicaB.onApplicationShutdown();
    });

    it('adds up what every replica flushed, next to the limits, with an expiry', async () => {
      const a = new UsageService(replicaA, settings, new MetricsService());
      const b = new UsageService(replicaB, settings, new MetricsService());
      a.record(alice, { promptTokens: 10, completionTokens: 1 });
      b.record(alice, { promptTokens: 20, completionTokens: 2 });
      b.record({ ...alice, user: 'bob' }, { promptTokens: 1, completionTokens: 1 });
      expect((await a.report(usageDay(Date.now()))).rows).toEqual([
        { product: 'product-a', user: 'alice', requests: 1, promptTokens: 10, completionTokens: 1 },
      ]);
      await Promise.all([a.flush(), b.flush()]);
      const report = await a.report(usageDay(Date.now()), { user: 'alice' });
      expect(report).toMatchObject({ source: 'redis', partial: false });
      expect(report.rows).toEqual([
        { product: 'product-a', user: 'alice', requests: 2, promptTokens: 30, completionTokens: 3 },
      ]);
      const key = `${prefix}:usage:${usageDay(Date.now())}`;
      expect(await redisOf(replicaA).ttl(key)).toBeGreaterThan(30 * 86_400);
    });

    it('keeps usage it could not write while Redis is away, and writes it once Redis is back', async () => {
      const usage = new UsageService(replicaA, settings, new MetricsService());
      const client = redisOf(replicaA);
      usage.record({ ...alice, user: 'carol' }, { promptTokens: 7, completionTokens: 7 });
      const exec = jest.spyOn(client, 'multi').mockImplementationOnce(() => {
        throw new Error('Connection is closed.');
      });
      await usage.flush();
      exec.mockRestore();
      expect(await client.hgetall(`${prefix}:usage:${usageDay(Date.now())}`)).not.toHaveProperty([
        'product-a|carol|r',
      ]);
      usage.record({ ...alice, user: 'carol' }, { promptTokens: 1, completionTokens: 1 });
      await usage.flush();
      const report = await new UsageService(replicaB, settings, new MetricsService()).report(
        usageDay(Date.now()),
        { user: 'carol' },
      );
      expect(report.rows).toEqual([
        { product: 'product-a', user: 'carol', requests: 2, promptTokens: 8, completionTokens: 8 },
      ]);
    });
  });
});
