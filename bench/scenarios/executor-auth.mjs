// Scenarios for executor-auth (see bench/scenarios.mjs for the fields). Each POST /execute scenario is compared
// with calling the same local platform API directly in the same run: `+p50 ms` is what the service adds.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakePlatform } from './fake-platform.mjs';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// The port is fixed now (the service's env names it); the fake starts only when a scenario needs it.
const PLATFORM = `http://127.0.0.1:${await freePort()}`;
let platform;
const startPlatform = () => (platform ??= startFakePlatform({ port: Number(new URL(PLATFORM).port) }));

const ENV = {
  API_AUTH_URL: `${PLATFORM}/login`,
  API_AUTH_EMAIL: 'bench-user@example.test',
  API_AUTH_PASSWORD: 'bench-password',
  API_EXECUTOR_BASE_URL: `${PLATFORM}/api`,
  EXECUTOR_API_KEYS: 'bench-key',
};

/** The same platform call, through the service and directly. */
const EXECUTE = {
  method: 'POST',
  path: '/execute',
  headers: { authorization: 'Bearer bench-key' },
  body: { method: 'GET', path: '/v1/clusters', query: { limit: 10 } },
};
const DIRECT = { method: 'GET', path: '/api/v1/clusters?limit=10' };

async function directSetup() {
  await startPlatform();
  const response = await fetch(`${PLATFORM}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ENV.API_AUTH_EMAIL, password: ENV.API_AUTH_PASSWORD }),
  });
  const { accessToken } = await response.json();
  return { headers: { authorization: `Bearer ${accessToken}` } };
}

// When the service started before the fake (a filter that leaves out the direct scenarios), its first login
// failed; it retries in the background within seconds.
async function executorSetup({ baseUrl }) {
  await startPlatform();
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${baseUrl}/health/ready`)).status !== 200) {
    if (Date.now() > deadline)
      throw new Error('executor-auth did not log in to the local platform within 15 s');
    await sleep(100);
  }
}

const DIRECT_ONE = 'executor-auth platform API directly (1 connection)';
const DIRECT_MANY = 'executor-auth platform API directly';

export const scenarios = [
  {
    name: DIRECT_ONE,
    target: 'platform-api',
    baseUrl: PLATFORM,
    connections: 1,
    request: DIRECT,
    setup: directSetup,
  },
  {
    name: 'executor-auth POST /execute (1 connection)',
    target: 'executor-auth',
    env: ENV,
    connections: 1,
    request: EXECUTE,
    setup: executorSetup,
    comparedTo: DIRECT_ONE,
    maxAddedP50Ms: 1.5,
  },
  { name: DIRECT_MANY, target: 'platform-api', baseUrl: PLATFORM, request: DIRECT, setup: directSetup },
  {
    name: 'executor-auth POST /execute',
    target: 'executor-auth',
    env: ENV,
    request: EXECUTE,
    setup: executorSetup,
    comparedTo: DIRECT_MANY,
  },
];
