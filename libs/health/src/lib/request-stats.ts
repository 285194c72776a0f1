export type ServiceStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface DegradationPolicy {
  /** Degraded once this many requests in a row have failed. */
  readonly degradedAfterConsecutiveFailures: number;
  /** Unhealthy while the success rate is below this fraction... */
  readonly unhealthyBelowSuccessRate: number;
  /** ...once at least this many requests have been seen, so one early failure does not condemn the service. */
  readonly minRequestsForSuccessRate: number;
}

export const DEFAULT_DEGRADATION_POLICY: DegradationPolicy = {
  degradedAfterConsecutiveFailures: 5,
  unhealthyBelowSuccessRate: 0.8,
  minRequestsForSuccessRate: 10,
};

export interface RequestStatsSnapshot {
  readonly total_requests: number;
  readonly successful_requests: number;
  readonly consecutive_failures: number;
  readonly last_success_at: string | null;
  readonly success_rate: number;
  readonly uptime_seconds: number;
}

export interface HealthAssessment {
  readonly status: ServiceStatus;
  readonly issues: readonly string[];
}

/** Counts the outcomes of an app's main operation and judges its health by a DegradationPolicy. */
export class RequestStats {
  private total = 0;
  private successful = 0;
  private consecutiveFailures = 0;
  private lastSuccessAt: number | null = null;
  private readonly startedAt: number;
  private readonly policy: DegradationPolicy;

  constructor(
    policy: Partial<DegradationPolicy> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.policy = { ...DEFAULT_DEGRADATION_POLICY, ...policy };
    this.startedAt = now();
  }

  recordSuccess(): void {
    this.total += 1;
    this.successful += 1;
    this.consecutiveFailures = 0;
    this.lastSuccessAt = this.now();
  }

  recordFailure(): void {
    this.total += 1;
    this.consecutiveFailures += 1;
  }

  snapshot(): RequestStatsSnapshot {
    return {
      total_requests: this.total,
      successful_requests: this.successful,
      consecutive_failures: this.consecutiveFailures,
      last_success_at: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
      success_rate: this.successRate(),
      uptime_seconds: Math.floor((this.now() - this.startedAt) / 1000),
    };
  }

  assess(): HealthAssessment {
    const issues: string[] = [];
    let status: ServiceStatus = 'healthy';
    const rate = this.successRate();
    if (this.total >= this.policy.minRequestsForSuccessRate && rate < this.policy.unhealthyBelowSuccessRate) {
      status = 'unhealthy';
      issues.push(
        `success rate ${(rate * 100).toFixed(1)}% is below ${(this.policy.unhealthyBelowSuccessRate * 100).toFixed(0)}%`,
      );
    }
    if (this.consecutiveFailures >= this.policy.degradedAfterConsecutiveFailures) {
      if (status === 'healthy') status = 'degraded';
      issues.push(`${this.consecutiveFailures} consecutive failures`);
    }
    return { status, issues };
  }

  private successRate(): number {
    return this.total === 0 ? 1 : Math.round((this.successful / this.total) * 1000) / 1000;
  }
}
