import { UsageBuffer } from './usage-buffer';
import { MAX_ENDPOINTS_PER_DAY, OTHER_ENDPOINTS, applyFlush, sumUsage } from './usage.model';

const NOON = Date.parse('2026-03-01T12:00:00Z');

describe('UsageBuffer', () => {
  it('aggregates every use of a key on a day into one entry to write', () => {
    const buffer = new UsageBuffer(100, () => NOON);
    buffer.record('k1', 'p', '/orders', 200);
    buffer.record('k1', 'p', '/orders', 500, 3);
    buffer.record('k1', 'p', '/users', 200);
    buffer.record('k2', 'p', '/orders', 200);
    const drained = buffer.drain();
    expect(drained).toHaveLength(2);
    expect(drained.find((entry) => entry.keyId === 'k1')).toMatchObject({
      day: '2026-03-01',
      providerId: 'p',
      counts: { requests: 5, endpoints: { '/orders': 4, '/users': 1 }, statusCodes: { '200': 2, '500': 3 }, lastUsedAt: NOON },
    });
  });

  it('keeps separate entries per UTC day', () => {
    let now = Date.parse('2026-03-01T23:59:59.999Z');
    const buffer = new UsageBuffer(100, () => now);
    buffer.record('k1', 'p', '/a', 200);
    now += 1;
    buffer.record('k1', 'p', '/a', 200);
    expect(buffer.drain().map((entry) => entry.day)).toEqual(['2026-03-01', '2026-03-02']);
  });

  it('offers an unconfirmed entry again with the same flush id, alongside new usage', () => {
    const buffer = new UsageBuffer(100, () => NOON);
    buffer.record('k1', 'p', '/a', 200);
    const [first] = buffer.drain();
    buffer.record('k1', 'p', '/a', 200, 2);
    const second = buffer.drain();
    expect(second.map((entry) => entry.flushId)).toEqual([first!.flushId, expect.any(String)]);
    expect(second[1]!.flushId).not.toBe(first!.flushId);
    buffer.settle(first!.flushId);
    buffer.settle(second[1]!.flushId);
    expect(buffer.pending).toBe(0);
    expect(buffer.drain()).toEqual([]);
  });

  it('refuses usage for new keys once it holds maxPendingKeys, but still counts known ones', () => {
    const buffer = new UsageBuffer(2, () => NOON);
    expect(buffer.record('k1', 'p', '/a', 200)).toBe(true);
    expect(buffer.record('k2', 'p', '/a', 200)).toBe(true);
    expect(buffer.record('k3', 'p', '/a', 200)).toBe(false);
    expect(buffer.record('k1', 'p', '/a', 200)).toBe(true);
  });

  it('folds endpoints past the per-day limit into one bucket', () => {
    const buffer = new UsageBuffer(10, () => NOON);
    for (let i = 0; i <= MAX_ENDPOINTS_PER_DAY; i++) buffer.record('k1', 'p', `/e${i}`, 200);
    const [entry] = buffer.drain();
    expect(Object.keys(entry!.counts.endpoints)).toHaveLength(MAX_ENDPOINTS_PER_DAY + 1);
    expect(entry!.counts.endpoints[OTHER_ENDPOINTS]).toBe(1);
  });
});

describe('applyFlush', () => {
  const pending = {
    flushId: 'r1:1',
    keyId: 'k1',
    providerId: 'p',
    day: '2026-03-01',
    counts: { requests: 2, endpoints: { '/a': 2 }, statusCodes: { '200': 2 }, lastUsedAt: NOON },
  };

  it('starts a row, then adds to it', () => {
    const row = applyFlush(undefined, pending)!;
    expect(row).toMatchObject({ requests: 2, endpoints: { '/a': 2 }, appliedFlushes: ['r1:1'] });
    const next = applyFlush(row, { ...pending, flushId: 'r2:7', counts: { requests: 1, endpoints: { '/b': 1 }, statusCodes: { '404': 1 }, lastUsedAt: NOON + 5 } })!;
    expect(next).toMatchObject({
      requests: 3,
      endpoints: { '/a': 2, '/b': 1 },
      statusCodes: { '200': 2, '404': 1 },
      lastUsedAt: NOON + 5,
      appliedFlushes: ['r1:1', 'r2:7'],
    });
  });

  it('recognises a flush it already holds, so a retried write counts once', () => {
    expect(applyFlush(applyFlush(undefined, pending), pending)).toBeUndefined();
  });
});

describe('sumUsage', () => {
  it('adds days together and keeps the latest use', () => {
    expect(
      sumUsage([
        { requests: 2, endpoints: { '/a': 2 }, statusCodes: { '200': 2 }, lastUsedAt: 5 },
        { requests: 3, endpoints: { '/a': 1, '/b': 2 }, statusCodes: { '429': 3 }, lastUsedAt: 9 },
      ]),
    ).toEqual({ requests: 5, endpoints: { '/a': 3, '/b': 2 }, statusCodes: { '200': 2, '429': 3 }, lastUsedAt: 9 });
    expect(sumUsage([])).toEqual({ requests: 0, endpoints: {}, statusCodes: {} });
  });
});
