// `npm start`: runs the five built apps side by side on their default ports, each line prefixed with its app.
// Ctrl-C (or SIGTERM) drains every app and exits when they have all stopped.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
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
    cwd: root,
    env: { PORT: String(port), ...process.env },
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

process.stdout.write(
  `auth-platform is starting:\n${apps.map(([name, port]) => `  ${name.padEnd(width)}  http://localhost:${port}  (docs: /docs)`).join('\n')}\n`,
);
