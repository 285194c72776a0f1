import { fullJitterBackoffMs } from './backoff';

describe('fullJitterBackoffMs', () => {
  const policy = { baseMs: 100, capMs: 2000 };

  it('doubles the ceiling with each attempt', () => {
    expect([0, 1, 2, 3].map((attempt) => fullJitterBackoffMs(attempt, policy, () => 0.999))).toEqual([99, 199, 399, 799]);
  });

  it('never exceeds the cap', () => {
    expect(fullJitterBackoffMs(10, policy, () => 0.999)).toBe(1998);
    expect(fullJitterBackoffMs(10, policy, () => 0.5)).toBe(1000);
  });

  it('can be zero: full jitter starts at no delay', () => {
    expect(fullJitterBackoffMs(2, policy, () => 0)).toBe(0);
  });
});
