import { createServer, type Server } from 'node:http';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { Client } from 'pg';
import { LOADED_ENV } from '@auth-platform/config';
import { httpCheck, postgresCheck, redisCheck } from './dependency-checks';
import { HealthModule, type HealthModuleOptions } from './health.module';
import { ReadinessRegistry } from './readiness-registry';
import { ShutdownState } from './shutdown-state';

@Controller()
class NoRoutes {}

async function startHealthApp(missingCredentials: string[] = [], options: HealthModuleOptions = {}) {
  @Module({
    imports: [HealthModule.forRoot(options)],
    controllers: [NoRoutes],
    providers: [{ provide: LOADED_ENV, useValue: { app: 'readiness-spec', missingCredentials } }],
    exports: [LOADED_ENV],
  })
  class EnvModule {}
  const moduleRef = await Test.createTestingModule({ imports: [{ module: EnvModule, global: true }] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

async function probe(app: INestApplication, path = '/health/ready') {
  const response = await (app as NestFastifyApplication).getHttpAdapter().getInstance().inject({ url: path });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> & { message?: string } };
}

describe('readiness', () => {
  let app: INestApplication;
  afterEach(async () => app?.close());

  it('is live and ready with nothing registered', async () => {
    app = await startHealthApp();
    expect(await probe(app, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await probe(app)).status).toBe(200);
  });

  it('is 503 while a registered dependency is down, naming it and why', async () => {
    app = await startHealthApp();
    let up = false;
    app.get(ReadinessRegistry).register('upstream', async () => {
      if (!up) throw new Error('connection refused');
    });
    const down = await probe(app);
    expect(down.status).toBe(503);
    expect(down.body.message).toBe('not ready: upstream: connection refused');
    up = true;
    expect((await probe(app)).status).toBe(200);
  });

  it('gives up on a hanging check after its timeout', async () => {
    app = await startHealthApp();
    app.get(ReadinessRegistry).register('hangs', () => new Promise(() => undefined), { timeoutMs: 150 });
    const started = Date.now();
    const result = await probe(app);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.status).toBe(503);
    expect(result.body.message).toContain('hangs: timeout of 150ms exceeded');
  });

  it('never calls a dependency from /health/live', async () => {
    app = await startHealthApp();
    const check = jest.fn(async () => undefined);
    app.get(ReadinessRegistry).register('counted', check);
    await probe(app, '/health/live');
    expect(check).not.toHaveBeenCalled();
    await probe(app);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('waits for missing credentials and says which', async () => {
    app = await startHealthApp(['API_KEY (or API_KEYS)']);
    const result = await probe(app);
    expect(result.status).toBe(503);
    expect(result.body.message).toBe('not ready: configuration: waiting for API_KEY (or API_KEYS)');
  });

  it('turns 503 once shutdown begins while liveness stays 200', async () => {
    app = await startHealthApp();
    expect((await probe(app)).status).toBe(200);
    app.get(ShutdownState).begin();
    const result = await probe(app);
    expect(result.status).toBe(503);
    expect(result.body.message).toBe('not ready: lifecycle: shutting down');
    expect((await probe(app, '/health/live')).status).toBe(200);
  });

  it('serves details on /health with app, uptime and checks', async () => {
    app = await startHealthApp();
    const result = await probe(app, '/health');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ app: 'readiness-spec', status: 'ok', details: { lifecycle: { status: 'up' } } });
    expect(result.body['uptime_seconds']).toEqual(expect.any(Number));
  });

  it('serves the probes at alias paths and can leave /health to the app', async () => {
    app = await startHealthApp(['API_KEY'], { details: false, aliases: { live: ['liveness'], ready: ['readiness'] } });
    expect(await probe(app, '/liveness')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await probe(app, '/readiness');
    expect(ready.status).toBe(503);
    expect(ready.body.message).toBe('not ready: configuration: waiting for API_KEY');
    expect((await probe(app, '/health')).status).toBe(404);
  });

  it('refuses to register the same check twice', async () => {
    app = await startHealthApp();
    const registry = app.get(ReadinessRegistry);
    registry.register('db', async () => undefined);
    expect(() => registry.register('db', async () => undefined)).toThrow('readiness check "db" is already registered');
  });
});

describe('dependency checks against real services', () => {
  const signal = new AbortController().signal;

  it('redisCheck is up against the machine Redis and down against a closed port', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    const dead = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await expect(redisCheck(redis)(signal)).resolves.toEqual({ latency_ms: expect.any(Number) });
      await expect(redisCheck(dead)(signal)).rejects.toThrow();
    } finally {
      redis.disconnect();
      dead.disconnect();
    }
  });

  it('postgresCheck is up against the machine PostgreSQL and down against a closed port', async () => {
    const pg = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await pg.connect();
    try {
      await expect(postgresCheck(pg)(signal)).resolves.toEqual({ latency_ms: expect.any(Number) });
    } finally {
      await pg.end();
    }
    const dead = new Client({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test', connectionTimeoutMillis: 500 });
    await expect(dead.connect().then(() => postgresCheck(dead)(signal))).rejects.toThrow();
  });

  describe('httpCheck', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = Number(req.url?.slice(1)) || 200;
        res.end('x');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('is up on 2xx and 4xx, down on 5xx', async () => {
      await expect(httpCheck(`${base}/200`)(signal)).resolves.toMatchObject({ status_code: 200 });
      await expect(httpCheck(`${base}/404`)(signal)).resolves.toMatchObject({ status_code: 404 });
      await expect(httpCheck(`${base}/503`)(signal)).rejects.toThrow('answered HTTP 503');
    });

    it('is down when nothing listens', async () => {
      await expect(httpCheck('http://127.0.0.1:1/')(signal)).rejects.toThrow();
    });
  });
});
