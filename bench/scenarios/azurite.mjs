// Azurite from node_modules for the api-key-manager scenarios: in-memory, on free ports, started on first use
// (so bench runs that never reach those scenarios do not pay for it) and gone when the bench process exits.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const ACCOUNT = 'devstoreaccount1';
// Azurite's published development key: public, not a secret.
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
// The child exits when its IPC channel closes, i.e. when this process ends, however it ends.
const CHILD = `const [entry, ...args] = process.argv.slice(1); process.argv = [process.argv[0], entry, ...args];
process.on('disconnect', () => process.exit(0)); require(entry);`;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function connectionString(ports) {
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=http://127.0.0.1:${ports.blob}/${ACCOUNT}`,
    `TableEndpoint=http://127.0.0.1:${ports.table}/${ACCOUNT}`,
  ].join(';');
}

/** Ports are chosen now, so the app's env is known before Azurite runs; `ready()` starts it once. */
export async function lazyAzurite() {
  const ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
  let starting;
  return {
    connectionString: connectionString(ports),
    ready() {
      starting ??= start(ports);
      return starting;
    },
  };
}

async function start(ports) {
  const entry = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const args = ['--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--disableTelemetry'];
  for (const service of ['blob', 'queue', 'table']) args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, String(ports[service]));
  const child = spawn(process.execPath, ['-e', CHILD, entry, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.unref();
  child.channel?.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${ports.table}/`);
      await response.body?.cancel();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error('Azurite did not start within 30 s');
}
