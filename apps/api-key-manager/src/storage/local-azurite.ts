import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StorageConnection, developmentConnection } from './storage-connection';

export interface LocalAzuriteOptions {
  /** Where Azurite keeps its data (created if missing). */
  readonly location: string;
  readonly host: string;
  readonly ports: { readonly blob: number; readonly queue: number; readonly table: number };
  readonly startTimeoutMs: number;
}

/** Azurite's defaults, which `UseDevelopmentStorage=true` and Azure Storage Explorer expect. */
export const LOCAL_AZURITE_DEFAULTS: LocalAzuriteOptions = {
  location: '.data/azurite',
  host: '127.0.0.1',
  ports: { blob: 10000, queue: 10001, table: 10002 },
  startTimeoutMs: 30_000,
};

/**
 * Runs Azurite from node_modules in a child process. The child exits when its IPC channel closes, so it dies with
 * this process even on SIGKILL instead of lingering on the ports.
 */
const CHILD_ENTRY = `
const [entry, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], entry, ...args];
process.on('disconnect', () => process.exit(0));
require(entry);
`;

type Probe = 'azurite' | 'other' | 'closed';

/** Whether an Azurite answers on the table port (it names itself in the Server header). */
async function probe(host: string, port: number): Promise<Probe> {
  try {
    const response = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return /azurite/i.test(response.headers.get('server') ?? '') ? 'azurite' : 'other';
  } catch {
    return 'closed';
  }
}

export class LocalAzuriteError extends Error {}

/**
 * The development storage `npm start` uses when AZURE_STORAGE_CONNECTION_STRING is unset: an Azurite already
 * listening on the default ports is reused (another app instance or a developer's own), otherwise one is started
 * with its data under `.data/azurite/` and stopped with this process.
 */
export class LocalAzurite {
  private child?: ChildProcess;
  private output: string[] = [];

  constructor(private readonly options: LocalAzuriteOptions = LOCAL_AZURITE_DEFAULTS) {}

  /** Whether this process started the Azurite it uses (false when it reused a running one). */
  get owned(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<StorageConnection> {
    const { host, ports } = this.options;
    const connection = developmentConnection(host, ports);
    const existing = await probe(host, ports.table);
    if (existing === 'azurite') return connection;
    if (existing === 'other') {
      throw new LocalAzuriteError(`port ${ports.table} is used by a program that is not Azurite; set AZURE_STORAGE_CONNECTION_STRING`);
    }
    const entry = this.azuriteEntry();
    const location = resolve(this.options.location);
    mkdirSync(location, { recursive: true });
    const child = spawn(
      process.execPath,
      [
        '-e',
        CHILD_ENTRY,
        entry,
        '--location',
        location,
        '--blobHost',
        host,
        '--blobPort',
        String(ports.blob),
        '--queueHost',
        host,
        '--queuePort',
        String(ports.queue),
        '--tableHost',
        host,
        '--tablePort',
        String(ports.table),
        '--silent',
        '--skipApiVersionCheck',
        '--disableTelemetry',
      ],
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
    );
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        this.output = [...this.output, chunk].slice(-20);
      });
    }
    const deadline = Date.now() + this.options.startTimeoutMs;
    while (Date.now() < deadline) {
      if ((await probe(host, ports.table)) === 'azurite') {
        // Another instance may have won the race for the ports; use its Azurite then.
        if (child.exitCode !== null) this.child = undefined;
        return connection;
      }
      if (child.exitCode !== null) {
        this.child = undefined;
        throw new LocalAzuriteError(`Azurite exited with code ${child.exitCode}: ${this.output.join('').trim().slice(-300)}`);
      }
      await sleep(200);
    }
    await this.stop();
    throw new LocalAzuriteError(`Azurite did not answer on port ${ports.table} within ${this.options.startTimeoutMs} ms`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  private azuriteEntry(): string {
    // Resolved from the working directory at run time: Azurite is a development dependency, never bundled.
    const requireFromCwd = createRequire(join(process.cwd(), 'package.json'));
    try {
      return requireFromCwd.resolve('azurite/dist/src/azurite.js');
    } catch {
      throw new LocalAzuriteError('Azurite is not installed (it is a development dependency); set AZURE_STORAGE_CONNECTION_STRING');
    }
  }
}
