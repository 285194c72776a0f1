import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { base64url } from 'jose';
import { type AppProcess, FakeOpenAi, WORKSPACE_ROOT, startApp } from '@auth-platform/testing';
import {
  CHAT,
  JwksServer,
  type OpenAiError,
  TestIssuer,
  eventually,
  expectRedisLimits,
  postChat,
  signedHeaders,
} from './support/llm-clients';

const UPSTREAM_KEY_A = `sk-upstream-product-a-${randomUUID()}`;
const UPSTREAM_KEY_B = `sk-upstream-product-b-${randomUUID()}`;
const DESKTOP_SECRET = `desktop-secret-${randomUUID()}`;
const BATCH_SECRET = `batch-secret-${randomUUID()}`;
const ADMIN_KEY = `admin-key-${randomUUID()}`;
const PREFIX = `llm-proxy-e2e-${randomUUID()}`;

const run = promisify(execFile);
const pemIssuer = new TestIssuer('kid-a');
const jwksIssuer = new TestIssuer('kid-b');
const stranger = new TestIssuer('kid-c');

async function errorOf(response: Response): Promise<OpenAiError['error']> {
  const body = (await response.json()) as OpenAiError;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

function readerOf(response: Response): ReadableStreamDefaultReader<Uint8Array> {
  if (!response.body) throw new Error('the response has no body');
  return response.body.getReader();
}

/** Reads an SSE response to the end: its events' data, in order. */
async function events(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((event) => event.length > 0)
    .map((event) => event.replace(/^data: /, ''));
}

describe('llm-proxy /v1', () => {
  const upstream = new FakeOpenAi();
  const jwks = new JwksServer();
  let app: AppProcess;

  const desktop = (
    body: unknown = CHAT,
    options: { nonce?: string | null; timestamp?: number; user?: string; product?: string } = {},
  ) => {
    const raw = JSON.stringify(body);
    const headers = signedHeaders({
      client: 'desktop',
      secret: DESKTOP_SECRET,
      product: options.product ?? 'product-a',
      user: options.user ?? 'desktop-user',
      body: raw,
      ...options,
    });
    return postChat(app, { headers, raw });
  };

  beforeAll(async () => {
    await Promise.all([upstream.start(), jwks.start()]);
    jwks.keys = [await jwksIssuer.jwk()];
    app = await startApp('llm-proxy', {
      API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({
        'product-a': UPSTREAM_KEY_A,
        'product-b': UPSTREAM_KEY_B,
      }),
      API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ 'kid-a': pemIssuer.publicPem }),
      API_KEY_SERVER_JWKS_URL: jwks.url,
      API_KEY_SERVER_CLIENT_HMAC_SECRETS: JSON.stringify({ desktop: DESKTOP_SECRET, batch: BATCH_SECRET }),
      API_KEY_SERVER_CLIENT_PRODUCTS: JSON.stringify({ batch: ['product-b'] }),
      API_KEY_SERVER_OPENAI_BASE_URL: upstream.url,
      API_KEY_SERVER_ALLOWED_MODELS: '["gpt-4o-mini","gpt-4o"]',
      API_KEY_SERVER_MAX_TOKENS: '1024',
      API_KEY_SERVER_UPSTREAM_TIMEOUT_SECONDS: '1',
      API_KEY_SERVER_REDIS_URL: 'redis://127.0.0.1:6379',
      API_KEY_SERVER_REDIS_PREFIX: PREFIX,
      API_KEY_SERVER_RATE_LIMIT_CAPACITY: '100000',
      API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '100000',
      API_KEY_SERVER_ADMIN_KEY: ADMIN_KEY,
      BODY_LIMIT_BYTES: '65536',
    });
    await expectRedisLimits(app);
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([upstream.stop(), jwks.stop()]);
  });
  beforeEach(() => upstream.reset());

  describe('client authentication', () => {
    it("forwards a JWT client's request with the product's upstream key, and none of the client's credentials", async () => {
      const token = await pemIssuer.sign({ sub: 'alice' });
      const response = await postChat(app, { token, headers: { 'x-request-id': 'req-jwt-1' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe('100000');
      const completion = (await response.json()) as { choices: unknown[]; usage: Record<string, number> };
      expect(completion.usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
      const received = upstream.last;
      expect(received.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY_A}`);
      expect(JSON.stringify(received.headers)).not.toContain(token);
      expect(received.body).toEqual(CHAT);
    });

    it('accepts a JWT whose kid is in the JWKS, and routes by its product claim', async () => {
      const response = await postChat(app, { token: await jwksIssuer.sign({ product: 'product-b' }) });
      expect(response.status).toBe(200);
      expect(upstream.last.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY_B}`);
    });

    it('refetches the JWKS for an unknown kid at most once a minute', async () => {
      const before = jwks.fetches;
      for (let i = 0; i < 3; i++) {
        const response = await postChat(app, { token: await stranger.sign() });
        expect(response.status).toBe(401);
        expect((await errorOf(response)).message).toBe('no key matches the token kid');
      }
      expect(jwks.fetches - before).toBeLessThanOrEqual(1);
    });

    it.each([
      ['a wrong kid', () => pemIssuer.sign({}, { kid: 'kid-zz' }), 'no key matches the token kid'],
      [
        'a signature by another key under a known kid',
        () => stranger.sign({}, { kid: 'kid-a' }),
        'token signature is invalid',
      ],
      [
        'an expired token',
        () =>
          pemIssuer.sign({
            iat: Math.floor(Date.now() / 1000) - 900,
            exp: Math.floor(Date.now() / 1000) - 120,
          }),
        'token has expired',
      ],
      [
        'a lifetime over an hour',
        () => pemIssuer.sign({ exp: Math.floor(Date.now() / 1000) + 7200 }),
        'token lifetime exceeds 3600 seconds',
      ],
      [
        'no product claim',
        () => pemIssuer.sign({ product: undefined }),
        'token has no "product" claim naming the product',
      ],
      [
        'the alg swap to HS256 keyed with the public key',
        async () => {
          const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
          const { createHmac } = await import('node:crypto');
          const now = Math.floor(Date.now() / 1000);
          const unsigned = `${encode({ alg: 'HS256', kid: 'kid-a' })}.${encode({ sub: 'mallory', product: 'product-a', iat: now, exp: now + 60 })}`;
          const signature = createHmac('sha256', pemIssuer.publicPem).update(unsigned).digest('base64url');
          return `${unsigned}.${signature}`;
        },
        'token alg must be RS256',
      ],
      [
        'alg none',
        async () => {
          const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
          const now = Math.floor(Date.now() / 1000);
          return `${encode({ alg: 'none', kid: 'kid-a' })}.${encode({ sub: 'mallory', product: 'product-a', iat: now, exp: now + 60 })}.`;
        },
        'token alg must be RS256',
      ],
    ])('refuses %s with 401 and WWW-Authenticate, forwarding nothing', async (_case, token, message) => {
      const response = await postChat(app, { token: await token() });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await errorOf(response)).toEqual({
        message,
        type: 'authentication_error',
        param: null,
        code: 'invalid_token',
      });
      expect(upstream.requests).toHaveLength(0);
    });

    it('refuses a product without an upstream key with 403', async () => {
      const response = await postChat(app, { token: await pemIssuer.sign({ product: 'product-z' }) });
      expect(response.status).toBe(403);
      expect(await errorOf(response)).toMatchObject({ type: 'permission_error', code: 'unknown_product' });
      const signed = await desktop(CHAT, { product: 'product-z' });
      expect(signed.status).toBe(403);
      expect(upstream.requests).toHaveLength(0);
    });

    it('forwards an HMAC-signed request with the product key, and no X-Signature or client headers', async () => {
      const response = await desktop();
      expect(response.status).toBe(200);
      const headers = upstream.last.headers;
      expect(headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY_A}`);
      expect(Object.keys(headers).filter((name) => name.startsWith('x-'))).toEqual([]);
    });

    it('accepts a signed request without a nonce', async () => {
      expect((await desktop(CHAT, { nonce: null })).status).toBe(200);
    });

    it.each([
      [
        'a bad signature',
        () =>
          postChat(app, {
            headers: {
              ...signedHeaders({
                client: 'desktop',
                secret: 'wrong-secret',
                product: 'product-a',
                user: 'u',
                body: JSON.stringify(CHAT),
              }),
            },
          }),
        'invalid_signature',
      ],
      [
        'a stale timestamp',
        () => desktop(CHAT, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
        'stale_timestamp',
      ],
      [
        'an unknown client',
        () =>
          postChat(app, {
            headers: signedHeaders({
              client: 'nobody',
              secret: DESKTOP_SECRET,
              product: 'product-a',
              user: 'u',
              body: JSON.stringify(CHAT),
            }),
          }),
        'unknown_client',
      ],
      [
        'a body other than the one signed',
        () =>
          postChat(app, {
            headers: signedHeaders({
              client: 'desktop',
              secret: DESKTOP_SECRET,
              product: 'product-a',
              user: 'u',
              body: JSON.stringify(CHAT),
            }),
            body: { ...CHAT, model: 'gpt-4o' },
          }),
        'invalid_signature',
      ],
    ])('refuses %s with 401', async (_case, send, code) => {
      const response = await send();
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe(code);
      expect(upstream.requests).toHaveLength(0);
    });

    it('accepts a nonce once; the replay is 401', async () => {
      const raw = JSON.stringify(CHAT);
      const headers = signedHeaders({
        client: 'desktop',
        secret: DESKTOP_SECRET,
        product: 'product-a',
        user: 'u',
        body: raw,
      });
      expect((await postChat(app, { headers, raw })).status).toBe(200);
      const replay = await postChat(app, { headers, raw });
      expect(replay.status).toBe(401);
      expect(await errorOf(replay)).toMatchObject({
        code: 'replayed_nonce',
        message: 'nonce was already used',
      });
      expect(upstream.requests).toHaveLength(1);
    });

    it('keeps a client to the products API_KEY_SERVER_CLIENT_PRODUCTS allows it', async () => {
      const raw = JSON.stringify(CHAT);
      const forbidden = await postChat(app, {
        headers: signedHeaders({
          client: 'batch',
          secret: BATCH_SECRET,
          product: 'product-a',
          user: 'u',
          body: raw,
        }),
        raw,
      });
      expect(forbidden.status).toBe(403);
      expect((await errorOf(forbidden)).code).toBe('product_not_allowed');
      const allowed = await postChat(app, {
        headers: signedHeaders({
          client: 'batch',
          secret: BATCH_SECRET,
          product: 'product-b',
          user: 'u',
          body: raw,
        }),
        raw,
      });
      expect(allowed.status).toBe(200);
    });

    it('wants exactly one scheme: none is 401, both are 401', async () => {
      const none = await postChat(app);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await errorOf(none)).code).toBe('missing_credentials');
      const raw = JSON.stringify(CHAT);
      const both = await postChat(app, {
        token: await pemIssuer.sign(),
        headers: signedHeaders({
          client: 'desktop',
          secret: DESKTOP_SECRET,
          product: 'product-a',
          user: 'u',
          body: raw,
        }),
        raw,
      });
      expect(both.status).toBe(401);
      expect((await errorOf(both)).code).toBe('ambiguous_credentials');
    });

    it("accepts requests made with the README's scripts (sign-request.mjs and its curl command, sign-jwt.mjs)", async () => {
      const script = (name: string) => join(WORKSPACE_ROOT, 'apps/llm-proxy/scripts', name);
      const env = { PATH: process.env['PATH'] ?? '', LLM_PROXY_CLIENT_SECRET: DESKTOP_SECRET };
      const body = JSON.stringify(CHAT);
      const args = [
        '--url',
        `${app.url}/v1/chat/completions`,
        '--client',
        'desktop',
        '--product',
        'product-a',
        '--user',
        'scripted',
        '--body',
        body,
      ];
      const signed = JSON.parse(
        (await run(process.execPath, [script('sign-request.mjs'), ...args, '--json'], { env })).stdout,
      ) as { url: string; headers: Record<string, string> };
      const response = await fetch(signed.url, {
        method: 'POST',
        headers: { ...signed.headers, 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
      const curl = (
        await run(process.execPath, [script('sign-request.mjs'), ...args], { env })
      ).stdout.trim();
      expect((await run('sh', ['-c', `${curl} -o /dev/null -w '%{http_code}'`])).stdout).toBe('200');

      const keyFile = join(mkdtempSync(join(tmpdir(), 'llm-proxy-jwt-')), 'client-key.pem');
      writeFileSync(keyFile, pemIssuer.privateKey.export({ type: 'pkcs1', format: 'pem' }));
      const token = (
        await run(process.execPath, [
          script('sign-jwt.mjs'),
          '--key',
          keyFile,
          '--kid',
          'kid-a',
          '--sub',
          'scripted',
          '--product',
          'product-a',
        ])
      ).stdout.trim();
      TestIssuer.issued.push(token);
      expect((await postChat(app, { token })).status).toBe(200);
    });

    it('lists the allowed models, in OpenAI list format, to an authenticated client only', async () => {
      const response = await fetch(`${app.url}/v1/models`, {
        headers: { authorization: `Bearer ${await pemIssuer.sign()}` },
      });
      expect(response.status).toBe(200);
      const list = (await response.json()) as { object: string; data: { id: string; object: string }[] };
      expect(list.object).toBe('list');
      expect(list.data.map((model) => [model.id, model.object])).toEqual([
        ['gpt-4o-mini', 'model'],
        ['gpt-4o', 'model'],
      ]);
      expect((await fetch(`${app.url}/v1/models`)).status).toBe(401);
      const headers = signedHeaders({
        client: 'desktop',
        secret: DESKTOP_SECRET,
        product: 'product-a',
        user: 'u',
        body: '',
        method: 'GET',
        path: '/v1/models',
      });
      expect((await fetch(`${app.url}/v1/models`, { headers })).status).toBe(200);
    });
  });

  describe('validation', () => {
    let token: string;
    beforeAll(async () => {
      token = await pemIssuer.sign({ sub: 'validator' });
    });

    it.each([
      [{ messages: CHAT.messages }, 'model', 'model is required'],
      [
        { ...CHAT, model: 'gpt-5-ultra' },
        'model',
        'model "gpt-5-ultra" is not allowed; allowed models: gpt-4o-mini, gpt-4o',
      ],
      [{ model: 'gpt-4o' }, 'messages', 'messages is required'],
      [{ ...CHAT, messages: [] }, 'messages', 'messages must be a non-empty array'],
      [
        { ...CHAT, messages: [{ content: 'no role' }] },
        'messages[0]',
        'messages[0] must be an object with a string role',
      ],
      [{ ...CHAT, max_tokens: 1025 }, 'max_tokens', 'max_tokens must be at most 1024'],
      [{ ...CHAT, max_tokens: -1 }, 'max_tokens', 'max_tokens must be a positive integer'],
      [
        { ...CHAT, max_completion_tokens: 5000 },
        'max_completion_tokens',
        'max_completion_tokens must be at most 1024',
      ],
      [{ ...CHAT, temperature: 2.5 }, 'temperature', 'temperature must be a number between 0 and 2'],
      [{ ...CHAT, temperature: -1 }, 'temperature', 'temperature must be a number between 0 and 2'],
      [{ ...CHAT, n: 1000 }, 'n', 'n must be an integer between 1 and 128'],
      [{ ...CHAT, stream: 'true' }, 'stream', 'stream must be a boolean'],
      [['not', 'an', 'object'], null, 'the request body must be a JSON object'],
    ])('answers %j with 400 naming %s', async (body, param, message) => {
      const response = await postChat(app, { token, body });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({
        message,
        type: 'invalid_request_error',
        param,
        code: param === 'model' && message.includes('not allowed') ? 'model_not_allowed' : 'invalid_request',
      });
      expect(upstream.requests).toHaveLength(0);
    });

    it('answers a truncated JSON body with 400 in the OpenAI envelope', async () => {
      const response = await postChat(app, { token, raw: '{"model": "gpt-4o-mini", "messages": [' });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_request',
        message: expect.stringContaining('not valid JSON'),
      });
    });

    it('answers a body over the limit with 413 in the OpenAI envelope', async () => {
      const response = await postChat(app, {
        token,
        body: { ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(70_000) }] },
      });
      expect(response.status).toBe(413);
      expect(await errorOf(response)).toMatchObject({
        type: 'invalid_request_error',
        code: 'request_too_large',
      });
    });

    it('answers a body that is not JSON with 400 or 415, an unknown /v1 route with 404, all in the OpenAI envelope', async () => {
      const text = await postChat(app, { token, raw: 'hello', contentType: 'text/plain' });
      expect(text.status).toBe(400);
      expect((await errorOf(text)).message).toBe('the request body must be a JSON object');
      const xml = await postChat(app, { token, raw: '<chat/>', contentType: 'application/xml' });
      expect(xml.status).toBe(415);
      expect((await errorOf(xml)).code).toBe('unsupported_media_type');
      const unknown = await fetch(`${app.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(unknown.status).toBe(404);
      expect((await errorOf(unknown)).type).toBe('not_found_error');
      const elsewhere = await fetch(`${app.url}/nowhere`);
      expect(await elsewhere.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /nowhere',
      });
    });
  });

  describe('streaming', () => {
    let token: string;
    beforeAll(async () => {
      token = await pemIssuer.sign({ sub: 'streamer' });
    });

    it('relays the stream, asks the upstream for usage, and drops the usage chunk the client did not ask for', async () => {
      upstream.streamChunks = 4;
      const response = await postChat(app, { token, body: { ...CHAT, stream: true } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const data = await events(response);
      expect(data.at(-1)).toBe('[DONE]');
      const chunks = data.slice(0, -1).map((event) => JSON.parse(event) as { choices: unknown[] });
      expect(chunks).toHaveLength(6);
      expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
      expect(upstream.last.body['stream_options']).toEqual({ include_usage: true });
    });

    it('passes the usage chunk on when the client asked for it', async () => {
      const response = await postChat(app, {
        token,
        body: { ...CHAT, stream: true, stream_options: { include_usage: true } },
      });
      const data = await events(response);
      const usage = JSON.parse(data.at(-2) ?? 'null') as {
        choices: unknown[];
        usage: Record<string, number>;
      };
      expect(usage).toMatchObject({
        choices: [],
        usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 },
      });
    });

    it('passes each chunk on as it arrives, not at the end', async () => {
      upstream.chunkDelayMs = 150;
      upstream.streamChunks = 4;
      const started = Date.now();
      const response = await postChat(app, { token, body: { ...CHAT, stream: true } });
      const reader = readerOf(response);
      const arrivals: number[] = [];
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
        arrivals.push(Date.now() - started);
      }
      expect(arrivals.length).toBeGreaterThanOrEqual(5);
      expect(arrivals[0] ?? Infinity).toBeLessThan((arrivals.at(-1) ?? 0) - 500);
    });

    it('aborts the upstream request when the client disconnects', async () => {
      upstream.chunkDelayMs = 20;
      upstream.streamChunks = 500;
      const abort = new AbortController();
      const response = await postChat(app, { token, body: { ...CHAT, stream: true }, signal: abort.signal });
      const reader = readerOf(response);
      await reader.read();
      abort.abort();
      await eventually(() => upstream.last.aborted);
      expect(upstream.last.streamedBytes).toBeLessThan(50_000);
    });

    it('aborts a non-streaming upstream request too when the client disconnects', async () => {
      upstream.responseDelayMs = 3000;
      const abort = new AbortController();
      const pending = postChat(app, { token, signal: abort.signal }).catch((error: Error) => error.name);
      await eventually(() => upstream.requests.length === 1);
      abort.abort();
      expect(await pending).toBe('AbortError');
      await eventually(() => upstream.last.aborted);
      upstream.responseDelayMs = 0;
      expect((await postChat(app, { token: await pemIssuer.sign({ sub: 'after-abort' }) })).status).toBe(200);
    });

    it('stops reading the upstream while the client does not read (backpressure)', async () => {
      upstream.chunkPaddingBytes = 64 * 1024;
      upstream.streamChunks = 4000;
      const body = JSON.stringify({ ...CHAT, stream: true });
      const streamed = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(`${app.url}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        });
        request.on('error', reject);
        request.on('response', (res) => {
          res.once('data', () => {
            res.pause();
            setTimeout(() => {
              const bytes = upstream.last.streamedBytes;
              request.destroy();
              resolve(bytes);
            }, 1500);
          });
        });
        request.end(body);
      });
      // 4000 chunks of 64 KiB would be 256 MiB; what got through is what the socket buffers hold.
      expect(streamed).toBeLessThan(48 * 1024 * 1024);
      await eventually(() => upstream.last.aborted);
    });
  });

  describe('upstream failures', () => {
    let token: string;
    beforeAll(async () => {
      token = await pemIssuer.sign({ sub: 'unlucky' });
    });

    it.each([
      ['error500', 'upstream_unavailable', 'the upstream provider failed (HTTP 500)'],
      ['reset', 'upstream_unavailable', 'the upstream provider could not be reached'],
      ['stall', 'upstream_timeout', 'the upstream provider did not answer within 1 s'],
      [
        'unauthorized',
        'upstream_unavailable',
        'the upstream provider refused the proxy credentials for this product',
      ],
      [
        'ok-with-error-body',
        'upstream_unavailable',
        'the upstream provider answered with an error instead of a completion',
      ],
    ] as const)('answers %s with 502 and none of the upstream internals', async (mode, code, message) => {
      upstream.mode = mode;
      const started = Date.now();
      const response = await postChat(app, { token });
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({ error: { message, type: 'upstream_error', param: null, code } });
      expect(text).not.toMatch(/Internal detail|sk-|overloaded/);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('answers an upstream 429 with 429 and its Retry-After', async () => {
      upstream.mode = 'rate-limited';
      const response = await postChat(app, { token });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      const error = await errorOf(response);
      expect(error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_rate_limited' });
      expect(error.message).not.toContain('org-secret123');
    });

    it('answers another upstream 4xx with its status and message', async () => {
      upstream.mode = 'bad-request';
      const response = await postChat(app, { token, body: { ...CHAT, top_p: 3 } });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({
        message: "Invalid value for 'top_p': must be at most 1.",
        type: 'invalid_request_error',
        param: 'top_p',
        code: 'invalid_value',
      });
    });

    it('ends a stream that stalls midway with an error event, not a silent cut', async () => {
      upstream.mode = 'stall-mid-stream';
      const response = await postChat(app, { token, body: { ...CHAT, stream: true } });
      expect(response.status).toBe(200);
      const data = await events(response);
      expect(data.length).toBeGreaterThanOrEqual(2);
      expect(JSON.parse(data.at(-1) ?? 'null')).toEqual({
        error: {
          message: 'the upstream provider did not answer within 1 s',
          type: 'upstream_error',
          param: null,
          code: 'upstream_timeout',
        },
      });
    });
  });

  describe('operations', () => {
    it('counts usage per product, user and day on the admin endpoint, behind the admin key', async () => {
      const user = `usage-${randomUUID()}`;
      const token = await pemIssuer.sign({ sub: user });
      await postChat(app, { token });
      await events(await postChat(app, { token, body: { ...CHAT, stream: true } }));
      const url = `${app.url}/admin/usage?user=${encodeURIComponent(user)}`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}x` } })).status).toBe(401);
      await eventually(async () => {
        const report = (await (
          await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
        ).json()) as { usage: unknown[] };
        return report.usage.length === 1;
      });
      const report = (await (
        await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
      ).json()) as Record<string, unknown>;
      expect(report).toMatchObject({
        day: new Date().toISOString().slice(0, 10),
        source: 'redis',
        partial: false,
        usage: [
          {
            product: 'product-a',
            user,
            requests: 2,
            prompt_tokens: 22,
            completion_tokens: 8,
            total_tokens: 30,
          },
        ],
      });
      const badDay = await fetch(`${app.url}/admin/usage?day=yesterday`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(badDay.status).toBe(400);
      expect(((await badDay.json()) as { message: string }).message).toContain(
        'day must be a date in the form YYYY-MM-DD',
      );
    });

    it('serves /healthz as the seed did, and shows the limiter store on /health', async () => {
      expect(await (await fetch(`${app.url}/healthz`)).json()).toEqual({
        status: 'ok',
        rate_limit: { store: 'redis', mode: 'redis' },
      });
      const health = (await (await fetch(`${app.url}/health`)).json()) as {
        details: Record<string, Record<string, unknown>>;
      };
      expect(health.details['rate-limit']).toMatchObject({
        status: 'up',
        store: 'redis',
        mode: 'redis',
        policy: 'memory',
      });
      expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    });

    it('exposes usage, outcomes, auth failures and limiter decisions as metrics', async () => {
      const exposition = await (await fetch(`${app.url}/metrics`)).text();
      expect(exposition).toMatch(/llm_proxy_usage_requests_total\{product="product-a"\} [1-9]/);
      expect(exposition).toMatch(
        /llm_proxy_usage_tokens_total\{product="product-a",type="completion"\} [1-9]/,
      );
      expect(exposition).toMatch(
        /llm_proxy_upstream_requests_total\{product="product-a",outcome="upstream_error"\} [1-9]/,
      );
      expect(exposition).toMatch(/llm_proxy_auth_failures_total\{scheme="jwt",code="invalid_token"\} [1-9]/);
      expect(exposition).toMatch(/llm_proxy_upstream_response_seconds_count\{stream="true"\} [1-9]/);
      expect(exposition).toMatch(
        /rate_limit_decisions_total\{limiter="llm-requests",outcome="allowed"\} [1-9]/,
      );
      expect(exposition).toMatch(
        /http_request_duration_seconds_count\{method="POST",route="\/v1\/chat\/completions",status_code="200"\} [1-9]/,
      );
    });

    it('documents the API in OpenAPI', async () => {
      const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/v1/chat/completions', '/v1/models', '/healthz', '/admin/usage']),
      );
    });

    it('logs one line per request with its outcome, and never an upstream key, client secret, JWT or the admin key', async () => {
      const token = await pemIssuer.sign({ sub: 'logged-user' });
      await postChat(app, { token, headers: { 'x-request-id': 'req-logged-1' } });
      await eventually(() => app.logs().some((line) => line.includes('"request_id":"req-logged-1"')));
      const lines = app.logs().filter((line) => line.includes('"request_id":"req-logged-1"'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? 'null')).toMatchObject({
        msg: 'request completed',
        auth: 'jwt',
        product: 'product-a',
        user: 'logged-user',
        model: 'gpt-4o-mini',
        outcome: 'success',
        prompt_tokens: 11,
        completion_tokens: 5,
        status_code: 200,
      });
      const all = app.logs();
      expect(all.length).toBeGreaterThan(50);
      const secrets = [
        UPSTREAM_KEY_A,
        UPSTREAM_KEY_B,
        DESKTOP_SECRET,
        BATCH_SECRET,
        ADMIN_KEY,
        ...TestIssuer.issued,
      ];
      for (const line of all) for (const secret of secrets) expect(line).not.toContain(secret);
    });
  });
});
