import { AzureNamedKeyCredential, AzureSASCredential, TableClient, odata } from '@azure/data-tables';
import type { AppProcess } from '@auth-platform/testing';
import { admin, call, expectNoSecretsIn, generateKey, startKeyManager } from './support/api-key-manager.client';
import { AZURITE_ACCOUNT_KEY } from './support/azurite';
import { sharedAzurite } from './support/shared-azurite';

interface SasAnswer {
  sas_token: string;
  table_url: string;
  table_endpoint: string;
  table: string;
  permissions: string;
  partition_key: string | null;
  expires_at: string;
}

describe('api-key-manager: SAS tokens for Azure Table Storage', () => {
  const azurite = sharedAzurite();
  let app: AppProcess;
  const tokens: string[] = [];
  const keys: string[] = [];

  const ownerClient = (table: string) =>
    new TableClient(azurite.tableEndpoint, table, new AzureNamedKeyCredential(azurite.account, AZURITE_ACCOUNT_KEY), { allowInsecureConnection: true });
  const sasClient = (answer: SasAnswer, table = answer.table) =>
    new TableClient(answer.table_endpoint, table, new AzureSASCredential(answer.sas_token), { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

  async function sasKey(scopes: string[], extra: Record<string, unknown> = {}) {
    const key = await generateKey(app, { scopes, ...extra });
    keys.push(key.key);
    return key;
  }

  async function issue(key: string, body: Record<string, unknown>) {
    const answer = await call<SasAnswer & { message?: string }>(app, 'POST', '/auth/sas', { headers: { 'x-api-key': key }, body });
    if (answer.status === 200) tokens.push(answer.body.sas_token);
    return answer;
  }

  beforeAll(async () => {
    app = await startKeyManager(azurite, { SAS_ALLOWED_TABLES: 'Orders,Events:raud', RATE_LIMIT_REQUESTS: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    for (const table of ['Orders', 'Events', 'Secrets']) {
      const client = ownerClient(table);
      await client.createTable();
      await client.createEntity({ partitionKey: 'customer-1', rowKey: '1', item: `${table} one` });
      await client.createEntity({ partitionKey: 'customer-2', rowKey: '1', item: `${table} two` });
    }
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('issues a read-only token that reads its table with the real client, and can neither write nor read another table', async () => {
    const key = await sasKey(['sas:issue']);
    const answer = await issue(key.key, { table: 'orders' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ table: 'Orders', permissions: 'r', partition_key: null, table_url: `${azurite.tableEndpoint}/Orders`, table_endpoint: azurite.tableEndpoint });
    const lifetime = Date.parse(answer.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(890_000);
    expect(lifetime).toBeLessThanOrEqual(900_000);
    const params = new URLSearchParams(answer.body.sas_token);
    expect(params.get('sp')).toBe('r');
    expect(params.get('tn')).toBe('Orders');
    expect(params.get('spr')).toBe('https,http');

    const orders = sasClient(answer.body);
    const items: unknown[] = [];
    for await (const entity of orders.listEntities<{ item: string }>()) items.push(entity.item);
    expect(items.sort()).toEqual(['Orders one', 'Orders two']);
    await expect(orders.createEntity({ partitionKey: 'customer-1', rowKey: '2' })).rejects.toMatchObject({ statusCode: 403 });
    await expect(orders.deleteEntity('customer-1', '1')).rejects.toMatchObject({ statusCode: 403 });
    await expect(sasClient(answer.body, 'Secrets').getEntity('customer-1', '1')).rejects.toMatchObject({ statusCode: 403 });
    const secrets: unknown[] = [];
    await expect(
      (async () => {
        for await (const entity of sasClient(answer.body, 'Secrets').listEntities()) secrets.push(entity);
      })(),
    ).rejects.toMatchObject({ statusCode: 403 });
    expect(secrets).toEqual([]);
  });

  it('pins the partition range when asked and caps the lifetime at one hour', async () => {
    const key = await sasKey(['sas:issue']);
    const pinned = await issue(key.key, { table: 'Orders', partition_key: 'customer-1', expires_in_seconds: 120 });
    expect(pinned.status).toBe(200);
    const params = new URLSearchParams(pinned.body.sas_token);
    expect([params.get('spk'), params.get('epk')]).toEqual(['customer-1', 'customer-1']);
    expect(Date.parse(pinned.body.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await sasClient(pinned.body).getEntity<{ item: string }>('customer-1', '1')).item).toBe('Orders one');

    const tooLong = await issue(key.key, { table: 'Orders', expires_in_seconds: 7200 });
    expect([tooLong.status, tooLong.body.message]).toEqual([400, 'expires_in_seconds must not be greater than 3600']);
  });

  it('grants write permissions only where SAS_ALLOWED_TABLES and the key scopes both allow them', async () => {
    // Refused requests count toward the per-key limit too (3 here), so each case gets its own key.
    const reader = () => sasKey(['sas:issue']);
    const writer = () => sasKey(['sas:issue', 'sas:add']);
    const refused: [() => Promise<{ key: string }>, Record<string, unknown>, number, string][] = [
      [writer, { table: 'Orders', permissions: 'ra' }, 403, 'Permission a (add) is not allowed on table Orders'],
      [reader, { table: 'Events', permissions: 'ra' }, 403, 'Permission a (add) needs the key scope sas:add'],
      [writer, { table: 'Secrets' }, 403, 'Table Secrets is not in SAS_ALLOWED_TABLES'],
      [writer, { table: 'Events', permissions: 'rw' }, 400, 'permissions must be 1-4 of the letters r, a, u, d'],
      [writer, { table: 'bad-name' }, 400, 'table must be a table name'],
      [writer, { table: 'Events', partition_key: 'a/b' }, 400, 'partition_key must not contain / \\ # ? or control characters'],
    ];
    for (const [keyFor, body, status, message] of refused) {
      const answer = await issue((await keyFor()).key, body);
      expect([answer.status, answer.body.message]).toEqual([status, expect.stringContaining(message)]);
    }
    const granted = await issue((await writer()).key, { table: 'Events', permissions: 'ar' });
    expect(granted.body.permissions).toBe('ra');
    await sasClient(granted.body).createEntity({ partitionKey: 'customer-3', rowKey: '1', item: 'added with SAS' });
    expect((await ownerClient('Events').getEntity<{ item: string }>('customer-3', '1')).item).toBe('added with SAS');
    await expect(sasClient(granted.body).deleteEntity('customer-3', '1')).rejects.toMatchObject({ statusCode: 403 });
  });

  it('refuses keys that are missing, invalid, revoked, without sas:issue, or used from a disallowed address', async () => {
    const noScope = await sasKey(['api:access']);
    const revoked = await sasKey(['sas:issue']);
    await call(app, 'POST', `/auth/keys/${revoked.token_id}/revoke`, { headers: admin(), body: { reason: 'test' } });
    const elsewhere = await sasKey(['sas:issue'], { ip_restrictions: ['203.0.113.0/24'] });
    const local = await sasKey(['sas:issue'], { ip_restrictions: ['127.0.0.1', '::1'] });
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, 'Missing X-API-Key header'],
      [{ 'x-api-key': 'permas_test_nonsense' }, 401, 'Invalid API key'],
      [{ 'x-api-key': revoked.key }, 401, 'API key has been revoked'],
      [{ 'x-api-key': noScope.key }, 403, 'API key lacks the sas:issue scope'],
      [{ 'x-api-key': elsewhere.key }, 403, 'API key is not allowed from this address'],
    ];
    for (const [headers, status, message] of cases) {
      const answer = await call(app, 'POST', '/auth/sas', { headers, body: { table: 'Orders' } });
      expect([answer.status, answer.body['message']]).toEqual([status, message]);
    }
    expect((await issue(local.key, { table: 'Orders' })).status).toBe(200);
  });

  it('limits issuance per key to RATE_LIMIT_REQUESTS per window with 429 and Retry-After', async () => {
    const busy = await sasKey(['sas:issue']);
    const other = await sasKey(['sas:issue']);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await issue(busy.key, { table: 'Orders' }));
    expect(statuses.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[0]!.headers.get('x-ratelimit-limit')).toBe('3');
    expect(Number(statuses[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(statuses[3]!.body.message).toBe('Rate limit exceeded; retry after the time in Retry-After');
    expect((await issue(other.key, { table: 'Orders' })).status).toBe(200);
  });

  it('audits every token issued, without the token', async () => {
    const key = await sasKey(['sas:issue']);
    await issue(key.key, { table: 'Orders', partition_key: 'customer-2' });
    await issue(key.key, { table: 'Orders' });
    const audit = ownerClient('apikeysaudit');
    const events: Record<string, unknown>[] = [];
    for await (const entity of audit.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`keyId eq ${key.token_id}` } })) events.push(entity);
    const issued = events.filter((event) => event['type'] === 'sas_issued');
    expect(issued).toHaveLength(2);
    expect(JSON.parse(String(issued[0]!['details']))).toMatchObject({ table: 'Orders', permissions: 'r', client_ip: expect.any(String), request_id: expect.any(String) });
    expect(issued.map((event) => JSON.parse(String(event['details'])).partition_key).sort()).toEqual(['customer-2', null]);
    expect(issued[0]!['actor']).toBe(`key:${key.token_id}`);
    expect(JSON.stringify(events)).not.toContain('sig=');
  });

  it('shows admins the SAS policy', async () => {
    const policy = await call(app, 'GET', '/auth/sas/policy', { headers: admin() });
    expect(policy.status).toBe(200);
    expect(policy.body).toEqual({
      allowed_tables: [
        { table: 'Orders', permissions: 'r' },
        { table: 'Events', permissions: 'raud' },
      ],
      permission_scopes: { r: 'sas:issue', a: 'sas:add', u: 'sas:update', d: 'sas:delete' },
      default_ttl_seconds: 900,
      max_ttl_seconds: 3600,
      https_only: false,
      rate_limit: { requests: 3, window_ms: 60000 },
      available: true,
    });
    expect((await call(app, 'GET', '/auth/sas/policy')).status).toBe(401);
  });

  it('never logs a SAS token or a managed key', () => {
    expect(tokens.length).toBeGreaterThan(5);
    const signatures = tokens.map((token) => new URLSearchParams(token).get('sig')!);
    expectNoSecretsIn(app.logs(), [...signatures, ...signatures.map(encodeURIComponent), ...keys]);
  });
});
