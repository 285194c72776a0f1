import { ConfigService } from '@nestjs/config';
import { loadEnv } from '@auth-platform/config';
import { RateLimitService } from '@auth-platform/rate-limit';
import type { ClientIdentity } from '../auth/client-identity';
import { type LlmProxyEnv, llmProxyEnv } from '../config/env';
import { ProxyErrorCode, ProxyException } from '../errors/proxy.exception';
import { RequestLimits } from './request-limits.service';

const alice: ClientIdentity = { scheme: 'jwt', product: 'product-a', user: 'alice' };
const bob: ClientIdentity = { scheme: 'jwt', product: 'product-a', user: 'bob' };

function limits(env: Record<string, string>): RequestLimits {
  const { values } = loadEnv(llmProxyEnv, env);
  return new RequestLimits(new RateLimitService({}), new ConfigService<LlmProxyEnv, true>(values));
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    if (error instanceof ProxyException) return error.code;
    throw error;
  }
}

describe('RequestLimits', () => {
  it('lets a burst of the bucket capacity through per product and user, then 429 with Retry-After', async () => {
    const limiter = limits({
      API_KEY_SERVER_RATE_LIMIT_CAPACITY: '3',
      API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '0.5',
    });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(limiter.admit(alice, 1)));
    expect(results).toEqual(['allowed', 'allowed', 'allowed', ProxyErrorCode.RATE_LIMITED]);
    expect(await outcome(limiter.admit(bob, 1))).toBe('allowed');
    const refused = await limiter.admit(alice, 1).catch((error: ProxyException) => error);
    expect((refused as ProxyException).details.headers).toMatchObject({
      'Retry-After': '2',
      'X-RateLimit-Limit': '3',
      'X-RateLimit-Remaining': '0',
    });
  });

  it('admits exactly the daily quota among concurrent requests, and no request refused by the bucket uses it up', async () => {
    const limiter = limits({ API_KEY_SERVER_RATE_LIMIT_CAPACITY: '1000', API_KEY_SERVER_DAILY_QUOTA: '20' });
    const results = await Promise.all(Array.from({ length: 60 }, () => outcome(limiter.admit(alice, 1))));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(20);
    expect(results.filter((r) => r === ProxyErrorCode.DAILY_QUOTA_EXCEEDED)).toHaveLength(40);
    const refused = await limiter.admit(alice, 1).catch((error: ProxyException) => error);
    expect(Number((refused as ProxyException).details.headers?.['Retry-After'])).toBeGreaterThan(0);
  });

  it('reserves tokens up front so concurrent requests cannot overspend the token quota, and settles to the real usage', async () => {
    const limiter = limits({
      API_KEY_SERVER_RATE_LIMIT_CAPACITY: '1000',
      API_KEY_SERVER_DAILY_TOKEN_QUOTA: '100',
    });
    const admitted = await Promise.allSettled(Array.from({ length: 10 }, () => limiter.admit(alice, 60)));
    const winners = admitted.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const refusal = admitted.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refusal.reason as ProxyException).code).toBe(ProxyErrorCode.TOKEN_QUOTA_EXCEEDED);
    expect((refusal.reason as ProxyException).message).toContain(
      '40 of 100 tokens left today, this request needs up to 60',
    );
    await limiter.settle(
      (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<RequestLimits['admit']>>>).value,
      15,
    );
    const next = await limiter.admit(alice, 60);
    await limiter.settle(next, 80);
    expect(await outcome(limiter.admit(alice, 10))).toBe(ProxyErrorCode.TOKEN_QUOTA_EXCEEDED);
  });

  it('gives the daily request back when the token quota refuses, and the tokens back when the upstream failed', async () => {
    const limiter = limits({
      API_KEY_SERVER_RATE_LIMIT_CAPACITY: '1000',
      API_KEY_SERVER_DAILY_QUOTA: '2',
      API_KEY_SERVER_DAILY_TOKEN_QUOTA: '50',
    });
    expect(await outcome(limiter.admit(alice, 500))).toBe(ProxyErrorCode.TOKEN_QUOTA_EXCEEDED);
    await new Promise((resolve) => setImmediate(resolve));
    const first = await limiter.admit(alice, 50);
    limiter.release(first);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await outcome(limiter.admit(alice, 50))).toBe('allowed');
    expect(await outcome(limiter.admit(alice, 1))).toBe(ProxyErrorCode.DAILY_QUOTA_EXCEEDED);
  });
});
