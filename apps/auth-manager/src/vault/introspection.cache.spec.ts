import type { IntrospectionVerdict } from '../identity-provider/identity-provider.client';
import { IntrospectionCache } from './introspection.cache';
import { ACTIVE_VERDICT_TTL_MS, INACTIVE_VERDICT_TTL_MS, verdictTtlMs } from './token-validation.service';

describe('validation verdict cache', () => {
  const now = 1_700_000_000_000;

  it('keeps an active verdict 60 s at most, and never past the token exp', () => {
    expect(verdictTtlMs({ active: true, exp: now / 1000 + 3600 }, now)).toBe(ACTIVE_VERDICT_TTL_MS);
    expect(verdictTtlMs({ active: true, exp: now / 1000 + 10 }, now)).toBe(10_000);
    expect(verdictTtlMs({ active: true, exp: now / 1000 - 5 }, now)).toBe(0);
    expect(verdictTtlMs({ active: true }, now)).toBe(ACTIVE_VERDICT_TTL_MS);
  });

  it('keeps an inactive verdict briefly', () => {
    expect(verdictTtlMs({ active: false }, now)).toBe(INACTIVE_VERDICT_TTL_MS);
  });

  it('asks once for concurrent questions about one token, reuses the answer, and asks again after it lapses', async () => {
    let clock = now;
    const cache = new IntrospectionCache<IntrospectionVerdict>(verdictTtlMs, 100, () => clock);
    const introspect = jest.fn(async () => ({ active: true, exp: clock / 1000 + 30 }));
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('token-a', introspect)));
    expect(introspect).toHaveBeenCalledTimes(1);
    expect(answers.every((a) => !a.cacheHit)).toBe(true);
    expect((await cache.get('token-a', introspect)).cacheHit).toBe(true);
    clock += 30_001;
    expect((await cache.get('token-a', introspect)).cacheHit).toBe(false);
    expect(introspect).toHaveBeenCalledTimes(2);
  });

  it('keeps answers for different tokens apart', async () => {
    const cache = new IntrospectionCache<IntrospectionVerdict>(verdictTtlMs, 100, () => now);
    await cache.get('token-a', async () => ({ active: true, sub: 'a' }));
    expect((await cache.get('token-b', async () => ({ active: false }))).verdict).toEqual({ active: false });
    expect((await cache.get('token-a', async () => ({ active: false }))).verdict).toEqual({
      active: true,
      sub: 'a',
    });
  });
});
