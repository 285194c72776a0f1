export { HealthModule, type HealthModuleOptions } from './lib/health.module';
export { ReadinessRegistry, DEFAULT_CHECK_TIMEOUT_MS, type DependencyCheck } from './lib/readiness-registry';
export { ShutdownState } from './lib/shutdown-state';
export { httpCheck, postgresCheck, redisCheck, type Pingable, type Queryable } from './lib/dependency-checks';
export {
  DEFAULT_DEGRADATION_POLICY,
  RequestStats,
  type DegradationPolicy,
  type HealthAssessment,
  type RequestStatsSnapshot,
  type ServiceStatus,
} from './lib/request-stats';
