import { keyFingerprint } from '@auth-platform/crypto';
import {
  type AppProcess,
  DevIdp,
  type TestDatabase,
  createTestDatabase,
  startApp,
} from '@auth-platform/testing';
import {
  CLIENT,
  NEXT_VAULT_KEY,
  VAULT_KEY,
  appEnv,
  caller,
  runCommand,
  waitUntilReady,
} from './support/auth-manager';

function lastJsonLine(output: string): Record<string, unknown> {
  const lines = output.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
}

describe('auth-manager migrations, key rotation and rewrap', () => {
  let database: TestDatabase;
  let idp: DevIdp;

  beforeAll(async () => {
    [database, idp] = await Promise.all([createTestDatabase(), DevIdp.start({ clients: [CLIENT] })]);
  }, 60_000);

  afterAll(async () => {
    await idp?.stop();
    await database?.drop();
  });

  const schema = () =>
    database.query(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name",
    );

  it('migrates an empty database with the migrate command, and a re-run changes nothing', async () => {
    const env = { DATABASE_URL: database.url };
    const first = await runCommand('migrate', env);
    expect(first.code).toBe(0);
    expect(lastJsonLine(first.stdout)).toMatchObject({
      event: 'migrations_applied',
      applied: ['CreateTokenVault1732320000000'],
      database: 'external',
    });
    const migrated = await schema();
    expect(new Set(migrated.map((c) => c['table_name']))).toEqual(
      new Set(['auth_manager_migrations', 'offline_consumed_states', 'vault_tokens']),
    );

    const second = await runCommand('migrate', env);
    expect(second.code).toBe(0);
    expect(lastJsonLine(second.stdout)).toMatchObject({ event: 'migrations_applied', applied: [] });
    expect(await schema()).toEqual(migrated);
    expect(await database.query('SELECT name FROM auth_manager_migrations')).toEqual([
      { name: 'CreateTokenVault1732320000000' },
    ]);
  });

  it('names a bad command and a bad configuration without starting', async () => {
    const unknown = await runCommand('drop-everything', { DATABASE_URL: database.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command \\"drop-everything\\"; use migrate or rewrap');
    const badKey = await runCommand('rewrap', {
      DATABASE_URL: database.url,
      AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: 'short',
    });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY must be 64 hex characters');
    expect(badKey.stderr).not.toContain('short');
  });

  it('rotates the vault key: previous keys still decrypt, rewrap moves every row, then the old key can go', async () => {
    const oldKeyId = keyFingerprint(VAULT_KEY);
    const newKeyId = keyFingerprint(NEXT_VAULT_KEY);
    let app: AppProcess = await startApp('auth-manager', appEnv(idp, database));
    let minted: string;
    let ids: string[];
    try {
      await waitUntilReady(app);
      ids = [];
      for (const user of ['alice', 'bob']) {
        const stored = await caller(app).post('/tokens', {
          refresh_token: (await idp.signIn(user)).refreshToken,
          token_type: 'refresh',
        });
        ids.push(stored.body['id'] as string);
      }
      minted = (await caller(app).post(`/tokens/${ids[0]}/access-token`)).body['access_token'] as string;
    } finally {
      await app.stop();
    }
    const [first = '', second = ''] = ids;
    expect(await database.query('SELECT DISTINCT key_id FROM vault_tokens')).toEqual([{ key_id: oldKeyId }]);

    const withoutOldKey = {
      DATABASE_URL: database.url,
      AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: NEXT_VAULT_KEY,
    };
    const refused = await runCommand('rewrap', withoutOldKey);
    expect(refused.code).toBe(1);
    const refusal = lastJsonLine(refused.stderr);
    expect(refusal).toMatchObject({ event: 'rewrap_complete', current_key_id: newKeyId, rewrapped: 0 });
    expect(refusal['failed']).toEqual(
      expect.arrayContaining([
        { id: first, code: 'VAULT_KEY_UNKNOWN' },
        { id: second, code: 'VAULT_KEY_UNKNOWN' },
      ]),
    );

    app = await startApp(
      'auth-manager',
      appEnv(idp, database, {
        AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: NEXT_VAULT_KEY,
        AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: VAULT_KEY,
      }),
    );
    try {
      await waitUntilReady(app);
      // The first token's access token is still valid and decrypts with the previous key; the second refreshes.
      expect((await caller(app).post(`/tokens/${first}/access-token`)).body['access_token']).toBe(minted);
      expect((await caller(app).post(`/tokens/${second}/access-token`)).status).toBe(200);
      expect(await database.query('SELECT id, key_id FROM vault_tokens ORDER BY id')).toEqual(
        expect.arrayContaining([
          { id: first, key_id: oldKeyId },
          { id: second, key_id: newKeyId },
        ]),
      );

      const rotation = { ...withoutOldKey, AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: VAULT_KEY };
      const rewrap = await runCommand('rewrap', rotation);
      expect(rewrap.code).toBe(0);
      expect(lastJsonLine(rewrap.stdout)).toEqual({
        app: 'auth-manager',
        event: 'rewrap_complete',
        current_key_id: newKeyId,
        rewrapped: 1,
        failed: [],
      });
      expect(await database.query('SELECT DISTINCT key_id FROM vault_tokens')).toEqual([
        { key_id: newKeyId },
      ]);
      expect(lastJsonLine((await runCommand('rewrap', rotation)).stdout)).toMatchObject({
        rewrapped: 0,
        failed: [],
      });
    } finally {
      await app.stop();
    }

    app = await startApp(
      'auth-manager',
      appEnv(idp, database, { AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: NEXT_VAULT_KEY }),
    );
    try {
      await waitUntilReady(app);
      expect((await caller(app).post(`/tokens/${first}/access-token`)).body['access_token']).toBe(minted);
      expect((await caller(app).post(`/tokens/${second}/access-token`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
