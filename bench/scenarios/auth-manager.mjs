// Scenarios for auth-manager (see bench/scenarios.mjs for the fields). The stand-ins (PostgreSQL database and the
// dev IdP) start only when one of these is selected; see auth-manager-stand-ins.mjs.
import { API_KEY, env, storedTokenPath } from './auth-manager-stand-ins.mjs';

const mint = {
  method: 'POST',
  // Replaced by setup with the stored token's id.
  path: '/tokens/{id}/access-token',
  headers: { authorization: `Bearer ${API_KEY}` },
};

export const scenarios = [
  {
    name: 'auth-manager POST /tokens/:id/access-token (cached)',
    target: 'auth-manager',
    env,
    request: mint,
    setup: ({ baseUrl }) => storedTokenPath(baseUrl),
    minRatio: 0.4,
  },
  {
    // A minimum validity above the provider's access-token lifetime (300 s) makes every mint a refresh: row lock,
    // refresh grant at the dev IdP with rotation, encrypted write, commit. One connection, so each request waits
    // for exactly its own refresh; p50 and p99 are the refresh path's latency.
    name: 'auth-manager POST /tokens/:id/access-token (refresh path)',
    target: 'auth-manager',
    env: { ...env, AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS: '3600' },
    connections: 1,
    request: mint,
    setup: ({ baseUrl }) => storedTokenPath(baseUrl),
  },
];
