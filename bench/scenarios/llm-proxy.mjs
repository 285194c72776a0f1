// Scenarios for llm-proxy (see bench/scenarios.mjs for the fields). The fixed-rate added-latency measurement is
// bench/llm-proxy-latency.mjs, which reuses the configuration below.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { SignJWT, importPKCS8 } from 'jose';
import { startFakeOpenAi } from './fake-openai.mjs';

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

// The fake upstream's port is fixed now (the proxy's env names it) but the process starts only when a scenario
// needs it, so `node bench/run.mjs gcp-token` starts nothing for llm-proxy.
const upstreamPort = await freePort();
let upstream;
export function startUpstream() {
  upstream ??= startFakeOpenAi({ port: upstreamPort });
  return upstream;
}

export const UPSTREAM_URL = `http://127.0.0.1:${upstreamPort}/v1/chat/completions`;
export const UPSTREAM_KEY = 'sk-bench-upstream-key';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'RS256');
const jwt = await new SignJWT({ product: 'bench-product' })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
  .setSubject('bench-user')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(signingKey);

/** JWT auth, limits in the machine's Redis (set high: the bench measures their cost, not their refusals), validation. */
export const PROXY_ENV = {
  API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({ 'bench-product': UPSTREAM_KEY }),
  API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({
    'bench-1': publicKey.export({ type: 'spki', format: 'pem' }),
  }),
  API_KEY_SERVER_OPENAI_BASE_URL: UPSTREAM_URL,
  API_KEY_SERVER_ALLOWED_MODELS: '["gpt-4o-mini"]',
  API_KEY_SERVER_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  API_KEY_SERVER_REDIS_PREFIX: `bench-llm-${Date.now()}-${process.pid}`,
  API_KEY_SERVER_RATE_LIMIT_CAPACITY: '1000000000',
  API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '1000000000',
  API_KEY_SERVER_DAILY_QUOTA: '1000000000000',
  API_KEY_SERVER_USAGE_RETENTION_DAYS: '1',
};

export const CHAT_BODY = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello in five words.' },
  ],
  max_tokens: 64,
  temperature: 0.7,
};

export const PROXY_REQUEST = {
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { authorization: `Bearer ${jwt}` },
  body: CHAT_BODY,
};
export const DIRECT_REQUEST = {
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
  body: CHAT_BODY,
};

const DIRECT_ONE = 'llm-proxy upstream directly (1 connection)';

export const scenarios = [
  // What the proxy adds to one request, without queueing: the same completion directly and through the proxy.
  // (The added latency at a fixed 500 req/s, p99 included, is bench/llm-proxy-latency.mjs.)
  {
    name: DIRECT_ONE,
    target: 'openai-upstream',
    baseUrl: new URL(UPSTREAM_URL).origin,
    connections: 1,
    request: DIRECT_REQUEST,
    setup: async () => {
      await startUpstream();
    },
  },
  {
    name: 'llm-proxy POST /v1/chat/completions (1 connection)',
    target: 'llm-proxy',
    env: PROXY_ENV,
    connections: 1,
    request: PROXY_REQUEST,
    setup: async () => {
      await startUpstream();
    },
    comparedTo: DIRECT_ONE,
    maxAddedP50Ms: 1.5,
  },
  {
    name: 'llm-proxy POST /v1/chat/completions (JWT, Redis limits, JSON)',
    target: 'llm-proxy',
    env: PROXY_ENV,
    request: PROXY_REQUEST,
    setup: async () => {
      await startUpstream();
    },
    minRatio: 0.35,
  },
];
