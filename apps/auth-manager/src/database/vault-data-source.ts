import { DataSource, type Logger as TypeormLogger, MigrationExecutor } from 'typeorm';
import { EncryptedTokenRecord } from '../vault/encrypted-token.entity';
import { CreateTokenVault1732320000000 } from './migrations/1732320000000-create-token-vault';

/** Classes, not globs: the app ships as one webpack bundle with no migration files beside it. */
export const VAULT_ENTITIES = [EncryptedTokenRecord];
export const VAULT_MIGRATIONS = [CreateTokenVault1732320000000];
export const MIGRATIONS_TABLE = 'auth_manager_migrations';

/** Any fixed 64-bit number; every replica takes the same advisory lock before migrating. */
const MIGRATION_LOCK_ID = 7_004_113_017;

export interface VaultDataSourceOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Where TypeORM's own messages go (migrations, warnings); queries are never logged. */
  readonly log: (level: 'info' | 'warn', event: string, message: string) => void;
}

function typeormLogger(log: VaultDataSourceOptions['log']): TypeormLogger {
  return {
    logQuery: () => undefined,
    // Failed queries reach the caller as DatabaseExceptions, which are logged without parameters.
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: (message) => log('info', 'migration', message),
    log: (level, message) => log(level === 'warn' ? 'warn' : 'info', 'typeorm', String(message)),
  };
}

export function createVaultDataSource(options: VaultDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: VAULT_ENTITIES,
    migrations: VAULT_MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    poolSize: options.poolSize,
    connectTimeoutMS: 5000,
    applicationName: 'auth-manager',
    logger: typeormLogger(options.log),
    // A connection PostgreSQL dropped (restart, failover) is discarded by the pool; the next query opens a new one.
    poolErrorHandler: (error: unknown) =>
      options.log('warn', 'database_connection_lost', error instanceof Error ? error.message : String(error)),
    extra: { idleTimeoutMillis: 30_000, keepAlive: true },
  });
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that replicas starting
 * together migrate one after the other. The lock and the migrations share one connection, so this also works
 * on a pool of size 1 (the embedded database). Returns the names of the migrations applied.
 */
export async function runVaultMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}

/** Names of migrations not yet applied. */
export async function pendingVaultMigrations(dataSource: DataSource): Promise<string[]> {
  return (await new MigrationExecutor(dataSource).getPendingMigrations()).map((migration) => migration.name);
}
