// Scenarios for api-key-manager (see bench/scenarios.mjs for the fields).
import { connectionString, lazyAzurite } from './azurite.mjs';

const azurite = await lazyAzurite();
const ADMIN_KEY = 'bench-admin-key-0123456789';
const SERVICE_KEY = 'bench-service-key';
const common = {
  ADMIN_API_KEY: ADMIN_KEY,
  API_KEY_HASH_PEPPER: 'bench-pepper-0123456789abcdef0123456789',
  VERIFY_API_KEYS: SERVICE_KEY,
  USAGE_EXPORT_ENABLED: 'false',
};
const verify = (body) => ({
  method: 'POST',
  path: '/auth/keys/verify',
  headers: { authorization: `Bearer ${SERVICE_KEY}` },
  body,
});

/** A fresh key with a scope and an address rule, so a verification does every check. */
async function keyFor({ baseUrl }) {
  await azurite.ready();
  const response = await fetch(`${baseUrl}/auth/keys/generate`, {
    method: 'POST',
    headers: { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ provider_id: 'bench', name: 'bench', environment: 'live', scopes: ['api:access'], ip_restrictions: ['10.0.0.0/8'] }),
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 201) throw new Error(`generating the bench key answered ${response.status}: ${await response.text()}`);
  const { key } = await response.json();
  return { body: { key, required_scopes: ['api:access'], client_ip: '10.1.2.3' } };
}

export const scenarios = [
  {
    name: 'api-key-manager POST /auth/keys/verify (warm cache)',
    target: 'api-key-manager',
    env: { ...common, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    request: verify({ key: 'set by setup' }),
    setup: keyFor,
    minRatio: 0.5,
    maxP99Ms: 5,
  },
  {
    // No cache at all: every verification is a point read on Azurite (which shares the machine's two cores).
    name: 'api-key-manager POST /auth/keys/verify (cold cache, Azurite)',
    target: 'api-key-manager',
    env: { ...common, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString, VERIFY_CACHE_TTL_MS: '0' },
    request: verify({ key: 'set by setup' }),
    setup: keyFor,
  },
  {
    // Storage points at a closed port: one storage call would turn the 200 into a 503 and fail the scenario.
    name: 'api-key-manager POST /auth/keys/verify (forged checksum, no storage)',
    target: 'api-key-manager',
    env: { ...common, AZURE_STORAGE_CONNECTION_STRING: connectionString({ blob: 9, table: 9 }), MAX_RETRIES: '0' },
    request: verify({ key: 'permas_live_4eC39HqLyjWDarjtT1zdp7dcK2tGk0nM1Dwaxx' }),
  },
];
