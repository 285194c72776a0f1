import { startFakeGoogle } from './fake-google.mjs';

const google = await startFakeGoogle();

export const scenarios = [
  {
    name: 'gcp-token POST /token (cached)',
    target: 'gcp-token',
    env: { API_KEY: 'bench-key', SERVICE_ACCOUNT_JSON: google.serviceAccountJson, TOKEN_RATE_LIMIT_PER_MINUTE: '1000000' },
    request: { method: 'POST', path: '/token', headers: { authorization: 'Bearer bench-key' } },
    minRatio: 0.6,
    maxP99Ms: 10,
  },
];
