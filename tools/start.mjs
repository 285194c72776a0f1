// `npm start`: runs the five built apps side by side on their default ports, each line prefixed with its app,
// wired together as one suite: api-key-manager issues the keys that gcp-token and llm-proxy accept.
// Ctrl-C (or SIGTERM) drains every app and exits when they have all stopped; data stays in .data/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
/** Where the apps run (they resolve development-only tools such as Azurite from here) and keep .data/. */
const home = root;
const LIVE_TIMEOUT_MS = 120_000;

/**
 * Development secrets for the suite, made once and kept in .data/dev-secrets.json (mode 0600) so the keys the
 * manager stored stay valid across restarts (their hashes depend on the pepper). Never printed; a variable set
 * in the shell wins.
 */
function developmentSecrets() {
  const file = join(home, '.data', 'dev-secrets.json');
  if (existsSync(file)) return { file, secrets: JSON.parse(readFileSync(file, 'utf8')) };
  const secrets = {
    ADMIN_API_KEY: randomBytes(24).toString('base64url'),
    API_KEY_HASH_PEPPER: randomBytes(32).toString('base64url'),
    SERVICE_KEY: randomBytes(24).toString('base64url'),
  };
  mkdirSync(join(home, '.data'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return { file, secrets };
}

const { file: secretsFile, secrets } = developmentSecrets();
const serviceKey = process.env.API_KEY_MANAGER_SERVICE_KEY ?? secrets.SERVICE_KEY;
/** What each app gets besides the shell's environment (which wins). */
const suiteEnv = {
  'api-key-manager': { ADMIN_API_KEY: secrets.ADMIN_API_KEY, API_KEY_HASH_PEPPER: secrets.API_KEY_HASH_PEPPER, VERIFY_API_KEYS: serviceKey },
  'gcp-token': { API_KEY_MANAGER_URL: 'http://127.0.0.1:8003', API_KEY_MANAGER_SERVICE_KEY: serviceKey },
  'llm-proxy': { API_KEY_MANAGER_URL: 'http://127.0.0.1:8003', API_KEY_MANAGER_SERVICE_KEY: serviceKey },
};
const apps = [
  ['gcp-token', 8001],
  ['llm-proxy', 8002],
  ['api-key-manager', 8003],
  ['auth-manager', 8004],
  ['executor-auth', 8005],
];
const width = Math.max(...apps.map(([name]) => name.length));
const children = new Map();
let stopping = false;

function pipeWithPrefix(stream, name, out) {
  createInterface({ input: stream }).on('line', (line) => out.write(`${name.padEnd(width)} | ${line}\n`));
}

for (const [name, port] of apps) {
  const entry = join(root, 'dist', 'apps', name, 'main.js');
  if (!existsSync(entry)) {
    process.stderr.write(`${entry} is missing; run "npm run build" first\n`);
    process.exit(1);
  }
  const child = spawn(process.execPath, [entry], {
    cwd: home,
    env: { PORT: String(port), ...suiteEnv[name], ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeWithPrefix(child.stdout, name, process.stdout);
  pipeWithPrefix(child.stderr, name, process.stderr);
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      process.stderr.write(`${name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the suite\n`);
      process.exitCode = 1;
      stopAll();
    }
    if (children.size === 0) process.exit();
  });
}

function stopAll() {
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
}

process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

/** Resolves true once `path` answers 200; false after the timeout or when the suite stops. */
async function answers(port, path) {
  const deadline = Date.now() + LIVE_TIMEOUT_MS;
  while (!stopping && Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

process.stdout.write('auth-platform is starting its five apps...\n');
// Every app live, and api-key-manager ready (its embedded Azurite up), since the others verify keys against it.
// The others' readiness waits for credentials only the operator has (a service account, upstream keys, an IdP).
const started = await Promise.all(
  apps.map(([name, port]) => answers(port, name === 'api-key-manager' ? '/health/ready' : '/health/live')),
);
if (!stopping) {
  if (started.every(Boolean)) {
    process.stdout.write(
      `auth-platform is up:\n${apps.map(([name, port]) => `  ${name.padEnd(width)}  http://localhost:${port}  (docs: /docs, readiness: /health/ready)`).join('\n')}\n` +
        `Development secrets (ADMIN_API_KEY is api-key-manager's X-Admin-Key): ${secretsFile}\n` +
        `Data: ${join(home, '.data')}\nCtrl-C stops everything.\n`,
    );
  } else {
    const late = apps.filter((_, index) => !started[index]).map(([name]) => name);
    process.stderr.write(`${late.join(', ')} did not come up (live, and ready for api-key-manager) within ${LIVE_TIMEOUT_MS / 1000} s; stopping the suite\n`);
    process.exitCode = 1;
    stopAll();
  }
}
