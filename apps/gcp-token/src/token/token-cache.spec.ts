import { type AccessToken, TokenCache } from './token-cache';

describe('TokenCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  const token = (name: string, lifetimeMs: number): AccessToken => ({ accessToken: name, expiresAt: now + lifetimeMs });

  it('fetches once for 500 concurrent callers on a cold cache', async () => {
    const cache = new TokenCache(300_000, clock);
    const fetchToken = jest.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return token('t1', 3_600_000);
    });
    const results = await Promise.all(Array.from({ length: 500 }, () => cache.get('sa|scope', fetchToken)));
    expect(fetchToken).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set(['t1']));
    expect(results.filter((r) => !r.cacheHit)).toHaveLength(500);
    expect((await cache.get('sa|scope', fetchToken)).cacheHit).toBe(true);
  });

  it('refreshes once the token is inside the margin, and not before', async () => {
    const cache = new TokenCache(300_000, clock);
    let n = 0;
    const fetchToken = jest.fn(async () => token(`t${++n}`, 3_600_000));
    await cache.get('k', fetchToken);
    now += 3_600_000 - 300_001;
    expect((await cache.get('k', fetchToken)).accessToken).toBe('t1');
    now += 2;
    expect((await cache.get('k', fetchToken)).accessToken).toBe('t2');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('keys are independent', async () => {
    const cache = new TokenCache(0, clock);
    const a = await cache.get('a', async () => token('ta', 1000));
    const b = await cache.get('b', async () => token('tb', 1000));
    expect([a.accessToken, b.accessToken]).toEqual(['ta', 'tb']);
  });

  it('serves the old token when a refresh inside the margin fails, and the error once it has expired', async () => {
    const cache = new TokenCache(300_000, clock);
    await cache.get('k', async () => token('old', 600_000));
    now += 400_000;
    const failing = jest.fn(async (): Promise<AccessToken> => {
      throw new Error('upstream down');
    });
    expect(await cache.get('k', failing)).toMatchObject({ accessToken: 'old', cacheHit: true });
    now += 200_001;
    await expect(cache.get('k', failing)).rejects.toThrow('upstream down');
  });

  it('lets the next caller retry after a failed fetch', async () => {
    const cache = new TokenCache(0, clock);
    await expect(
      cache.get('k', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await cache.get('k', async () => token('t', 1000))).accessToken).toBe('t');
  });
});
