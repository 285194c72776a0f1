// Stand-ins for the auth-manager scenarios: the machine's PostgreSQL (a database auth_manager_bench_<time> per
// run, left in place at exit and dropped by the next run) and the dev IdP (apps/auth-manager/scripts/dev-idp.mjs)
// as a child process.
// Nothing starts at import: only a run that selects an auth-manager scenario creates the database and the IdP,
// from the scenario's setup (the app meanwhile retries its database connection and provider discovery).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signInAtDevIdp } from '../../apps/auth-manager/scripts/dev-idp-sign-in.mjs';

const DEV_IDP = fileURLToPath(new URL('../../apps/auth-manager/scripts/dev-idp.mjs', import.meta.url));
const DATABASE_PREFIX = 'auth_manager_bench_';
const DATABASE = `${DATABASE_PREFIX}${Date.now()}`;
/** An earlier run's database older than this is gone with its run and is dropped. */
const LEFTOVER_AGE_MS = 10 * 60_000;
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const CLIENT = {
  client_id: 'auth-manager-bench',
  client_secret: 'bench-client-secret-value',
  redirect_uris: ['http://auth-manager.bench/offline/callback'],
};
export const API_KEY = 'bench-caller-key-0123456789';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const idpPort = await freePort();
const issuer = `http://127.0.0.1:${idpPort}/realms/dev`;

/** The app env: this run's database and IdP, whether or not they are running yet. */
export const env = {
  DATABASE_URL: `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${DATABASE}`,
  KEYCLOAK_ISSUER: issuer,
  KEYCLOAK_CLIENT_ID: CLIENT.client_id,
  KEYCLOAK_CLIENT_SECRET: CLIENT.client_secret,
  KEYCLOAK_REDIRECT_URI: CLIENT.redirect_uris[0],
  AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: '7e'.repeat(32),
  STATE_TOKEN_SECRET: 'bench-state-token-secret-0123456789abcdef',
  AUTH_MANAGER_API_KEYS: API_KEY,
};

async function createDatabase() {
  const client = new pg.Client({ ...POSTGRES, database: 'test', connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `auth-manager scenarios need PostgreSQL at ${POSTGRES.host}:${POSTGRES.port} (user postgres): ${error.message}`,
    );
  }
  try {
    const { rows } = await client.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      DATABASE_PREFIX,
    ]);
    for (const { datname } of rows) {
      const createdAt = Number(datname.slice(DATABASE_PREFIX.length));
      if (/^[a-z0-9_]+$/.test(datname) && Date.now() - createdAt > LEFTOVER_AGE_MS) {
        await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
    }
    // The app started before this, retrying its connection; it connects and migrates once the database exists.
    await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function startIdp() {
  const child = spawn(process.execPath, [DEV_IDP], {
    env: {
      PATH: process.env.PATH ?? '',
      DEV_IDP_PORT: String(idpPort),
      DEV_IDP_CONFIG: JSON.stringify({ clients: [CLIENT], users: { 'bench-user': 'bench-user' } }),
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  process.once('exit', () => child.kill());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dev IdP did not start within 15 s')), 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      if (chunk.includes('"event":"listening"')) {
        clearTimeout(timer);
        // The IdP must not keep the bench process alive; the exit handler above stops it.
        child.unref();
        child.stdout.unref();
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`dev IdP exited with ${code}`)));
  });
}

let started;
function ensureStarted() {
  started ??= (async () => {
    await createDatabase();
    await startIdp();
  })();
  return started;
}

async function waitUntilReady(baseUrl) {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/health/ready`);
    last = await response.text();
    if (response.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`auth-manager did not become ready: ${last}`);
}

/**
 * Setup for a scenario: stand-ins up, app ready, a signed-in user's refresh token stored, one access token minted;
 * returns the request patch with the stored token's path.
 */
export async function storedTokenPath(baseUrl) {
  await ensureStarted();
  await waitUntilReady(baseUrl);
  const tokens = await signInAtDevIdp({
    issuer,
    clientId: CLIENT.client_id,
    clientSecret: CLIENT.client_secret,
    redirectUri: CLIENT.redirect_uris[0],
    user: 'bench-user',
  });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const stored = await fetch(`${baseUrl}/tokens`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ refresh_token: tokens.refresh_token, token_type: 'refresh' }),
  });
  if (stored.status !== 201)
    throw new Error(`storing the bench token answered ${stored.status}: ${await stored.text()}`);
  const { id } = await stored.json();
  const path = `/tokens/${id}/access-token`;
  const minted = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: headers.authorization },
  });
  if (minted.status !== 200)
    throw new Error(`priming the access token answered ${minted.status}: ${await minted.text()}`);
  return { path };
}
