import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AzureNamedKeyCredential, AzureSASCredential, TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ReadinessRegistry } from '@auth-platform/health';
import { MetricsService } from '@auth-platform/platform';
import type { ApiKeyManagerEnv } from '../config/env';
import { LocalAzurite } from './local-azurite';
import { ResilientStorage } from './resilient-storage';
import type { StorageConnection } from './storage-connection';
import { azureCodeOf, statusOf } from './storage-errors';
import { StorageErrorCode, StorageException } from './storage.exception';

export type TableKind = 'keys' | 'hashes' | 'providers' | 'usage' | 'audit';
export type StorageService = 'table' | 'blob';

const TABLE_SUFFIX: Record<TableKind, string> = { keys: '', hashes: 'hashes', providers: 'byprovider', usage: 'usage', audit: 'audit' };
const CIRCUIT_STATE = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface StorageClients {
  readonly tables: Readonly<Record<TableKind, TableClient>>;
  readonly container: ContainerClient;
}

/** A short, secret-free reason for an operator: `HTTP 503 ServerBusy`, `ECONNREFUSED`, `timed out`. */
export function describeStorageFailure(error: unknown): string {
  if (error instanceof StorageException) return error.message;
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return 'timed out';
  const status = statusOf(error);
  if (status !== undefined) return `HTTP ${status}${azureCodeOf(error) ? ` ${azureCodeOf(error)}` : ''}`;
  const code = azureCodeOf(error);
  return code ?? (error instanceof Error ? error.name : 'unknown error');
}

/**
 * The storage account: Table clients for each of the app's tables and the export container, created (tables,
 * container) on first use, every call through ResilientStorage. Without a connection string a development
 * instance starts a local Azurite; until storage is usable every call fails with a StorageException (503).
 */
@Injectable()
export class AzureStorage implements OnModuleInit, OnApplicationShutdown {
  private readonly resilience: Readonly<Record<StorageService, ResilientStorage>>;
  readonly tableNames: Readonly<Record<TableKind, string>>;
  private readonly logger = new Logger('Storage');
  private readonly containerName: string;
  private connection?: StorageConnection;
  private clients?: StorageClients;
  private unavailableReason = 'AZURE_STORAGE_CONNECTION_STRING is not set';
  private readonly provisioning = new Map<StorageService, Promise<void>>();
  private localAzurite?: LocalAzurite;
  private readonly operations: Counter<'operation' | 'outcome'>;
  private readonly latency: Histogram<'operation'>;

  constructor(
    private readonly config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly readiness: ReadinessRegistry,
    metrics: MetricsService,
  ) {
    const prefix = config.get('STORAGE_TABLE_PREFIX', { infer: true }).toLowerCase();
    this.tableNames = Object.fromEntries(
      (Object.keys(TABLE_SUFFIX) as TableKind[]).map((kind) => [kind, `${prefix}${TABLE_SUFFIX[kind]}`]),
    ) as Record<TableKind, string>;
    this.containerName = config.get('USAGE_EXPORT_CONTAINER', { infer: true });
    const registers = [metrics.registry];
    this.operations = new Counter({
      name: 'api_key_manager_storage_operations_total',
      help: 'Azure Storage operations by outcome (success, answer, failure, rejected, circuit_open)',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'api_key_manager_storage_duration_seconds',
      help: 'Azure Storage operation time, retries included',
      labelNames: ['operation'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const circuitGauge = new Gauge({
      name: 'api_key_manager_storage_circuit_state',
      help: 'Storage circuit breaker by service: 0 closed, 1 half-open, 2 open',
      labelNames: ['service'],
      registers,
    });
    const resilience = (service: StorageService) =>
      new ResilientStorage({
        timeoutMs: config.get('STORAGE_TIMEOUT_MS', { infer: true }),
        maxRetries: config.get('MAX_RETRIES', { infer: true }),
        backoffMs: config.get('RETRY_BACKOFF_MS', { infer: true }),
        circuitFailureThreshold: config.get('CIRCUIT_BREAKER_THRESHOLD', { infer: true }),
        circuitOpenMs: config.get('CIRCUIT_BREAKER_TIMEOUT', { infer: true }) * 1000,
        onCircuitChange: (state) => {
          circuitGauge.set({ service }, CIRCUIT_STATE[state]);
          const fields = { event: 'storage_circuit', service, state };
          if (state === 'open') this.logger.warn(fields, `${service} storage circuit opened`);
          else this.logger.log(fields, `${service} storage circuit ${state}`);
        },
        onOutcome: (operation, outcome, seconds) => {
          this.operations.inc({ operation, outcome });
          if (outcome !== 'circuit_open') this.latency.observe({ operation }, seconds);
        },
      });
    // Separate breakers: a Blob outage (exports) must not stop key verification on Tables.
    this.resilience = { table: resilience('table'), blob: resilience('blob') };
  }

  onModuleInit(): void {
    this.readiness.register('table-storage', (signal) => this.checkTables(signal), { timeoutMs: 3000 });
    this.readiness.register('blob-storage', (signal) => this.checkBlob(signal), { timeoutMs: 3000 });
    const configured = this.config.get('AZURE_STORAGE_CONNECTION_STRING', { infer: true });
    if (configured) {
      this.connect(configured);
    } else if (this.config.get('NODE_ENV', { infer: true }) === 'development') {
      this.unavailableReason = 'local Azurite is starting (AZURE_STORAGE_CONNECTION_STRING is not set)';
      void this.startLocalAzurite();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.localAzurite?.stop();
  }

  /** The account's connection details, for SAS signing; undefined while storage is not configured. */
  get account(): StorageConnection | undefined {
    return this.connection;
  }

  /**
   * Runs one logical operation (retried and circuit-broken as a whole). A table that disappeared (a storage
   * account reset, a restarted in-memory Azurite) is created again and the operation retried once.
   */
  async run<T>(
    operation: string,
    call: (clients: StorageClients, signal: AbortSignal) => Promise<T>,
    service: StorageService = 'table',
  ): Promise<T> {
    const clients = this.requireClients();
    await this.provisioned(service);
    const resilient = this.resilience[service];
    try {
      return await resilient.run(operation, (signal) => call(clients, signal));
    } catch (error) {
      const code = azureCodeOf(error);
      if (code !== 'TableNotFound' && code !== 'ContainerNotFound') throw error;
      this.provisioning.delete(service);
      await this.provisioned(service);
      return resilient.run(operation, (signal) => call(clients, signal));
    }
  }

  private requireClients(): StorageClients {
    if (!this.clients) throw new StorageException(StorageErrorCode.NOT_CONFIGURED, `Key storage is not available: ${this.unavailableReason}`, 5);
    return this.clients;
  }

  /** Creates the tables (or the export container) once; a failed attempt is tried again on the next call. */
  private provisioned(service: StorageService): Promise<void> {
    let pending = this.provisioning.get(service);
    if (!pending) {
      const clients = this.requireClients();
      pending = (service === 'table' ? this.createTables(clients) : this.createContainer(clients)).catch((error: unknown) => {
        this.provisioning.delete(service);
        throw error;
      });
      this.provisioning.set(service, pending);
    }
    return pending;
  }

  private async createTables(clients: StorageClients): Promise<void> {
    for (const table of Object.values(clients.tables)) {
      await this.resilience.table.run('create_table', async (abortSignal) => {
        try {
          await table.createTable({ abortSignal });
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
      });
    }
    this.logger.log({ event: 'storage_tables_ready', tables: Object.values(this.tableNames) }, 'tables ready');
  }

  private async createContainer(clients: StorageClients): Promise<void> {
    await this.resilience.blob.run('create_container', (abortSignal) => clients.container.createIfNotExists({ abortSignal }));
  }

  private connect(connection: StorageConnection): void {
    this.connection = connection;
    const insecure = connection.tableEndpoint.startsWith('http:');
    // ResilientStorage owns retries and deadlines; the SDKs' own retries would multiply them.
    const tableOptions = { allowInsecureConnection: insecure, retryOptions: { maxRetries: 0 } };
    const accountKey = connection.accountKey;
    const tableClient = (name: string) =>
      accountKey
        ? new TableClient(connection.tableEndpoint, name, new AzureNamedKeyCredential(connection.accountName, accountKey), tableOptions)
        : new TableClient(connection.tableEndpoint, name, new AzureSASCredential(connection.sharedAccessSignature ?? ''), tableOptions);
    const tables = Object.fromEntries((Object.keys(this.tableNames) as TableKind[]).map((kind) => [kind, tableClient(this.tableNames[kind])])) as Record<
      TableKind,
      TableClient
    >;
    const blobService = connection.accountKey
      ? new BlobServiceClient(connection.blobEndpoint, new StorageSharedKeyCredential(connection.accountName, connection.accountKey), {
          retryOptions: { maxTries: 1 },
        })
      : new BlobServiceClient(`${connection.blobEndpoint}?${connection.sharedAccessSignature ?? ''}`, undefined, { retryOptions: { maxTries: 1 } });
    this.clients = { tables, container: blobService.getContainerClient(this.containerName) };
  }

  private async startLocalAzurite(): Promise<void> {
    this.localAzurite = new LocalAzurite();
    try {
      const connection = await this.localAzurite.start();
      this.connect(connection);
      this.logger.log(
        { event: 'local_azurite', owned: this.localAzurite.owned, table_endpoint: connection.tableEndpoint, blob_endpoint: connection.blobEndpoint },
        this.localAzurite.owned ? 'started a local Azurite (data in .data/azurite)' : 'using the Azurite already running',
      );
    } catch (error) {
      this.unavailableReason = `local Azurite could not start: ${error instanceof Error ? error.message : String(error)}`;
      this.logger.error({ event: 'local_azurite_failed', reason: this.unavailableReason }, 'no storage');
    }
  }

  private async checkTables(signal: AbortSignal): Promise<Record<string, unknown>> {
    const clients = this.requireClients();
    const started = Date.now();
    try {
      await this.provisioned('table');
      await clients.tables.keys
        .listEntities({ abortSignal: signal, queryOptions: { select: ['RowKey'] } })
        .byPage({ maxPageSize: 1 })
        .next();
    } catch (error) {
      throw new Error(`Azure Table Storage is unreachable (${describeStorageFailure(error)})`);
    }
    return { latency_ms: Date.now() - started, circuit: this.resilience.table.circuit.state };
  }

  private async checkBlob(signal: AbortSignal): Promise<Record<string, unknown>> {
    const clients = this.requireClients();
    const started = Date.now();
    try {
      await this.provisioned('blob');
      await clients.container.getProperties({ abortSignal: signal });
    } catch (error) {
      throw new Error(`Azure Blob Storage is unreachable (${describeStorageFailure(error)})`);
    }
    return { latency_ms: Date.now() - started, container: this.containerName, circuit: this.resilience.blob.circuit.state };
  }
}
