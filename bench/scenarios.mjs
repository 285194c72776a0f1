/**
 * Load-benchmark scenarios for bench/run.mjs. `baseline` is measured first in every run and every other
 * scenario's req/s is reported as a ratio of it.
 *
 * To add a scenario, append an object to `scenarios` (an app's own go in bench/scenarios/<app>.mjs):
 *
 *   name            Unique label. `node bench/run.mjs <substring>` selects scenarios by it.
 *   target          'baseline' or an app name; an app is started as `node dist/apps/<target>/main.js`.
 *   env             Optional extra env for the app (added to PATH, PORT, LOG_LEVEL=warn, NODE_ENV=development).
 *                   Scenarios with the same target and env share one process.
 *   request         { method, path, headers?, body? }. A non-string body is sent as JSON.
 *   expectedStatus  Optional. By default any 2xx passes; with it, every other status counts as a failure
 *                   (e.g. 401 to benchmark rejecting a bad key).
 *   setup           Optional async ({ baseUrl, target, request }) => request patch | undefined. Runs once after
 *                   the app is live, before warm-up; the patch is merged into `request` (headers are merged),
 *                   e.g. to obtain a token first or to prime a cache.
 *   minRatio        Optional target: req/s must be at least this fraction of the baseline's.
 *   maxP99Ms        Optional target: p99 latency must be at most this many milliseconds.
 *   connections     Optional. Connections for this scenario instead of BENCH_CONNECTIONS (1 measures latency
 *                   without queueing).
 *   baseUrl         Optional. An origin already served by the scenario module (a local upstream measured
 *                   directly): nothing is spawned; `target` is then only a label.
 *   comparedTo      Optional. The name of another scenario; the report shows this one's p50 minus that one's
 *                   (`+p50 ms`), both measured in the same run.
 *   maxAddedP50Ms   Optional target, with comparedTo: that difference must be at most this many milliseconds.
 *
 * Example:
 *   { name: 'gcp-token POST /token (cached)', target: 'gcp-token', env: { API_KEY: 'bench-key' },
 *     request: { method: 'POST', path: '/token', headers: { 'x-api-key': 'bench-key' } },
 *     minRatio: 0.6, maxP99Ms: 10 }
 */

import { scenarios as apiKeyManager } from './scenarios/api-key-manager.mjs';
import { scenarios as authManager } from './scenarios/auth-manager.mjs';
import { scenarios as executorAuth } from './scenarios/executor-auth.mjs';
import { scenarios as gcpToken } from './scenarios/gcp-token.mjs';
import { scenarios as llmProxy } from './scenarios/llm-proxy.mjs';

export const APPS = ['gcp-token', 'llm-proxy', 'api-key-manager', 'auth-manager', 'executor-auth'];

export const baseline = {
  name: 'baseline GET /health/live',
  target: 'baseline',
  request: { method: 'GET', path: '/health/live' },
};

export const scenarios = [
  baseline,
  {
    // Not an app: the baseline server doing only what every keyed route must (security headers, request id, a
    // constant-time key check, a schema-serialized answer). Read the apps' ratios against this one's.
    name: 'floor: bare Fastify POST /token (headers, request id, key check)',
    target: 'baseline',
    env: { BASELINE_FLOOR: '1', FLOOR_API_KEY: 'bench-key' },
    request: { method: 'POST', path: '/token', headers: { authorization: 'Bearer bench-key' } },
  },
  ...APPS.map((app) => ({
    name: `${app} GET /health/live`,
    target: app,
    request: { method: 'GET', path: '/health/live' },
  })),
  // Each app's own scenarios live in bench/scenarios/<app>.mjs.
  ...gcpToken,
  ...llmProxy,
  ...apiKeyManager,
  ...authManager,
  ...executorAuth,
];
