export { bootstrap, createPlatformApp, shutdownGracefully, type PlatformApp, type PlatformOptions } from './lib/bootstrap';
export { HttpErrorFilter, HttpErrorWithHeaders, toErrorBody, type ErrorBody } from './lib/http-error.filter';
export { HotPathCounter, MetricsService, type HotPathCounterOptions } from './lib/metrics';
export { REQUEST_ID_HEADER } from './lib/request-id';
export { annotateRequest, sanitizeUrl } from './lib/logging';
export { fullJitterBackoffMs, type BackoffPolicy } from './lib/backoff';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './lib/circuit-breaker';
export { FastRoutes, schemaErrorMessage, type FastRouteDefinition, type FastRouteDocs, type JsonSchema } from './lib/fast-route';
