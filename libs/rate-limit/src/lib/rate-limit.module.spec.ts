import { randomUUID } from 'node:crypto';
import { Controller, Get, Global, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Throttle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { HealthModule } from '@auth-platform/health';
import { HttpErrorFilter, MetricsService } from '@auth-platform/platform';
import { startRedisServer } from '@auth-platform/testing';
import { RateLimit } from './rate-limit.guard';
import { RateLimitModule } from './rate-limit.module';
import type { RateLimitModuleOptions } from './rate-limit.options';
import { RateLimitService } from './rate-limit.service';
import { RateLimitThrottlerStorage } from './throttler.storage';

@Controller()
class LimitedController {
  @Get('per-key')
  @RateLimit('per-key', { key: (request) => request.headers['x-api-key'] as string | undefined })
  perKey() {
    return { ok: true };
  }

  @Get('per-ip')
  @RateLimit('bucket')
  perIp() {
    return { ok: true };
  }

  @Get('open')
  open() {
    return { ok: true };
  }
}

@Controller('throttled')
@UseGuards(ThrottlerGuard)
class ThrottledController {
  @Get()
  @Throttle({ default: { limit: 3, ttl: 60_000 } })
  throttled() {
    return { ok: true };
  }
}

/** In the apps, the platform provides MetricsService globally. */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
class MetricsTestModule {}

async function startApp(options: RateLimitModuleOptions): Promise<NestFastifyApplication> {
  @Module({
    imports: [
      MetricsTestModule,
      HealthModule.forRoot({ details: false }),
      RateLimitModule.forRoot(options),
      ThrottlerModule.forRootAsync({
        inject: [RateLimitThrottlerStorage],
        useFactory: (storage: RateLimitThrottlerStorage) => ({ throttlers: [{ limit: 1000, ttl: 60_000 }], storage }),
      }),
    ],
    controllers: [LimitedController, ThrottledController],
  })
  class TestModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new HttpErrorFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function get(app: INestApplication, url: string, headers: Record<string, string> = {}) {
  return (app as NestFastifyApplication).getHttpAdapter().getInstance().inject({ url, headers });
}

const limiters = {
  'per-key': { algorithm: 'fixed-window', limit: 5, windowMs: 60_000 },
  bucket: { algorithm: 'token-bucket', capacity: 2, refillPerSecond: 0.5 },
} as const;

describe('RateLimitModule on real Redis', () => {
  const keyPrefix = `rl-module-${randomUUID()}`;
  let replicaA: NestFastifyApplication;
  let replicaB: NestFastifyApplication;

  beforeAll(async () => {
    const options = { redisUrl: 'redis://127.0.0.1:6379', keyPrefix, limiters };
    [replicaA, replicaB] = await Promise.all([startApp(options), startApp(options)]);
  });
  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close()]);
  });

  it('two replicas enforce one limit per key, with rate-limit headers on every response', async () => {
    const apiKey = `key-${randomUUID()}`;
    const responses = [];
    for (let i = 0; i < 8; i++) responses.push(await get(i % 2 ? replicaB : replicaA, '/per-key', { 'x-api-key': apiKey }));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(responses[0]!.headers['x-ratelimit-limit']).toBe('5');
    expect(responses[0]!.headers['x-ratelimit-remaining']).toBe('4');
    expect(Number(responses[0]!.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(responses[4]!.headers['x-ratelimit-remaining']).toBe('0');
    const limited = responses[5]!;
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Rate limit exceeded; retry after the time in Retry-After',
    });
    expect((await get(replicaA, '/per-key', { 'x-api-key': `other-${randomUUID()}` })).statusCode).toBe(200);
  });

  it('limits by client address when the route names no key, with Retry-After from the refill rate', async () => {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await get(replicaA, '/per-ip'));
    expect(codes.map((r) => r.statusCode)).toEqual([200, 200, 429]);
    expect(codes[2]!.headers['retry-after']).toBe('2');
  });

  it('leaves routes without @RateLimit alone', async () => {
    const response = await get(replicaA, '/open');
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('backs @nestjs/throttler with the shared store', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await get(i % 2 ? replicaB : replicaA, '/throttled')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
  });

  it('reports its store on readiness and counts decisions in metrics', async () => {
    const ready = await get(replicaA, '/health/ready');
    expect(ready.json().details['rate-limit']).toMatchObject({ status: 'up', store: 'redis', mode: 'redis', policy: 'memory' });
    const exposition = await replicaA.get(MetricsService).registry.metrics();
    expect(exposition).toMatch(/rate_limit_decisions_total\{limiter="per-key",outcome="limited"\} [1-9]/);
    expect(exposition).toContain('rate_limit_fallback_active');
  });
});

describe('RateLimitModule without Redis', () => {
  it('limits in memory and says so on readiness', async () => {
    const app = await startApp({ limiters });
    try {
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await get(app, '/per-key', { 'x-api-key': 'k' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
      expect(app.get(RateLimitService).status()).toEqual({ store: 'memory', mode: 'memory', policy: null });
    } finally {
      await app.close();
    }
  });

  it('refuses an unknown limiter name loudly', async () => {
    const app = await startApp({ limiters: { bucket: limiters.bucket } });
    try {
      expect((await get(app, '/per-key')).statusCode).toBe(500);
    } finally {
      await app.close();
    }
  });
});

describe('RateLimitModule with the closed policy and Redis gone', () => {
  it('answers 503 on limited routes and fails readiness, then recovers', async () => {
    const server = await startRedisServer();
    const app = await startApp({ redisUrl: server.url, keyPrefix: 'closed', onRedisFailure: 'closed', limiters });
    try {
      expect((await get(app, '/per-key', { 'x-api-key': 'k' })).statusCode).toBe(200);
      await server.kill();
      const refused = await get(app, '/per-key', { 'x-api-key': 'k' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'Rate limiting is unavailable; try again shortly',
      });
      const ready = await get(app, '/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().message).toContain('rate-limit: Redis is unreachable and the failure policy is closed');
      await server.restart();
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await get(app, '/per-key', { 'x-api-key': 'k2' })).statusCode;
      }
      expect(status).toBe(200);
    } finally {
      await app.close();
      await server.kill();
    }
  });
});
