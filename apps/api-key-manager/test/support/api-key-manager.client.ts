import { type AppProcess, startApp } from '@auth-platform/testing';
import type { AzuriteServer } from './azurite';

export const ADMIN_KEY = 'e2e-admin-key-0123456789';
export const SERVICE_KEY = 'e2e-service-key';
export const PEPPER = 'e2e-pepper-0123456789abcdef0123456789';

/** The env an app under test runs with; extra values override. */
export function appEnv(azurite: AzuriteServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    ADMIN_API_KEY: ADMIN_KEY,
    VERIFY_API_KEYS: `${SERVICE_KEY},e2e-other-service-key`,
    API_KEY_HASH_PEPPER: PEPPER,
    USAGE_EXPORT_ENABLED: 'false',
    ...extra,
  };
}

export function startKeyManager(azurite: AzuriteServer, extra: Record<string, string> = {}): Promise<AppProcess> {
  return startApp('api-key-manager', appEnv(azurite, extra), { timeoutMs: 30_000 });
}

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  app: AppProcess,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${app.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
}

export const admin = (extra: Record<string, string> = {}) => ({ 'x-admin-key': ADMIN_KEY, ...extra });
export const service = (key = SERVICE_KEY) => ({ authorization: `Bearer ${key}` });

export interface GeneratedKey {
  readonly token_id: string;
  readonly key: string;
  readonly [field: string]: unknown;
}

export async function generateKey(app: AppProcess, body: Record<string, unknown> = {}): Promise<GeneratedKey> {
  const answer = await call<GeneratedKey>(app, 'POST', '/auth/keys/generate', {
    headers: admin(),
    body: { provider_id: 'provider-e2e', name: 'e2e key', environment: 'test', scopes: ['api:access'], ...body },
  });
  if (answer.status !== 201) throw new Error(`generate answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export interface VerifyAnswer {
  readonly valid: boolean;
  readonly code: string;
  readonly key_id: string | null;
  readonly provider_id: string | null;
  readonly environment: string | null;
  readonly scopes: string[];
  readonly expires_at: string | null;
}

export async function verify(app: AppProcess, body: Record<string, unknown>): Promise<VerifyAnswer> {
  const answer = await call<VerifyAnswer>(app, 'POST', '/auth/keys/verify', { headers: service(), body });
  if (answer.status !== 200) throw new Error(`verify answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Polls until `check` passes or the deadline; returns how long it took. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** Every secret a run uses, for asserting that none reached a log line. */
export function expectNoSecretsIn(lines: readonly string[], secrets: readonly string[]): void {
  const all = lines.join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
}
