import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// Relative imports only: Jest loads globalSetup files (shared-azurite.global-setup.ts) without the path aliases.
import { freePort } from './free-port';

const ACCOUNT = 'devstoreaccount1';
/** Azurite's published development key: public, not a secret. */
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
/** The child exits when its IPC channel closes, so a crashed test run leaves no Azurite behind. */
const CHILD = `const [entry, ...args] = process.argv.slice(1); process.argv = [process.argv[0], entry, ...args];
process.on('disconnect', () => process.exit(0)); require(entry);`;

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export interface AzuriteOptions {
  /** Keep data on disk (in a temporary directory) so a stopped Azurite comes back with it. Default: in memory. */
  readonly persistent?: boolean;
}

/** Azurite from node_modules on free ports, in memory unless `persistent`, for one spec file or one e2e run. */
export class AzuriteServer {
  readonly account = ACCOUNT;
  private child?: ChildProcess;
  private ports?: AzuritePorts;
  private location?: string;

  constructor(private readonly options: AzuriteOptions = {}) {}

  /** An Azurite another process runs (the shared one): usable, but not started or stopped from here. */
  static attach(ports: AzuritePorts): AzuriteServer {
    const server = new AzuriteServer();
    server.ports = ports;
    return server;
  }

  get portsInUse(): AzuritePorts {
    return this.requirePorts();
  }

  get tableEndpoint(): string {
    return `http://127.0.0.1:${this.requirePorts().table}/${ACCOUNT}`;
  }

  get blobEndpoint(): string {
    return `http://127.0.0.1:${this.requirePorts().blob}/${ACCOUNT}`;
  }

  get connectionString(): string {
    return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${this.blobEndpoint};TableEndpoint=${this.tableEndpoint}`;
  }

  async start(): Promise<void> {
    this.ports ??= { blob: await freePort(), queue: await freePort(), table: await freePort() };
    if (this.options.persistent) this.location ??= mkdtempSync(join(tmpdir(), 'akm-azurite-'));
    const args = [
      ...(this.location ? ['--location', this.location] : ['--inMemoryPersistence']),
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ];
    for (const service of ['blob', 'queue', 'table'] as const) {
      args.push(`--${service}Host`, '127.0.0.1', `--${service}Port`, String(this.ports[service]));
    }
    const entry = require.resolve('azurite/dist/src/azurite.js');
    const child = spawn(process.execPath, ['-e', CHILD, entry, ...args], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}: ${stderr}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.ports.table}/`);
        await response.body?.cancel();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error('Azurite did not start within 30 s');
  }

  /** Stops Azurite (its ports then refuse connections); `start()` brings it back on the same ports. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Freezes Azurite: connections are accepted but nothing is answered, like a hung storage endpoint. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    this.thaw();
    await this.stop();
    if (this.location) rmSync(this.location, { recursive: true, force: true });
  }

  private requirePorts() {
    if (!this.ports) throw new Error('Azurite is not started');
    return this.ports;
  }
}
