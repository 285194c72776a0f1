import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiKeysClient,
  type ApiKeysClientEvent,
  type ApiKeysClientOptions,
  verificationCacheKey,
} from './api-keys-client';
import { ApiKeyManagerFailure, ApiKeyManagerUnavailableError } from './api-keys-client.exception';

const SERVICE_KEY = 'unit-service-key-5f2c';
const KEY = 'permas_test_UnitSpecKey0123456789abcdefghij0A1b2C';
const KEY_ID = '0b6f0e2a-7c1d-4e8f-9a3b-5c6d7e8f9a0b';

interface Received {
  readonly path: string;
  readonly authorization?: string;
  readonly body: Record<string, unknown>;
}

interface Reply {
  readonly status?: number;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
  /** Accept the request and never answer. */
  readonly hang?: boolean;
  /** Close the connection without an answer. */
  readonly destroy?: boolean;
}

const valid = (extra: Record<string, unknown> = {}) => ({
  valid: true,
  code: 'VALID',
  key_id: KEY_ID,
  provider_id: 'provider-unit',
  environment: 'test',
  scopes: ['gcp-token:mint', 'llm-proxy:chat'],
  expires_at: null,
  ...extra,
});

/** A stand-in for api-key-manager on a real socket: records what arrives and answers as each test scripts. */
class FakeManager {
  readonly received: Received[] = [];
  reply: (request: Received) => Reply = () => ({ body: valid() });
  private server?: Server;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  calls(path: string): Received[] {
    return this.received.filter((request) => request.path === path);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const received: Received = {
      path: request.url ?? '',
      authorization: request.headers.authorization,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
    this.received.push(received);
    const reply = this.reply(received);
    if (reply.hang) return;
    if (reply.destroy) {
      request.socket.destroy();
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const status = reply.status ?? (received.path.endsWith('/batch/usage') ? 202 : 200);
    response.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
    response.end(reply.rawBody ?? JSON.stringify(reply.body ?? {}));
  }
}

describe('ApiKeysClient', () => {
  const manager = new FakeManager();
  const clients: ApiKeysClient[] = [];
  let clock: number;
  let logs: { level: string; fields: Record<string, unknown>; message: string }[];
  let events: ApiKeysClientEvent[];

  function client(options: Partial<ApiKeysClientOptions> = {}): ApiKeysClient {
    const created = new ApiKeysClient({
      baseUrl: manager.url,
      serviceKey: SERVICE_KEY,
      now: () => clock,
      logger: {
        log: (fields, message) => logs.push({ level: 'info', fields, message }),
        warn: (fields, message) => logs.push({ level: 'warn', fields, message }),
      },
      onEvent: (event) => events.push(event),
      ...options,
    });
    clients.push(created);
    return created;
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApiKeyManagerUnavailableError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApiKeyManagerUnavailableError);
    return error as ApiKeyManagerUnavailableError;
  }

  beforeEach(async () => {
    clock = Date.parse('2026-11-23T12:00:00.000Z');
    logs = [];
    events = [];
    manager.received.length = 0;
    manager.reply = () => ({ body: valid() });
    await manager.start();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((created) => created.close()));
    await manager.stop();
    // Nothing the client logged may carry the key or the service key.
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(SERVICE_KEY);
  });

  describe('verify', () => {
    it('sends the key with the service key, the required scopes (sorted, once) and the address, and types the answer', async () => {
      manager.reply = () => ({ body: valid({ expires_at: '2027-01-01T00:00:00.000Z' }) });
      const result = await client().verify(KEY, {
        requiredScopes: ['llm-proxy:chat', 'gcp-token:mint', 'llm-proxy:chat'],
        clientIp: '10.1.2.3',
      });
      expect(result).toEqual({
        valid: true,
        code: 'VALID',
        keyId: KEY_ID,
        providerId: 'provider-unit',
        environment: 'test',
        scopes: ['gcp-token:mint', 'llm-proxy:chat'],
        expiresAt: Date.parse('2027-01-01T00:00:00.000Z'),
        cached: false,
      });
      expect(manager.received).toEqual([
        {
          path: '/auth/keys/verify',
          authorization: `Bearer ${SERVICE_KEY}`,
          body: { key: KEY, required_scopes: ['gcp-token:mint', 'llm-proxy:chat'], client_ip: '10.1.2.3' },
        },
      ]);
    });

    it('keeps a path prefix of the base URL', async () => {
      await client({ baseUrl: `${manager.url}/manager/` }).verify(KEY);
      expect(manager.received.map((request) => request.path)).toEqual(['/manager/auth/keys/verify']);
    });

    it('answers from the cache for validTtlMs without a call, then asks again', async () => {
      const keys = client({ validTtlMs: 2000 });
      expect((await keys.verify(KEY)).cached).toBe(false);
      clock += 1999;
      expect(await keys.verify(KEY)).toMatchObject({ valid: true, cached: true });
      expect(manager.received).toHaveLength(1);
      clock += 1;
      expect(await keys.verify(KEY)).toMatchObject({ valid: true, cached: false });
      expect(manager.received).toHaveLength(2);
    });

    it('caches a refusal for invalidTtlMs, with the key id the manager gave', async () => {
      manager.reply = () => ({
        body: { valid: false, code: 'REVOKED', key_id: KEY_ID, provider_id: 'p', scopes: [] },
      });
      const keys = client({ invalidTtlMs: 3000 });
      expect(await keys.verify(KEY)).toEqual({
        valid: false,
        code: 'REVOKED',
        keyId: KEY_ID,
        providerId: 'p',
        cached: false,
      });
      clock += 2999;
      expect(await keys.verify(KEY)).toMatchObject({ code: 'REVOKED', cached: true });
      clock += 1;
      await keys.verify(KEY);
      expect(manager.received).toHaveLength(2);
    });

    it("never reuses a valid answer past the key's own expiry", async () => {
      manager.reply = () => ({ body: valid({ expires_at: new Date(clock + 500).toISOString() }) });
      const keys = client({ validTtlMs: 2000 });
      await keys.verify(KEY);
      clock += 499;
      expect((await keys.verify(KEY)).cached).toBe(true);
      clock += 1;
      manager.reply = () => ({
        body: { valid: false, code: 'EXPIRED', key_id: KEY_ID, provider_id: 'p', scopes: [] },
      });
      expect(await keys.verify(KEY)).toMatchObject({ valid: false, code: 'EXPIRED', cached: false });
    });

    it('keeps separate answers per scope set and client address', async () => {
      manager.reply = (request) =>
        request.body['client_ip'] === '192.0.2.1'
          ? { body: { valid: false, code: 'IP_NOT_ALLOWED', key_id: KEY_ID, provider_id: 'p', scopes: [] } }
          : { body: valid() };
      const keys = client();
      expect((await keys.verify(KEY, { clientIp: '10.0.0.1' })).valid).toBe(true);
      expect(await keys.verify(KEY, { clientIp: '192.0.2.1' })).toMatchObject({ code: 'IP_NOT_ALLOWED' });
      expect((await keys.verify(KEY, { requiredScopes: ['gcp-token:mint'] })).valid).toBe(true);
      expect((await keys.verify(KEY, { clientIp: '10.0.0.1' })).cached).toBe(true);
      expect(manager.received).toHaveLength(3);
    });

    it('shares one call among concurrent verifications of the same key', async () => {
      manager.reply = () => ({ body: valid(), delayMs: 100 });
      const keys = client();
      const results = await Promise.all(Array.from({ length: 50 }, () => keys.verify(KEY)));
      expect(results.every((result) => result.valid)).toBe(true);
      expect(manager.received).toHaveLength(1);
      const caches = events.flatMap((event) => (event.type === 'verification' ? [event.cache] : []));
      expect(caches.filter((cache) => cache === 'miss')).toHaveLength(1);
      expect(caches.filter((cache) => cache === 'shared')).toHaveLength(49);
    });

    it('refuses an empty or oversized key as MALFORMED without asking the manager', async () => {
      const keys = client();
      expect(await keys.verify('')).toMatchObject({ valid: false, code: 'MALFORMED' });
      expect(await keys.verify('x'.repeat(513))).toMatchObject({ valid: false, code: 'MALFORMED' });
      expect(manager.received).toHaveLength(0);
    });

    it('leaves out a client address that is not an IP address (a restricted key is then refused by the manager)', async () => {
      await client().verify(KEY, { clientIp: 'not-an-ip' });
      expect(manager.received[0]?.body).toEqual({ key: KEY });
    });

    it('refuses required scopes the manager would reject', async () => {
      await expect(client().verify(KEY, { requiredScopes: [''] })).rejects.toThrow(TypeError);
    });

    it('keys the cache by a SHA-256 that does not contain the key', () => {
      const cacheKey = verificationCacheKey(KEY, ['gcp-token:mint'], '10.0.0.1');
      expect(cacheKey).toMatch(/^[0-9a-f]{64}$/);
      expect(cacheKey).not.toContain(KEY.slice(12));
      expect(verificationCacheKey(KEY, ['gcp-token:mint'])).not.toBe(cacheKey);
      expect(verificationCacheKey(KEY, [], '10.0.0.1')).not.toBe(cacheKey);
    });
  });

  describe('fails closed', () => {
    it('turns a 5xx into ApiKeyManagerUnavailableError with the Retry-After the manager gave', async () => {
      manager.reply = () => ({
        status: 503,
        headers: { 'retry-after': '7' },
        body: { message: 'Key storage is unavailable' },
      });
      const error = await failureOf(client().verify(KEY));
      expect([error.reason, error.status, error.retryAfterSeconds]).toEqual([
        ApiKeyManagerFailure.SERVER_ERROR,
        503,
        7,
      ]);
    });

    it('gives up at timeoutMs on a manager that does not answer', async () => {
      manager.reply = () => ({ hang: true });
      const started = Date.now();
      const error = await failureOf(client({ timeoutMs: 150 }).verify(KEY));
      expect(error.reason).toBe(ApiKeyManagerFailure.TIMEOUT);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('reports an unreachable manager as a network failure', async () => {
      const keys = client();
      await manager.stop();
      expect((await failureOf(keys.verify(KEY))).reason).toBe(ApiKeyManagerFailure.NETWORK);
    });

    it('retries once when the connection closes under the request', async () => {
      let calls = 0;
      manager.reply = () => (++calls === 1 ? { destroy: true } : { body: valid() });
      expect((await client().verify(KEY)).valid).toBe(true);
      expect(manager.received).toHaveLength(2);
    });

    it('reports a refused service key as service_key_rejected, logged once, with no secret in message or log', async () => {
      manager.reply = () => ({ status: 401, body: { message: 'Missing or invalid service key' } });
      const keys = client();
      const first = await failureOf(keys.verify(KEY));
      await failureOf(keys.verify(`${KEY}x`));
      expect(first.reason).toBe(ApiKeyManagerFailure.SERVICE_KEY_REJECTED);
      expect(first.message).toBe(
        'API key verification is unavailable: api-key-manager refused this service credential (API_KEY_MANAGER_SERVICE_KEY must be one of its VERIFY_API_KEYS) (HTTP 401)',
      );
      expect(first.message).not.toContain(SERVICE_KEY);
      expect(logs.filter((line) => line.fields['event'] === 'api_key_manager_unavailable')).toHaveLength(1);
      expect(keys.status().circuit).toBe('closed');
    });

    it.each([
      ['a VALID without a key id', { body: { valid: true, code: 'VALID', scopes: [], environment: 'test' } }],
      ['an unknown refusal code', { body: { valid: false, code: 'SUSPENDED', scopes: [] } }],
      ['a VALID missing a required scope', { body: valid({ scopes: ['other'] }) }],
      ['a body that is not JSON', { rawBody: '<html>' }],
      ['a 404 (wrong base URL)', { status: 404, body: { message: 'Not Found' } }],
    ])('never accepts a key on %s', async (_case, reply: Reply) => {
      manager.reply = () => reply;
      const error = await failureOf(client().verify(KEY, { requiredScopes: ['gcp-token:mint'] }));
      expect(error.reason).toBe(ApiKeyManagerFailure.UNEXPECTED_RESPONSE);
    });

    it('still answers from the cache while the manager is down, and refuses once the answer is stale', async () => {
      const keys = client({ validTtlMs: 2000, invalidTtlMs: 2000 });
      manager.reply = (request) =>
        request.body['key'] === KEY
          ? { body: valid() }
          : { body: { valid: false, code: 'NOT_FOUND', key_id: null, provider_id: null, scopes: [] } };
      await keys.verify(KEY);
      await keys.verify(`${KEY}x`);
      manager.reply = () => ({ status: 500 });
      clock += 1500;
      expect(await keys.verify(KEY)).toMatchObject({ valid: true, cached: true });
      expect(await keys.verify(`${KEY}x`)).toMatchObject({ code: 'NOT_FOUND', cached: true });
      expect((await failureOf(keys.verify(KEY, { requiredScopes: ['gcp-token:mint'] }))).reason).toBe(
        ApiKeyManagerFailure.SERVER_ERROR,
      );
      clock += 500;
      expect((await failureOf(keys.verify(KEY))).reason).toBe(ApiKeyManagerFailure.SERVER_ERROR);
    });

    it('opens the circuit after the threshold, refuses without calling, then lets one trial through', async () => {
      manager.reply = () => ({ status: 500 });
      const keys = client({ breakerFailureThreshold: 3, breakerOpenMs: 5000 });
      for (let i = 0; i < 3; i++) await failureOf(keys.verify(`${KEY}${i}`));
      const open = await failureOf(keys.verify(KEY));
      expect([open.reason, open.retryAfterSeconds]).toEqual([ApiKeyManagerFailure.CIRCUIT_OPEN, 5]);
      expect(manager.received).toHaveLength(3);
      expect(keys.status().circuit).toBe('open');

      clock += 5000;
      manager.reply = () => ({ body: valid(), delayMs: 50 });
      const trial = keys.verify(KEY);
      expect((await failureOf(keys.verify(`${KEY}other`))).reason).toBe(ApiKeyManagerFailure.CIRCUIT_OPEN);
      expect((await trial).valid).toBe(true);
      expect(keys.status().circuit).toBe('closed');
      expect(events.flatMap((event) => (event.type === 'circuit' ? [event.state] : []))).toEqual([
        'open',
        'half-open',
        'closed',
      ]);
      expect(logs.map((line) => line.fields['event'])).toEqual([
        'api_key_manager_unavailable',
        'api_key_manager_circuit',
        'api_key_manager_circuit',
        'api_key_manager_recovered',
      ]);
    });
  });

  describe('usage', () => {
    const OTHER_ID = '1c7a1f3b-8d2e-4f90-8b4c-6d7e8f9a0b1c';
    const usageBatches = () =>
      manager.calls('/auth/keys/batch/usage').map((request) => request.body['records']);

    it('aggregates uses and reports them in one batch in the manager field names', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'POST /token', 200);
      keys.recordUsage(KEY_ID, 'POST /token', 200);
      keys.recordUsage(KEY_ID, 'POST /token', 429);
      keys.recordUsage(OTHER_ID, 'POST /v1/chat/completions', 200, 3);
      expect(await keys.flushUsage()).toEqual({ accepted: 6, rejected: 0, dropped: 0, pending: 0 });
      expect(usageBatches()).toEqual([
        [
          { key_id: KEY_ID, endpoint: 'POST /token', status_code: 200, count: 2 },
          { key_id: KEY_ID, endpoint: 'POST /token', status_code: 429, count: 1 },
          { key_id: OTHER_ID, endpoint: 'POST /v1/chat/completions', status_code: 200, count: 3 },
        ],
      ]);
      expect(manager.calls('/auth/keys/batch/usage')[0]?.authorization).toBe(`Bearer ${SERVICE_KEY}`);
      expect(await keys.flushUsage()).toEqual({ accepted: 0, rejected: 0, dropped: 0, pending: 0 });
      expect(usageBatches()).toHaveLength(1);
    });

    it('reports on its own every usageFlushIntervalMs', async () => {
      const keys = client({ usageFlushIntervalMs: 50 });
      keys.recordUsage(KEY_ID, 'POST /token', 200);
      const deadline = Date.now() + 2000;
      while (usageBatches().length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(usageBatches()).toEqual([
        [{ key_id: KEY_ID, endpoint: 'POST /token', status_code: 200, count: 1 }],
      ]);
    });

    it('keeps a batch the manager could not take and sends it, merged, with the next flush', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'POST /token', 200, 4);
      manager.reply = () => ({ status: 503 });
      expect(await keys.flushUsage()).toEqual({ accepted: 0, rejected: 0, dropped: 0, pending: 4 });
      keys.recordUsage(KEY_ID, 'POST /token', 200);
      manager.reply = () => ({ body: { accepted: 5, rejected: [] } });
      expect(await keys.flushUsage()).toEqual({ accepted: 5, rejected: 0, dropped: 0, pending: 0 });
      expect(usageBatches().at(-1)).toEqual([
        { key_id: KEY_ID, endpoint: 'POST /token', status_code: 200, count: 5 },
      ]);
    });

    it('sends batches of at most usageBatchSize records', async () => {
      const keys = client({ usageBatchSize: 2 });
      for (let status = 200; status < 205; status++) keys.recordUsage(KEY_ID, 'GET /', status);
      expect((await keys.flushUsage()).accepted).toBe(5);
      expect(usageBatches().map((records) => (records as unknown[]).length)).toEqual([2, 2, 1]);
    });

    it('drops a batch the manager refuses as malformed instead of retrying it for ever', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'GET /', 200, 2);
      manager.reply = () => ({ status: 400, body: { message: 'records.0.endpoint must be ...' } });
      expect(await keys.flushUsage()).toEqual({ accepted: 0, rejected: 0, dropped: 2, pending: 0 });
    });

    it('counts records the manager rejects for an unknown key id, and does not send them again', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'GET /', 200, 2);
      keys.recordUsage(OTHER_ID, 'GET /', 200, 3);
      manager.reply = () => ({
        body: { accepted: 2, rejected: [{ index: 1, key_id: OTHER_ID, reason: 'unknown key_id' }] },
      });
      expect(await keys.flushUsage()).toEqual({ accepted: 2, rejected: 3, dropped: 0, pending: 0 });
      await keys.flushUsage();
      expect(usageBatches()).toHaveLength(1);
    });

    it('counts only what the manager would take', () => {
      const keys = client();
      expect(keys.recordUsage('not-a-key-id', 'GET /', 200)).toBe(false);
      expect(keys.recordUsage(KEY_ID.toUpperCase(), 'GET /', 200)).toBe(false);
      expect(keys.recordUsage(KEY_ID, '', 200)).toBe(false);
      expect(keys.recordUsage(KEY_ID, 'GET /', 99)).toBe(false);
      expect(keys.recordUsage(KEY_ID, 'GET /', 200, 0)).toBe(false);
      expect(keys.recordUsage(KEY_ID, `GET /${'a'.repeat(300)}`, 200)).toBe(true);
      expect(keys.status().pendingUsageRequests).toBe(1);
    });

    it('drops new usage when the buffer is full while the manager is away, and warns once', async () => {
      const keys = client({ maxPendingUsageRecords: 2 });
      expect(keys.recordUsage(KEY_ID, 'a', 200)).toBe(true);
      expect(keys.recordUsage(KEY_ID, 'b', 200)).toBe(true);
      expect(keys.recordUsage(KEY_ID, 'c', 200)).toBe(false);
      expect(keys.recordUsage(KEY_ID, 'd', 200)).toBe(false);
      expect(keys.recordUsage(KEY_ID, 'a', 200)).toBe(true);
      expect(logs.filter((line) => line.fields['event'] === 'api_keys_usage_dropped')).toHaveLength(1);
      expect(events.filter((event) => event.type === 'usage_dropped')).toHaveLength(2);
    });

    it('reports pending usage on close, then counts and verifies nothing more', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'POST /token', 200);
      await keys.close();
      expect(usageBatches()).toHaveLength(1);
      expect(keys.recordUsage(KEY_ID, 'POST /token', 200)).toBe(false);
      expect((await failureOf(keys.verify(KEY))).reason).toBe(ApiKeyManagerFailure.CLOSED);
    });

    it('says what was lost when the manager is down at close', async () => {
      const keys = client();
      keys.recordUsage(KEY_ID, 'POST /token', 200, 3);
      await manager.stop();
      await keys.close();
      expect(logs.find((line) => line.fields['event'] === 'api_keys_usage_lost_at_close')?.fields).toEqual({
        event: 'api_keys_usage_lost_at_close',
        requests: 3,
      });
    });
  });

  describe('options', () => {
    it.each([
      [{ baseUrl: 'ftp://manager' }, 'baseUrl must be an http(s) URL'],
      [{ baseUrl: 'http://user:secret@manager' }, 'baseUrl must not carry credentials'],
      [{ serviceKey: ' ' }, 'serviceKey must not be empty'],
      [{ timeoutMs: 0 }, 'timeoutMs must be at least 1'],
      [{ validTtlMs: -1 }, 'validTtlMs must be a whole number, 0 or more'],
      [{ usageBatchSize: 1001 }, 'usageBatchSize must be 1-1000'],
    ])('refuses %j', (options, message) => {
      expect(() => new ApiKeysClient({ baseUrl: manager.url, serviceKey: SERVICE_KEY, ...options })).toThrow(
        message,
      );
    });
  });
});
