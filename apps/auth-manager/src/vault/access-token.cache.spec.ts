import { AccessTokenCache, type MintResult } from './access-token.cache';

describe('AccessTokenCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  const result = (
    name: string,
    lifetimeMs: number,
    source: MintResult['source'] = 'refresh',
  ): MintResult => ({
    token: { accessToken: name, expiresAt: now + lifetimeMs, scope: 'openid' },
    source,
  });

  it('loads once for 500 concurrent callers of one token, and serves the rest from memory', async () => {
    const cache = new AccessTokenCache(30_000, 5_000, 100, clock);
    const load = jest.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return result('t1', 300_000);
    });
    const results = await Promise.all(Array.from({ length: 500 }, () => cache.get('id-1', load)));
    expect(load).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => r.token.accessToken))).toEqual(new Set(['t1']));
    expect(await cache.get('id-1', load)).toMatchObject({ source: 'memory', token: { accessToken: 't1' } });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('asks the vault again once the token is within the minimum validity', async () => {
    const cache = new AccessTokenCache(30_000, 60_000, 100, clock);
    let n = 0;
    const load = jest.fn(async () => result(`t${++n}`, 60_000));
    await cache.get('id', load);
    now += 29_999;
    expect((await cache.get('id', load)).source).toBe('memory');
    now += 2;
    expect((await cache.get('id', load)).token.accessToken).toBe('t2');
  });

  it('rechecks with the vault after the recheck interval even when the token is still valid', async () => {
    const cache = new AccessTokenCache(0, 5_000, 100, clock);
    const load = jest.fn(async () => result('t', 3_600_000, 'vault'));
    await cache.get('id', load);
    now += 4_999;
    await cache.get('id', load);
    expect(load).toHaveBeenCalledTimes(1);
    now += 2;
    await cache.get('id', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failure, and the next caller tries again', async () => {
    const cache = new AccessTokenCache(0, 5_000, 100, clock);
    await expect(
      cache.get('id', async () => {
        throw new Error('provider down');
      }),
    ).rejects.toThrow('provider down');
    expect((await cache.get('id', async () => result('t', 1000))).token.accessToken).toBe('t');
  });

  it('does not put back a token forgotten while its load was in flight', async () => {
    const cache = new AccessTokenCache(0, 60_000, 100, clock);
    let release: (value: MintResult) => void = () => undefined;
    const pending = cache.get('id', () => new Promise<MintResult>((resolve) => (release = resolve)));
    cache.forget('id');
    release(result('deleted', 60_000));
    await pending;
    const load = jest.fn(async () => result('fresh', 60_000));
    expect((await cache.get('id', load)).token.accessToken).toBe('fresh');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('holds at most maxEntries tokens, dropping the oldest', async () => {
    const cache = new AccessTokenCache(0, 60_000, 2, clock);
    for (const id of ['a', 'b', 'c']) await cache.get(id, async () => result(id, 60_000));
    const load = jest.fn(async () => result('again', 60_000));
    expect((await cache.get('c', load)).source).toBe('memory');
    expect((await cache.get('a', load)).token.accessToken).toBe('again');
  });
});
