import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..', '..');

export function builtAppEntry(app: string): string {
  const entry = join(WORKSPACE_ROOT, 'dist', 'apps', app, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the app first (npx nx build ${app})`);
  return entry;
}

/**
 * The child sees only what the test gives it (plus PATH), so a developer's shell variables such as API_KEY
 * cannot change what a test proves.
 */
function childEnv(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LOG_LEVEL: 'info', ...env };
}

export interface AppProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every line the process wrote to stdout and stderr so far. */
  logs(): string[];
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function collectLines(child: ChildProcess, sink: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      sink.push(...lines.filter((line) => line.length > 0));
    });
    stream?.on('end', () => {
      if (partial) sink.push(partial);
    });
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts a built app on a free port (or `port`, to bring a stopped app back where its clients expect it) and
 * resolves once `/health/live` answers 200.
 */
export async function startApp(
  app: string,
  env: Readonly<Record<string, string>> = {},
  options: { timeoutMs?: number; port?: number } = {},
): Promise<AppProcess> {
  const port = options.port ?? (await freePort());
  const lines: string[] = [];
  const child = spawn(process.execPath, [builtAppEntry(app)], {
    cwd: WORKSPACE_ROOT,
    env: childEnv({ ...env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  collectLines(child, lines);
  const url = `http://127.0.0.1:${port}`;
  const handle: AppProcess = {
    url,
    port,
    child,
    logs: () => [...lines],
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exitOf(child);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${app} exited with code ${child.exitCode} before it was live:\n${lines.join('\n')}`);
    }
    try {
      const response = await fetch(`${url}/health/live`);
      if (response.status === 200) return handle;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await handle.stop('SIGKILL');
  throw new Error(`${app} did not answer /health/live within the timeout:\n${lines.join('\n')}`);
}

export interface AppRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built app expected to exit on its own (a configuration error, or a one-shot command in `args`), with a deadline. */
export async function runAppToExit(
  app: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 15_000,
  args: readonly string[] = [],
): Promise<AppRun> {
  const child = spawn(process.execPath, [builtAppEntry(app), ...args], {
    cwd: WORKSPACE_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exitOf(child);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
