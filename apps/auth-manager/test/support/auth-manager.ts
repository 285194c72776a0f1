import {
  type AppProcess,
  type AppRun,
  type DevIdp,
  type IdpClient,
  type TestDatabase,
  runAppToExit,
} from '@auth-platform/testing';

export const API_KEY = 'e2e-caller-key-0123456789abcdef';
export const OTHER_API_KEY = 'e2e-second-caller-key-fedcba9876543210';
export const VAULT_KEY = 'a1b2'.repeat(16);
export const NEXT_VAULT_KEY = 'c3d4'.repeat(16);
export const STATE_SECRET = 'e2e-state-token-secret-0123456789abcdef';
/** Registered at the provider; the tests read the code from the redirect instead of following it. */
export const REDIRECT_URI = 'http://auth-manager.test/offline/callback';

export const CLIENT: IdpClient = {
  client_id: 'auth-manager',
  client_secret: 'e2e-client-secret-value',
  redirect_uris: [REDIRECT_URI],
};
/** Another client of the realm, whose tokens auth-manager must refuse to store. */
export const OTHER_CLIENT: IdpClient = {
  client_id: 'someone-else',
  client_secret: 'someone-else-secret',
  redirect_uris: [REDIRECT_URI],
};
export const ADMIN_CLIENT = { client_id: 'auth-manager-admin', client_secret: 'e2e-admin-secret-value' };

/** The env of an instance that uses `idp` and `database`; `extra` overrides. */
export function appEnv(
  idp: DevIdp,
  database: TestDatabase,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATABASE_URL: database.url,
    KEYCLOAK_ISSUER: idp.issuer,
    KEYCLOAK_CLIENT_ID: CLIENT.client_id,
    KEYCLOAK_CLIENT_SECRET: CLIENT.client_secret,
    KEYCLOAK_REDIRECT_URI: REDIRECT_URI,
    AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: VAULT_KEY,
    STATE_TOKEN_SECRET: STATE_SECRET,
    AUTH_MANAGER_API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
    ...extra,
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

async function request(url: string, init: RequestInit): Promise<HttpResult> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** HTTP calls to an instance, authenticated with an API key unless `key` is null. */
export function caller(app: AppProcess, key: string | null = API_KEY) {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    ...extra,
  });
  return {
    get: (path: string, extra?: Record<string, string>) =>
      request(`${app.url}${path}`, { headers: headers(extra) }),
    post: (path: string, body?: unknown, extra?: Record<string, string>) =>
      request(`${app.url}${path}`, {
        method: 'POST',
        headers: headers(body === undefined ? extra : { 'content-type': 'application/json', ...extra }),
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    delete: (path: string, extra?: Record<string, string>) =>
      request(`${app.url}${path}`, { method: 'DELETE', headers: headers(extra) }),
  };
}

/** Waits until /health/ready answers 200 (the database connects and migrates in the background). */
export async function waitUntilReady(app: AppProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const ready = await fetch(`${app.url}/health/ready`);
    last = await ready.text();
    if (ready.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms: ${last}`);
}

export type CommandRun = AppRun;

/** `node dist/apps/auth-manager/main.js <command>` (migrate, rewrap) with only the given env. */
export function runCommand(command: string, env: Record<string, string>, timeoutMs = 30_000): Promise<CommandRun> {
  return runAppToExit('auth-manager', env, timeoutMs, [command]);
}

/** Retries an assertion for a while: the app writes its log lines asynchronously. */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
