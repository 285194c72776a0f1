import { RequestStats } from './request-stats';

describe('RequestStats', () => {
  let now = 1_700_000_000_000;
  const clock = () => now;

  it('starts healthy with a success rate of 1 and no last success', () => {
    const stats = new RequestStats({}, clock);
    expect(stats.assess()).toEqual({ status: 'healthy', issues: [] });
    expect(stats.snapshot()).toMatchObject({ total_requests: 0, success_rate: 1, last_success_at: null });
  });

  it('counts outcomes, consecutive failures and the time of the last success', () => {
    const stats = new RequestStats({}, clock);
    stats.recordSuccess();
    now += 61_000;
    stats.recordFailure();
    stats.recordFailure();
    expect(stats.snapshot()).toEqual({
      total_requests: 3,
      successful_requests: 1,
      consecutive_failures: 2,
      last_success_at: new Date(now - 61_000).toISOString(),
      success_rate: 0.333,
      uptime_seconds: 61,
    });
    stats.recordSuccess();
    expect(stats.snapshot().consecutive_failures).toBe(0);
  });

  it('is degraded after 5 consecutive failures by default, not after 4', () => {
    const stats = new RequestStats({}, clock);
    for (let i = 0; i < 100; i++) stats.recordSuccess();
    for (let i = 0; i < 4; i++) stats.recordFailure();
    expect(stats.assess().status).toBe('healthy');
    stats.recordFailure();
    expect(stats.assess()).toEqual({ status: 'degraded', issues: ['5 consecutive failures'] });
  });

  it('is unhealthy below 80% success by default, and healthy at exactly 80%', () => {
    const stats = new RequestStats({}, clock);
    for (let i = 0; i < 8; i++) stats.recordSuccess();
    stats.recordFailure();
    stats.recordFailure();
    expect(stats.assess().status).toBe('healthy');
    stats.recordFailure();
    expect(stats.assess()).toEqual({ status: 'unhealthy', issues: ['success rate 72.7% is below 80%'] });
  });

  it('does not judge the success rate before the minimum sample', () => {
    const stats = new RequestStats({}, clock);
    stats.recordFailure();
    expect(stats.assess().status).toBe('healthy');
  });

  it('reports both issues when both thresholds are crossed', () => {
    const stats = new RequestStats({}, clock);
    for (let i = 0; i < 10; i++) stats.recordFailure();
    expect(stats.assess()).toEqual({ status: 'unhealthy', issues: ['success rate 0.0% is below 80%', '10 consecutive failures'] });
  });

  it('follows a configured policy', () => {
    const stats = new RequestStats({ degradedAfterConsecutiveFailures: 2, unhealthyBelowSuccessRate: 0.99, minRequestsForSuccessRate: 3 }, clock);
    stats.recordSuccess();
    stats.recordSuccess();
    stats.recordFailure();
    expect(stats.assess().status).toBe('unhealthy');
    stats.recordFailure();
    expect(stats.assess().issues).toContain('2 consecutive failures');
  });
});
