import { execFile, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@auth-platform/testing';
import { runtimeRecipe } from '../../src/dockerfile.check';
import { WORKSPACE_ROOT, readRepoFile, repoPath } from '../../src/repo';

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 150_000;
const LIVE_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const MANIFESTS = ['package.json', 'package-lock.json'] as const;

/** An app installed as its image's runtime stage installs it, in a folder of its own outside the workspace. */
export interface InstalledApp {
  readonly app: string;
  readonly directory: string;
  readonly cmd: readonly string[];
  readonly imageEnv: Readonly<Record<string, string>>;
  remove(): void;
}

export interface RunningApp {
  readonly url: string;
  output(): string;
  /** SIGTERM, then the exit code (null when it had to be killed after STOP_TIMEOUT_MS). */
  stop(): Promise<number | null>;
}

/** npm sees the user's cache and registry settings, not the workspace's (no npm_config_* of an enclosing `npm run`). */
function npmEnvironment(): NodeJS.ProcessEnv {
  const kept = ['PATH', 'HOME', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];
  return Object.fromEntries(
    kept.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
  );
}

/** Node would resolve a missing package from any node_modules above the folder; there must be none. */
function enclosingNodeModules(directory: string): string | undefined {
  for (let current = dirname(directory); ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) return join(current, 'node_modules');
    if (dirname(current) === current) return undefined;
  }
}

export async function installLikeTheImage(app: string): Promise<InstalledApp> {
  const dockerfile = `apps/${app}/Dockerfile`;
  const recipe = runtimeRecipe(readRepoFile(dockerfile), dockerfile);
  const dist = repoPath('dist', 'apps', app);
  for (const file of ['main.js', ...MANIFESTS]) {
    if (!existsSync(join(dist, file)))
      throw new Error(`dist/apps/${app}/${file} is missing: build the app first (npx nx build ${app})`);
  }
  const directory = mkdtempSync(join(tmpdir(), `deploy-check-${app}-`));
  const remove = () => rmSync(directory, { recursive: true, force: true });
  try {
    if (directory.startsWith(WORKSPACE_ROOT + sep))
      throw new Error(`${directory} is inside the workspace: set TMPDIR elsewhere`);
    const leak = enclosingNodeModules(directory);
    if (leak)
      throw new Error(
        `${leak} exists above ${directory}: Node could resolve packages the app's package.json lacks from there`,
      );
    for (const file of MANIFESTS) copyFileSync(join(dist, file), join(directory, file));
    const [command = 'npm', ...args] = recipe.install;
    if (!args.includes('--prefer-offline')) args.push('--prefer-offline');
    try {
      await run(command, args, {
        cwd: directory,
        env: npmEnvironment(),
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `${app}: \`${recipe.install.join(' ')}\` failed in ${directory}:\n${stderr || stdout || String(error)}`,
      );
    }
    cpSync(dist, directory, { recursive: true });
    return { app, directory, cmd: recipe.cmd, imageEnv: recipe.env, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts the image's CMD in the installed folder with the image's ENV, a free PORT and `env`, and resolves once
 * GET /health/live answers 200. The process gets no NODE_PATH and a HOME of its own, so only the folder's
 * node_modules can satisfy a require.
 */
export async function startLikeTheImage(
  installed: InstalledApp,
  env: Readonly<Record<string, string>>,
): Promise<RunningApp> {
  const port = await freePort();
  const [command = 'node', ...args] = installed.cmd;
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: installed.directory,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: installed.directory,
      ...installed.imageEnv,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: string) => (output = (output + chunk).slice(-20_000));
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const running: RunningApp = {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exitOf(child);
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + LIVE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${installed.app} exited (${child.exitCode ?? child.signalCode}) before /health/live answered:\n${output}`,
      );
    }
    const status = await fetch(`${url}/health/live`).then(
      (response) => response.status,
      () => undefined,
    );
    if (status === 200) return running;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  await exitOf(child);
  throw new Error(
    `${installed.app} did not answer 200 on /health/live within ${LIVE_TIMEOUT_MS / 1000} s:\n${output}`,
  );
}

/** Runs `task` over `items` in `width` lanes (at most `width` at a time); each item's promise settles on its own. */
export function inLanes<T, R>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<R>,
): Map<T, Promise<R>> {
  const lanes: Promise<unknown>[] = Array.from({ length: width }, () => Promise.resolve());
  const results = new Map<T, Promise<R>>();
  items.forEach((item, index) => {
    const lane = index % width;
    const result = (lanes[lane] ?? Promise.resolve()).then(() => task(item));
    // The lane goes on after a failure; the failure itself is reported by whoever awaits `result`.
    lanes[lane] = result.catch(() => undefined);
    results.set(item, result);
  });
  return results;
}
