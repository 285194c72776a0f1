import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres';
import type { AuthManagerEnv } from '../config/env';
import { DatabaseErrorCode } from '../database/database.exception';
import { VaultDatabase } from '../database/vault-database.service';
import { pendingVaultMigrations, runVaultMigrations } from '../database/vault-data-source';
import { EncryptedTokenRecord } from './encrypted-token.entity';
import { TypeormTokenVaultStore } from './token-vault.store';

function config(values: Partial<AuthManagerEnv>): ConfigService<AuthManagerEnv, true> {
  const all: Partial<AuthManagerEnv> = {
    AUTH_MANAGER_DB_POOL_SIZE: 4,
    AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS: 1,
    ...values,
  };
  return { get: (name: keyof AuthManagerEnv) => all[name] } as unknown as ConfigService<AuthManagerEnv, true>;
}

function record(fields: Partial<EncryptedTokenRecord> = {}): EncryptedTokenRecord {
  return Object.assign(new EncryptedTokenRecord(), {
    id: randomUUID(),
    userId: 'alice',
    sessionId: 'sid-1',
    tokenType: 'refresh',
    clientId: 'auth-manager',
    scope: 'openid',
    refreshTokenCiphertext: 'v1.key.iv.tag.data',
    refreshTokenDigest: randomUUID().replace(/-/g, ''),
    refreshTokenExpiresAt: null,
    accessTokenCiphertext: null,
    accessTokenExpiresAt: null,
    keyId: 'key',
    generation: 0,
    createdAt: new Date(),
    lastRefreshedAt: null,
    revokedAt: null,
    ...fields,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The TypeORM store and the migrations against the machine's PostgreSQL, in a database of this run's own. */
describe('TypeormTokenVaultStore on PostgreSQL', () => {
  let database: TestDatabase;
  let replicas: VaultDatabase[];
  let one: TypeormTokenVaultStore;
  let two: TypeormTokenVaultStore;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    database = await createTestDatabase();
    replicas = [
      new VaultDatabase(config({ DATABASE_URL: database.url })),
      new VaultDatabase(config({ DATABASE_URL: database.url })),
    ];
    const [first, second] = await Promise.all(replicas.map((replica) => replica.connect({ migrate: true })));
    // Two replicas migrating one empty database at once: the advisory lock lets exactly one apply the migration.
    expect([...(first?.applied ?? []), ...(second?.applied ?? [])]).toEqual([
      'CreateTokenVault1732320000000',
    ]);
    one = new TypeormTokenVaultStore(replicas[0] as VaultDatabase, config({}));
    two = new TypeormTokenVaultStore(replicas[1] as VaultDatabase, config({}));
  }, 30_000);

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((replica) => replica.close()));
    await database?.drop();
  });

  it('migrates once: a re-run applies nothing and nothing is pending', async () => {
    const dataSource = (replicas[0] as VaultDatabase).source();
    expect(await runVaultMigrations(dataSource)).toEqual([]);
    expect(await pendingVaultMigrations(dataSource)).toEqual([]);
  });

  it('makes a second replica wait for the row lock and then see the committed change', async () => {
    const row = record();
    await one.insert(row);
    const holder = one.withLockedRecord(row.id, async (locked, handle) => {
      await sleep(300);
      await handle.update({ generation: (locked?.generation ?? 0) + 1 });
    });
    await sleep(50);
    const started = Date.now();
    const seen = await two.withLockedRecord(row.id, async (locked) => locked?.generation);
    await holder;
    expect(seen).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('inserts a token once: the same digest again inserts nothing and names the first row, across replicas', async () => {
    const row = record();
    expect(await one.insert(row)).toBeUndefined();
    const copies = await Promise.all([
      two.insert(record({ refreshTokenDigest: row.refreshTokenDigest })),
      one.insert(record({ refreshTokenDigest: row.refreshTokenDigest })),
    ]);
    expect(copies).toEqual([row.id, row.id]);
    expect(
      await database.query('SELECT count(*)::int AS n FROM vault_tokens WHERE refresh_token_digest = $1', [
        row.refreshTokenDigest,
      ]),
    ).toEqual([{ n: 1 }]);
  });

  it('rolls back the changes of work that fails', async () => {
    const row = record();
    await one.insert(row);
    await expect(
      one.withLockedRecord(row.id, async (_locked, handle) => {
        await handle.update({ generation: 7 });
        throw new Error('provider down');
      }),
    ).rejects.toThrow('provider down');
    expect((await two.findById(row.id))?.generation).toBe(0);
  });

  it('gives up waiting for a lock held too long with REFRESH_LOCK_TIMEOUT', async () => {
    const row = record();
    await one.insert(row);
    const holder = one.withLockedRecord(row.id, () => sleep(3500));
    await sleep(50);
    await expect(two.withLockedRecord(row.id, async () => 'never')).rejects.toMatchObject({
      code: DatabaseErrorCode.REFRESH_LOCK_TIMEOUT,
    });
    await holder;
  }, 15_000);

  it('summarises sessions per user and pages through rows by key', async () => {
    const user = `user-${randomUUID()}`;
    const first = new Date(Date.now() - 60_000);
    const refreshed = new Date();
    await one.insert(record({ userId: user, sessionId: 's-a', createdAt: first }));
    await one.insert(
      record({
        userId: user,
        sessionId: 's-a',
        lastRefreshedAt: refreshed,
        revokedAt: new Date(),
        keyId: 'old',
      }),
    );
    await one.insert(record({ userId: user, sessionId: 's-b', keyId: 'old' }));
    await one.insert(record({ userId: user, sessionId: null }));
    expect(await one.listSessions(user)).toEqual([
      {
        sessionId: 's-a',
        firstSeenAt: first,
        lastRefreshedAt: refreshed,
        tokenCount: 2,
        activeTokenCount: 1,
      },
      {
        sessionId: 's-b',
        firstSeenAt: expect.any(Date),
        lastRefreshedAt: null,
        tokenCount: 1,
        activeTokenCount: 1,
      },
    ]);
    const old = await one.idsNotUnderKey('key', '00000000-0000-0000-0000-000000000000', 1);
    expect(old).toHaveLength(1);
    const rest = await one.idsNotUnderKey('key', old[0] ?? '', 10);
    expect(rest).toHaveLength(1);
    expect(await one.idsNotUnderKey('key', rest[0] ?? '', 10)).toEqual([]);
  });

  it('records a used state once, across replicas, until it is released', async () => {
    const jti = randomUUID();
    const expires = new Date(Date.now() + 60_000);
    expect(await one.consumeState(jti, expires)).toBe(true);
    expect(await two.consumeState(jti, expires)).toBe(false);
    await one.releaseState(jti);
    expect(await two.consumeState(jti, expires)).toBe(true);
  });
});
