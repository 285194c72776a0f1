import type { AppProcess } from '@auth-platform/testing';

export interface Envelope {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: unknown;
  readonly body_encoding?: 'base64';
}

/** What the fake platform API echoes back: the request as it arrived there. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface ExecuteOptions {
  readonly key?: string | null;
  readonly keyHeader?: 'authorization' | 'x-api-key';
  readonly profile?: string;
  readonly rawBody?: string;
  readonly contentType?: string;
}

/** POST /execute (or /profiles/{name}/execute) with an API key. */
export function execute(app: AppProcess, call: unknown, options: ExecuteOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  const key = options.key === undefined ? 'key-a' : options.key;
  if (key !== null) {
    if ((options.keyHeader ?? 'authorization') === 'authorization')
      headers['authorization'] = `Bearer ${key}`;
    else headers['x-api-key'] = key;
  }
  const path = options.profile ? `/profiles/${encodeURIComponent(options.profile)}/execute` : '/execute';
  return fetch(`${app.url}${path}`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(call),
  });
}

export async function executeOk(
  app: AppProcess,
  call: unknown,
  options: ExecuteOptions = {},
): Promise<Envelope> {
  const response = await execute(app, call, options);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /execute answered ${response.status}: ${text}`);
  return JSON.parse(text) as Envelope;
}

export async function errorOf(
  response: Response,
): Promise<{ status: number; message: string; body: Record<string, unknown> }> {
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, message: String(body['message']), body };
}

/** Per-profile token status from GET /health (the platform-token:<name> checks). */
export async function tokenStatus(app: AppProcess, profile = 'default'): Promise<Record<string, unknown>> {
  const health = (await (await fetch(`${app.url}/health`)).json()) as {
    details: Record<string, Record<string, unknown>>;
  };
  const status = health.details[`platform-token:${profile}`];
  if (!status) throw new Error(`no platform-token:${profile} in /health: ${JSON.stringify(health)}`);
  return status;
}

export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The first log line containing `text`, parsed; fails the test when there is none. */
export function logLine(app: AppProcess, text: string): Record<string, unknown> {
  const line = app.logs().find((candidate) => candidate.includes(text));
  if (!line) throw new Error(`no log line contains ${text}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Every line the app logged, checked for secrets: none of them may appear anywhere. */
export function expectNoSecretsLogged(apps: readonly AppProcess[], secrets: readonly string[]): void {
  const lines = apps.flatMap((app) => app.logs());
  expect(lines.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    const leaking = lines.filter((line) => line.includes(secret));
    expect(leaking).toEqual([]);
  }
}
