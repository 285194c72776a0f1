import { AzureNamedKeyCredential, TableClient } from '@azure/data-tables';
import { generateApiKey, hashApiKey } from '@auth-platform/crypto';
import type { AppProcess } from '@auth-platform/testing';
import {
  ADMIN_KEY,
  PEPPER,
  SERVICE_KEY,
  admin,
  call,
  eventually,
  expectNoSecretsIn,
  generateKey,
  service,
  startKeyManager,
  verify,
} from './support/api-key-manager.client';
import { AZURITE_ACCOUNT_KEY } from './support/azurite';
import { sharedAzurite } from './support/shared-azurite';

const KEY_FORMAT = /^permas_test_[0-9A-Za-z]{38}$/;

/** Flips one character of the random part: the checksum no longer matches. */
function forge(key: string): string {
  const index = 20;
  const replacement = key[index] === 'A' ? 'B' : 'A';
  return key.slice(0, index) + replacement + key.slice(index + 1);
}

describe('api-key-manager: key lifecycle and verification', () => {
  const azurite = sharedAzurite();
  let app: AppProcess;
  let replica: AppProcess;
  const issuedKeys: string[] = [];

  beforeAll(async () => {
    [app, replica] = await Promise.all([startKeyManager(azurite), startKeyManager(azurite)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([app?.stop(), replica?.stop()]);
  });

  async function issue(body: Record<string, unknown> = {}) {
    const generated = await generateKey(app, body);
    issuedKeys.push(generated.key);
    return generated;
  }

  it('generates a key in the seed format, shows it once and stores only metadata', async () => {
    const generated = await issue({
      provider_id: 'acme',
      name: 'Billing sync',
      scopes: ['api:access', 'billing:read'],
      expires_in_days: 30,
      description: 'nightly job',
    });
    expect(generated.key).toMatch(KEY_FORMAT);
    expect(generated).toMatchObject({
      provider_id: 'acme',
      name: 'Billing sync',
      environment: 'test',
      scopes: ['api:access', 'billing:read'],
      description: 'nightly job',
      status: 'active',
      display_prefix: `${generated.key.slice(0, 16)}…`,
      revoked_at: null,
    });
    const expiresIn = Date.parse(String(generated['expires_at'])) - Date.now();
    expect(expiresIn).toBeGreaterThan(29.9 * 86_400_000);
    expect(expiresIn).toBeLessThanOrEqual(30 * 86_400_000);

    const shown = await call(app, 'GET', `/auth/keys/${generated.token_id}`, { headers: admin() });
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('key');
    expect(JSON.stringify(shown.body)).not.toContain(generated.key.slice(12));

    const table = new TableClient(azurite.tableEndpoint, 'apikeys', new AzureNamedKeyCredential(azurite.account, AZURITE_ACCOUNT_KEY), {
      allowInsecureConnection: true,
    });
    const stored = JSON.stringify(await table.getEntity(generated.token_id, 'key'));
    expect(stored).not.toContain(generated.key.slice(12));
    expect(stored).toMatch(/"hash":"[0-9a-f]{64}"/);
  });

  it('keeps test and live keys apart by their prefix', async () => {
    const live = await issue({ environment: 'live' });
    expect(live.key).toMatch(/^permas_live_/);
    expect(await verify(app, { key: live.key })).toMatchObject({ valid: true, code: 'VALID', environment: 'live' });
  });

  it('lists a provider’s keys newest first, paginated, with display prefixes only', async () => {
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push(await issue({ provider_id: 'paging', name: `key ${i}` }));
    await issue({ provider_id: 'someone-else' });
    const first = await call<{ keys: Record<string, unknown>[]; continuation_token: string | null }>(app, 'GET', '/auth/keys?provider_id=paging&limit=2', {
      headers: admin(),
    });
    expect(first.status).toBe(200);
    expect(first.body.keys.map((key) => key['name'])).toEqual(['key 2', 'key 1']);
    expect(first.body.continuation_token).toEqual(expect.any(String));
    const second = await call<{ keys: Record<string, unknown>[]; continuation_token: string | null }>(
      app,
      'GET',
      `/auth/keys?provider_id=paging&limit=2&continuation_token=${encodeURIComponent(first.body.continuation_token!)}`,
      { headers: admin() },
    );
    expect(second.body.keys.map((key) => key['name'])).toEqual(['key 0']);
    expect(second.body.continuation_token).toBeNull();
    const listed = JSON.stringify([...first.body.keys, ...second.body.keys]);
    for (const key of keys) expect(listed).not.toContain(key.key);
    expect(listed).not.toMatch(/"(hash|key)":/);

    const replayed = await call(app, 'GET', `/auth/keys?provider_id=someone-else&continuation_token=${encodeURIComponent(first.body.continuation_token!)}`, {
      headers: admin(),
    });
    expect(replayed.status).toBe(400);
    expect(replayed.body['message']).toBe('continuation_token belongs to another provider_id');
    const garbage = await call(app, 'GET', '/auth/keys?provider_id=paging&continuation_token=not-a-token', { headers: admin() });
    expect(garbage.status).toBe(400);
    expect(garbage.body['message']).toBe('continuation_token is not a token this service issued');
  });

  it('answers each verification code', async () => {
    const key = await issue({ scopes: ['orders:read'], ip_restrictions: ['203.0.113.0/24'] });
    const base = { key: key.key, client_ip: '203.0.113.9' };
    expect(await verify(app, base)).toEqual({
      valid: true,
      code: 'VALID',
      key_id: key.token_id,
      provider_id: 'provider-e2e',
      environment: 'test',
      scopes: ['orders:read'],
      expires_at: null,
    });
    expect(await verify(app, { ...base, required_scopes: ['orders:write'] })).toMatchObject({ valid: false, code: 'INSUFFICIENT_SCOPES', key_id: key.token_id });
    expect(await verify(app, { ...base, client_ip: '198.51.100.1' })).toMatchObject({ valid: false, code: 'IP_NOT_ALLOWED' });
    expect(await verify(app, { key: key.key })).toMatchObject({ valid: false, code: 'IP_NOT_ALLOWED' });
    expect(await verify(app, { key: 'permas_test_short' })).toEqual({
      valid: false,
      code: 'MALFORMED',
      key_id: null,
      provider_id: null,
      environment: null,
      scopes: [],
      expires_at: null,
    });
    const unknown = key.key.replace(/permas_test_.{4}/, 'permas_test_zzzz');
    expect((await verify(app, { key: unknown })).code).toBe('MALFORMED');

    const revoked = await issue();
    expect((await call(app, 'POST', `/auth/keys/${revoked.token_id}/revoke`, { headers: admin(), body: { reason: 'test' } })).status).toBe(200);
    expect(await verify(app, { key: revoked.key })).toMatchObject({ valid: false, code: 'REVOKED', key_id: revoked.token_id });
  });

  it('rejects a forged checksum offline, without a storage lookup', async () => {
    const key = await issue();
    const before = await storageReads(app);
    const forged = forge(key.key);
    for (let i = 0; i < 20; i++) expect((await verify(app, { key: forged })).code).toBe('MALFORMED');
    expect(await storageReads(app)).toBe(before);
  });

  it('answers NOT_FOUND for a well-formed key that was never issued', async () => {
    // A key with a valid checksum from another deployment (another pepper and store).
    const stranger = generateApiKey({ environment: 'test' }).key;
    expect(await verify(app, { key: stranger })).toMatchObject({ valid: false, code: 'NOT_FOUND', key_id: null, environment: 'test' });
  });

  it('matches IPv4 addresses, IPv6 addresses and CIDR ranges of both', async () => {
    const key = await issue({ ip_restrictions: ['192.0.2.10', '10.20.0.0/16', '2001:db8:aa::1', '2001:db8:bb::/48'] });
    const cases: [string, string][] = [
      ['192.0.2.10', 'VALID'],
      ['192.0.2.11', 'IP_NOT_ALLOWED'],
      ['10.20.255.1', 'VALID'],
      ['10.21.0.1', 'IP_NOT_ALLOWED'],
      ['::ffff:10.20.1.1', 'VALID'],
      ['2001:db8:aa::1', 'VALID'],
      ['2001:0db8:00aa:0000:0000:0000:0000:0001', 'VALID'],
      ['2001:db8:aa::2', 'IP_NOT_ALLOWED'],
      ['2001:db8:bb:ffff::1', 'VALID'],
      ['2001:db8:bc::1', 'IP_NOT_ALLOWED'],
    ];
    for (const [clientIp, code] of cases) expect([clientIp, (await verify(app, { key: key.key, client_ip: clientIp })).code]).toEqual([clientIp, code]);
  });

  it('refuses an expired key', async () => {
    const key = await issue({ expires_in_days: 1 });
    // A day cannot pass in a test: move the stored expiry into the past, as time would.
    const table = new TableClient(azurite.tableEndpoint, 'apikeyshashes', new AzureNamedKeyCredential(azurite.account, AZURITE_ACCOUNT_KEY), {
      allowInsecureConnection: true,
    });
    const hash = hashApiKey(key.key, PEPPER);
    const past = new Date(Date.now() - 1000).toISOString();
    await table.updateEntity({ partitionKey: hash, rowKey: 'key', expiresAt: past }, 'Merge');
    expect(await verify(replica, { key: key.key })).toMatchObject({ valid: false, code: 'EXPIRED', key_id: key.token_id, expires_at: past });
  });

  it('rotates a key: the new key works at once, the old one until the grace period ends', async () => {
    const old = await issue({ scopes: ['orders:read'], ip_restrictions: ['127.0.0.1'], expires_in_days: 10, description: 'to rotate' });
    expect((await verify(app, { key: old.key, client_ip: '127.0.0.1' })).code).toBe('VALID');
    const rotated = await call<Record<string, unknown> & { key: string; token_id: string; previous: Record<string, unknown> }>(
      app,
      'POST',
      `/auth/keys/${old.token_id}/rotate`,
      { headers: admin(), body: { grace_period_seconds: 2 } },
    );
    expect(rotated.status).toBe(201);
    issuedKeys.push(rotated.body.key);
    expect(rotated.body).toMatchObject({
      provider_id: 'provider-e2e',
      scopes: ['orders:read'],
      ip_restrictions: ['127.0.0.1'],
      description: 'to rotate',
      rotated_from: old.token_id,
      status: 'active',
    });
    expect(rotated.body.key).toMatch(KEY_FORMAT);
    expect(rotated.body.key).not.toBe(old.key);
    expect(rotated.body.previous).toMatchObject({ token_id: old.token_id, status: 'rotating', rotated_to: rotated.body.token_id });

    expect((await verify(app, { key: rotated.body.key, client_ip: '127.0.0.1' })).code).toBe('VALID');
    const during = await verify(app, { key: old.key, client_ip: '127.0.0.1' });
    expect(during.code).toBe('VALID');
    expect(Date.parse(during.expires_at!) - Date.now()).toBeLessThanOrEqual(2000);
    await eventually(async () => (await verify(app, { key: old.key, client_ip: '127.0.0.1' })).code === 'EXPIRED', 5000);
    expect((await verify(replica, { key: old.key, client_ip: '127.0.0.1' })).code).toBe('EXPIRED');
    expect((await verify(app, { key: rotated.body.key, client_ip: '127.0.0.1' })).code).toBe('VALID');

    const again = await call(app, 'POST', `/auth/keys/${old.token_id}/rotate`, { headers: admin(), body: {} });
    expect(again.status).toBe(409);
    expect(again.body['message']).toBe(`API key ${old.token_id} was already rotated to ${rotated.body.token_id}`);
  });

  it('records who revoked, when and why; a second revocation is 409', async () => {
    const key = await issue();
    const revoked = await call(app, 'POST', `/auth/keys/${key.token_id}/revoke`, {
      headers: admin(),
      body: { reason: 'Leaked in a public repository', revoked_by: 'alice@example.com' },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked', revocation_reason: 'Leaked in a public repository' });
    expect(revoked.body['revoked_by']).toMatch(/^alice@example\.com \(admin:[0-9a-f]{12}\)$/);
    expect(Math.abs(Date.parse(String(revoked.body['revoked_at'])) - Date.now())).toBeLessThan(10_000);
    const twice = await call(app, 'POST', `/auth/keys/${key.token_id}/revoke`, { headers: admin(), body: { reason: 'again' } });
    expect(twice.status).toBe(409);
    expect(twice.body).toEqual({ statusCode: 409, error: 'Conflict', message: `API key ${key.token_id} is already revoked` });
    const rotate = await call(app, 'POST', `/auth/keys/${key.token_id}/rotate`, { headers: admin(), body: {} });
    expect(rotate.status).toBe(409);
  });

  it('makes a revocation effective on another replica within 5 seconds', async () => {
    const key = await issue();
    expect((await verify(replica, { key: key.key })).code).toBe('VALID');
    expect((await verify(replica, { key: key.key })).code).toBe('VALID');
    const revokedAt = Date.now();
    expect((await call(app, 'POST', `/auth/keys/${key.token_id}/revoke`, { headers: admin(), body: { reason: 'cross-replica' } })).status).toBe(200);
    expect((await verify(app, { key: key.key })).code).toBe('REVOKED');
    await eventually(async () => (await verify(replica, { key: key.key })).code === 'REVOKED', 5000, 50);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
  });

  it('answers unknown ids with 404 and malformed ids with 400', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const [method, path, body] of [
      ['POST', `/auth/keys/${missing}/revoke`, { reason: 'x' }],
      ['POST', `/auth/keys/${missing}/rotate`, {}],
      ['GET', `/auth/keys/${missing}`, undefined],
      ['GET', `/auth/keys/${missing}/usage`, undefined],
    ] as const) {
      const answer = await call(app, method, path, { headers: admin(), body });
      expect([path, answer.status, answer.body['message']]).toEqual([path, 404, `API key ${missing} not found`]);
    }
    const bad = await call(app, 'POST', '/auth/keys/not-a-uuid/revoke', { headers: admin(), body: { reason: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toBe('token_id must be a UUID');
  });

  it('answers every malformed request with a 400 naming what is wrong', async () => {
    const generate = (body: unknown) => call(app, 'POST', '/auth/keys/generate', { headers: admin(), body });
    const valid = { provider_id: 'p', name: 'n', environment: 'test', scopes: [] };
    const cases: [unknown, string][] = [
      [{ ...valid, environment: 'prod' }, 'environment must be test or live'],
      [{ ...valid, provider_id: 'a/b' }, 'provider_id must be 1-128 characters'],
      [{ ...valid, scopes: 'api' }, 'scopes must be an array'],
      [{ ...valid, expires_in_days: 0 }, 'expires_in_days must not be less than 1'],
      [{ ...valid, ip_restrictions: ['10.0.0.0/33'] }, 'ip_restrictions entry "10.0.0.0/33" has a prefix length outside 0-32'],
      [{ ...valid, ip_restrictions: ['example.com'] }, 'ip_restrictions entry "example.com" is not an IPv4 or IPv6 address or CIDR range'],
      [{ ...valid, unexpected: true }, 'property unexpected should not exist'],
      [{ provider_id: 'p' }, 'name must be a string'],
    ];
    for (const [body, message] of cases) {
      const answer = await generate(body);
      expect([answer.status, answer.body['message']]).toEqual([400, expect.stringContaining(message)]);
    }
    const truncated = await call(app, 'POST', '/auth/keys/generate', { headers: admin(), rawBody: '{"provider_id": "p",' });
    expect(truncated.status).toBe(400);
    const verifyBad = await call(app, 'POST', '/auth/keys/verify', { headers: service(), body: { key: 42, client_ip: 'nowhere' } });
    expect(verifyBad.status).toBe(400);
    expect(verifyBad.body['message']).toBe('key must be a string; client_ip must be an IPv4 or IPv6 address');
    const revokeBad = await call(app, 'POST', '/auth/keys/00000000-0000-4000-8000-000000000000/revoke', { headers: admin(), body: {} });
    expect(revokeBad.status).toBe(400);
    expect(revokeBad.body['message']).toContain('reason must be a string');
    const rotateBad = await call(app, 'POST', '/auth/keys/00000000-0000-4000-8000-000000000000/rotate', { headers: admin(), body: { grace_period_seconds: -1 } });
    expect(rotateBad.body['message']).toContain('grace_period_seconds must not be less than 0');
    const listBad = await call(app, 'GET', '/auth/keys?provider_id=p&limit=500', { headers: admin() });
    expect([listBad.status, listBad.body['message']]).toEqual([400, 'limit must not be greater than 100']);
    const listMissing = await call(app, 'GET', '/auth/keys', { headers: admin() });
    expect([listMissing.status, listMissing.body['message']]).toEqual([400, expect.stringContaining('provider_id must be 1-128 characters')]);
  });

  it('requires the admin key for admin routes and a service key for verify', async () => {
    const key = await issue();
    for (const headers of [{}, { 'x-admin-key': 'wrong-admin-key-123' }, service()] as Record<string, string>[]) {
      const answer = await call(app, 'POST', '/auth/keys/generate', { headers, body: { provider_id: 'p', name: 'n', environment: 'test', scopes: [] } });
      expect(answer.status).toBe(401);
      expect(answer.body['message']).toBe('Missing or invalid X-Admin-Key header');
    }
    expect((await call(app, 'GET', `/auth/keys/${key.token_id}/usage`, { headers: service() })).status).toBe(401);
    for (const headers of [{}, service('wrong'), { authorization: `Basic ${SERVICE_KEY}` }, admin(), { 'x-api-key': key.key }] as Record<string, string>[]) {
      const answer = await call(app, 'POST', '/auth/keys/verify', { headers, body: { key: key.key } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await call(app, 'POST', '/auth/keys/verify', { headers: service('e2e-other-service-key'), body: { key: key.key } })).status).toBe(200);
  });

  it('documents the three security schemes for Swagger', async () => {
    const document = (await call<{ components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { security?: unknown }>> }>(
      app,
      'GET',
      '/openapi.json',
    )).body;
    expect(document.components.securitySchemes).toEqual({
      'admin-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Admin-Key' }),
      'service-key': expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(document.paths['/auth/keys/generate']?.['post']?.security).toEqual([{ 'admin-key': [] }]);
    expect(document.paths['/auth/keys/verify']?.['post']?.security).toEqual([{ 'service-key': [] }]);
    expect(document.paths['/auth/sas']?.['post']?.security).toEqual([{ 'api-key': [] }]);
  });

  it('logs one line per request with ids and codes, and never a key, a hash, the admin key or the connection string', async () => {
    const key = await issue();
    await verify(app, { key: key.key });
    await eventually(async () => app.logs().some((line) => line.includes('"event":"key_verify"') && line.includes(key.token_id)), 2000, 20);
    const verifyLine = JSON.parse(app.logs().filter((line) => line.includes('"event":"key_verify"') && line.includes(key.token_id)).at(-1)!) as Record<string, unknown>;
    expect(verifyLine).toMatchObject({ msg: 'request completed', url: '/auth/keys/verify', status_code: 200, code: 'VALID', key_id: key.token_id });
    const secrets = [ADMIN_KEY, SERVICE_KEY, PEPPER, AZURITE_ACCOUNT_KEY, azurite.connectionString];
    for (const issued of issuedKeys) secrets.push(issued, hashApiKey(issued, PEPPER));
    expectNoSecretsIn([...app.logs(), ...replica.logs()], secrets);
  });
});

async function storageReads(app: AppProcess): Promise<number> {
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  return [...metrics.matchAll(/^api_key_manager_storage_operations_total\{operation="key_read_by_hash",outcome="[a-z_]+"\} (\d+)/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}
