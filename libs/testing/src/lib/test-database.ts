import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function adminClient(): Promise<Client> {
  const client = new Client({ ...POSTGRES, database: 'test', connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is required at ${POSTGRES.host}:${POSTGRES.port} (user postgres, database test) and is not reachable: ${(error as Error).message}. ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start, or docker compose up -d postgres).',
    );
  }
  return client;
}

/**
 * A database of its own for one test run, `<prefix>_<random>` on the machine's PostgreSQL, dropped afterwards, so
 * runs never see each other's rows. Fails loudly when PostgreSQL is not there.
 */
export async function createTestDatabase(prefix = 'auth_manager'): Promise<TestDatabase> {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error(`database prefix ${prefix} is not a plain identifier`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${name}`;
  let client: Client | undefined;
  return {
    name,
    url,
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      if (!client) {
        client = new Client({ connectionString: url });
        await client.connect();
      }
      return (await client.query(sql, params)).rows as T[];
    },
    async drop() {
      await client?.end();
      const dropper = await adminClient();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
