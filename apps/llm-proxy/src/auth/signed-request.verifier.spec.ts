import { randomUUID } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import { loadEnv } from '@auth-platform/config';
import { signRequest } from '@auth-platform/crypto';
import { type LlmProxyEnv, llmProxyEnv } from '../config/env';
import { ProxyRedis } from '../redis/proxy-redis';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import { NonceStore } from './nonce.store';
import { type SignedRequest, SignedRequestVerifier } from './signed-request.verifier';

const SECRET = 'desktop-secret-0123';
const BODY = Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"héllo"}]}');

function config(env: Record<string, string> = {}): ConfigService<LlmProxyEnv, true> {
  const { values } = loadEnv(llmProxyEnv, {
    API_KEY_SERVER_CLIENT_HMAC_SECRETS: JSON.stringify({ desktop: SECRET, batch: 'batch-secret-4567' }),
    API_KEY_SERVER_CLIENT_PRODUCTS: JSON.stringify({ batch: ['product-b'] }),
    ...env,
  });
  return new ConfigService<LlmProxyEnv, true>(values);
}

function signed(
  overrides: {
    client?: string;
    secret?: string;
    product?: string;
    user?: string;
    timestamp?: number;
    nonce?: string;
    body?: Buffer;
    signWith?: Buffer;
  } = {},
): SignedRequest {
  const timestamp = String(overrides.timestamp ?? Math.floor(Date.now() / 1000));
  const product = overrides.product ?? 'product-a';
  const user = overrides.user ?? 'user-1';
  const body = overrides.body ?? BODY;
  const signature = signRequest(overrides.secret ?? SECRET, {
    method: 'POST',
    path: '/v1/chat/completions',
    timestamp,
    nonce: overrides.nonce,
    product,
    user,
    body: overrides.signWith ?? body,
  });
  return {
    method: 'POST',
    url: '/v1/chat/completions',
    body,
    headers: {
      'x-client-id': overrides.client ?? 'desktop',
      'x-product-id': product,
      'x-user-id': user,
      'x-timestamp': timestamp,
      ...(overrides.nonce === undefined ? {} : { 'x-nonce': overrides.nonce }),
      'x-signature': signature,
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<ClientAuthException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ClientAuthException);
    return error as ClientAuthException;
  }
  throw new Error('expected the request to be refused');
}

function redisOf(redis: ProxyRedis): NonNullable<ProxyRedis['client']> {
  if (!redis.client) throw new Error('no Redis client configured');
  return redis.client;
}

describe('SignedRequestVerifier', () => {
  const settings = config();
  const verifier = new SignedRequestVerifier(settings, new NonceStore(new ProxyRedis(settings)));

  it('accepts a request signed over METHOD, PATH, TIMESTAMP, NONCE, PRODUCT, USER and the raw body', async () => {
    expect(await verifier.verifyClientSignature(signed({ nonce: randomUUID() }))).toEqual({
      scheme: 'hmac',
      clientId: 'desktop',
      product: 'product-a',
      user: 'user-1',
    });
    expect(await verifier.verifyClientSignature(signed())).toMatchObject({ clientId: 'desktop' });
  });

  it.each([
    ['a wrong secret', () => signed({ secret: 'not-the-secret' }), ClientAuthErrorCode.INVALID_SIGNATURE],
    [
      'a body other than the one signed',
      () => signed({ signWith: Buffer.from('{"model":"gpt-4o"}') }),
      ClientAuthErrorCode.INVALID_SIGNATURE,
    ],
    ['an unknown client', () => signed({ client: 'stranger' }), ClientAuthErrorCode.UNKNOWN_CLIENT],
    [
      'a stale timestamp',
      () => signed({ timestamp: Math.floor(Date.now() / 1000) - 301 }),
      ClientAuthErrorCode.STALE_TIMESTAMP,
    ],
    [
      'a future timestamp',
      () => signed({ timestamp: Math.floor(Date.now() / 1000) + 301 }),
      ClientAuthErrorCode.STALE_TIMESTAMP,
    ],
    ['a nonce with spaces', () => signed({ nonce: 'a b' }), ClientAuthErrorCode.INVALID_NONCE],
    [
      'a product the client may not sign for',
      () => signed({ client: 'batch', secret: 'batch-secret-4567' }),
      ClientAuthErrorCode.PRODUCT_NOT_ALLOWED,
    ],
  ])('refuses %s', async (_case, request, code) => {
    expect((await refusal(verifier.verifyClientSignature(request()))).code).toBe(code);
  });

  it('refuses a tampered header: the signature covers product and user', async () => {
    const request = signed();
    const tampered = { ...request, headers: { ...request.headers, 'x-user-id': 'someone-else' } };
    expect((await refusal(verifier.verifyClientSignature(tampered))).code).toBe(
      ClientAuthErrorCode.INVALID_SIGNATURE,
    );
  });

  it('names a missing header', async () => {
    const request = signed();
    const headers = { ...request.headers };
    delete headers['x-timestamp'];
    const error = await refusal(verifier.verifyClientSignature({ ...request, headers }));
    expect(error.message).toBe('signed request is missing the X-Timestamp header');
  });

  it('lets a restricted client sign for its own products', async () => {
    expect(
      await verifier.verifyClientSignature(
        signed({ client: 'batch', secret: 'batch-secret-4567', product: 'product-b' }),
      ),
    ).toMatchObject({
      product: 'product-b',
    });
  });

  it('accepts a nonce once; a replay within the window is refused', async () => {
    const nonce = randomUUID();
    await verifier.verifyClientSignature(signed({ nonce }));
    expect((await refusal(verifier.verifyClientSignature(signed({ nonce })))).code).toBe(
      ClientAuthErrorCode.REPLAYED_NONCE,
    );
  });

  it('does not burn a nonce on a request whose signature is wrong', async () => {
    const nonce = randomUUID();
    await refusal(verifier.verifyClientSignature(signed({ nonce, secret: 'wrong' })));
    expect(await verifier.verifyClientSignature(signed({ nonce }))).toMatchObject({ user: 'user-1' });
  });
});

describe('NonceStore', () => {
  it('remembers nonces in memory without Redis, per client, for the window', async () => {
    const store = new NonceStore(new ProxyRedis(config()));
    const now = Date.now();
    expect(await store.claim('desktop', 'n-1', 1000, now)).toBe(true);
    expect(await store.claim('desktop', 'n-1', 1000, now + 999)).toBe(false);
    expect(await store.claim('batch', 'n-1', 1000, now + 999)).toBe(true);
    expect(await store.claim('desktop', 'n-1', 1000, now + 1001)).toBe(true);
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
      for (const redis of [replicaA, replicaB]) {
        await new Promise<void>((resolve, reject) => {
          if (redis.client?.status === 'ready') return resolve();
          redis.client?.once('ready', () => resolve());
          setTimeout(
            () => reject(new Error('Redis at 127.0.0.1:6379 is not reachable; these tests need it')),
            3000,
          );
        });
      }
    });
    afterAll(async () => {
      const keys = await redisOf(replicaA).keys(`${prefix}:*`);
      if (keys.length > 0) await redisOf(replicaA).del(...keys);
      await replicaA.onApplicationShutdown();
      await replicaB.onApplicationShutdown();
    });

    it('accepts a nonce once across replicas sharing Redis, and lets it expire with the window', async () => {
      const a = new NonceStore(replicaA);
      const b = new NonceStore(replicaB);
      const results = await Promise.all([
        a.claim('desktop', 'shared', 300),
        b.claim('desktop', 'shared', 300),
        b.claim('desktop', 'shared', 300),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const keys = await redisOf(replicaA).keys(`${prefix}:nonce:*`);
      expect(keys).toHaveLength(1);
      const key = keys[0] ?? '';
      expect(key).not.toContain('shared');
      expect(await redisOf(replicaA).pttl(key)).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await new NonceStore(replicaB).claim('desktop', 'shared', 300)).toBe(true);
    });
  });
});
