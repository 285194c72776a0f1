import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { DataSource } from 'typeorm';
import { DomainException } from '../common/domain.exception';
import type { AuthManagerEnv } from '../config/env';
import { DatabaseErrorCode, DatabaseException, toDatabaseException } from './database.exception';
import { type EmbeddedPostgres, IN_MEMORY, startEmbeddedPostgres } from './embedded-postgres';
import { createVaultDataSource, runVaultMigrations } from './vault-data-source';

export type DatabaseMode = 'external' | 'embedded';

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 5000];

/**
 * The vault's PostgreSQL: DATABASE_URL, or embedded PGlite when it is unset. The server connects in the
 * background and keeps retrying, so the app listens (and reports itself not ready) while PostgreSQL is down;
 * once connected, pg's pool replaces dropped connections by itself, so a PostgreSQL restart needs no app restart.
 */
@Injectable()
export class VaultDatabase implements OnApplicationShutdown {
  private readonly logger = new Logger('VaultDatabase');
  private readonly url?: string;
  private readonly poolSize: number;
  private readonly embeddedDir: string;
  private dataSource?: DataSource;
  private embedded?: EmbeddedPostgres;
  private lastError = 'connecting';
  private stopped = false;
  private background?: Promise<void>;
  /** Settles when the first connection attempt has succeeded or failed. */
  private firstAttempt?: Promise<void>;

  constructor(config: ConfigService<AuthManagerEnv, true>) {
    this.url = config.get('DATABASE_URL', { infer: true });
    this.embeddedDir = config.get('AUTH_MANAGER_EMBEDDED_DB_DIR', { infer: true });
    // PGlite serves one connection at a time.
    this.poolSize = this.url ? config.get('AUTH_MANAGER_DB_POOL_SIZE', { infer: true }) : 1;
  }

  get mode(): DatabaseMode {
    return this.url ? 'external' : 'embedded';
  }

  get connected(): boolean {
    return this.dataSource?.isInitialized === true;
  }

  /** The embedded database's location and version, for /version. */
  get embeddedInfo(): { location: string; serverVersion: string } | undefined {
    return this.embedded && { location: this.embedded.location, serverVersion: this.embedded.serverVersion };
  }

  /** Server mode: connect and migrate in the background, retrying until it works or the app stops. */
  connectInBackground(): void {
    if (this.background) return;
    let firstAttemptDone = () => undefined as void;
    this.firstAttempt = new Promise<void>((resolve) => (firstAttemptDone = resolve));
    this.background = this.connectWithRetry(firstAttemptDone);
  }

  /** Command mode (migrate, rewrap): one attempt, and the error if it fails. */
  async connect(options: { migrate: boolean }): Promise<{ dataSource: DataSource; applied: string[] }> {
    return this.attempt(options.migrate);
  }

  /** The connected DataSource, or DATABASE_UNAVAILABLE while (re)connecting. */
  source(): DataSource {
    if (!this.dataSource?.isInitialized) {
      throw new DatabaseException(
        DatabaseErrorCode.DATABASE_UNAVAILABLE,
        'The token vault database is not connected yet; retry shortly',
      );
    }
    return this.dataSource;
  }

  /** Runs database work, turning driver errors into DatabaseExceptions with no query text or parameters. */
  async run<T>(work: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const dataSource = this.source();
    try {
      return await work(dataSource);
    } catch (error) {
      if (!isDriverError(error)) throw error;
      const translated = toDatabaseException(error);
      if (translated.code === DatabaseErrorCode.QUERY_FAILED) {
        this.logger.error(
          { event: 'database_query_failed', sqlstate: translated.driverCode },
          'query failed',
        );
      }
      throw translated;
    }
  }

  /** For /health/ready: why it is not connected yet, or a round trip. */
  async check(): Promise<Record<string, unknown>> {
    // A probe right after start waits for the first attempt rather than reporting a connection still being made.
    if (!this.dataSource?.isInitialized) await this.firstAttempt;
    if (!this.dataSource?.isInitialized) throw new Error(this.lastError);
    const started = process.hrtime.bigint();
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      throw new Error(toDatabaseException(error).message);
    }
    return { mode: this.mode, latency_ms: Number((process.hrtime.bigint() - started) / 1_000_000n) };
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.close();
  }

  async close(): Promise<void> {
    const dataSource = this.dataSource;
    this.dataSource = undefined;
    if (dataSource?.isInitialized) await dataSource.destroy();
    const embedded = this.embedded;
    this.embedded = undefined;
    await embedded?.stop();
  }

  private async connectWithRetry(firstAttemptDone: () => void): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const { applied } = await this.attempt(true);
        this.logger.log(
          { event: 'database_connected', mode: this.mode, attempt, migrations_applied: applied },
          'database connected',
        );
        return;
      } catch (error) {
        this.lastError = `not connected (attempt ${attempt}): ${describe(error)}`;
        this.logger.warn(
          { event: 'database_connect_failed', mode: this.mode, attempt, error: describe(error) },
          'database connection failed',
        );
      } finally {
        firstAttemptDone();
      }
      const delay = RETRY_DELAYS_MS[Math.min(attempt - 1, RETRY_DELAYS_MS.length - 1)] ?? 5000;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }

  private async attempt(migrate: boolean): Promise<{ dataSource: DataSource; applied: string[] }> {
    let url = this.url;
    if (!url) {
      this.embedded ??= await this.startEmbedded();
      url = this.embedded.url;
    }
    const dataSource = createVaultDataSource({
      url,
      poolSize: this.poolSize,
      log: (level, event, message) =>
        level === 'warn' ? this.logger.warn({ event }, message) : this.logger.log({ event }, message),
    });
    try {
      await dataSource.initialize();
      const applied = migrate ? await runVaultMigrations(dataSource) : [];
      if (this.stopped) throw new Error('stopped while connecting');
      this.dataSource = dataSource;
      return { dataSource, applied };
    } catch (error) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      throw error;
    }
  }

  private async startEmbedded(): Promise<EmbeddedPostgres> {
    const embedded = await startEmbeddedPostgres(this.embeddedDir);
    if (embedded.fallbackReason) {
      this.logger.warn(
        { event: 'embedded_database_in_memory', reason: embedded.fallbackReason },
        'embedded database runs in memory; its data is lost when this process stops',
      );
    } else {
      this.logger.log(
        {
          event: 'embedded_database_started',
          location: embedded.location === IN_MEMORY ? 'memory' : embedded.location,
        },
        'embedded PostgreSQL (PGlite) started; set DATABASE_URL to use a PostgreSQL server',
      );
    }
    return embedded;
  }
}

function isDriverError(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof DomainException) return false;
  const name = error.constructor.name;
  return (
    name === 'QueryFailedError' ||
    name === 'DatabaseError' ||
    typeof (error as { code?: unknown }).code === 'string' ||
    /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable|Client was closed/i.test(
      error.message,
    )
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code)
    ? `${error.message} (${code})`
    : error.message;
}
