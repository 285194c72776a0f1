import type { ConfigService } from '@nestjs/config';
import { generateApiKey, hashApiKey } from '@auth-platform/crypto';
import { MetricsService } from '@auth-platform/platform';
import type { ApiKeyRecord } from '../keys/api-key.record';
import type { ApiKeyStore } from '../keys/api-key.store';
import { KeyHashing } from '../keys/key-hashing.service';
import type { UsageService } from '../usage/usage.service';
import { VerificationCode, VerificationService } from './verification.service';

const PEPPER = 'p'.repeat(32);

function setup(record?: Partial<ApiKeyRecord>) {
  const { key } = generateApiKey({ environment: 'live' });
  const stored: ApiKeyRecord = {
    id: 'key-1',
    providerId: 'acme',
    name: 'n',
    environment: 'live',
    scopes: ['orders:read', 'orders:write'],
    ipRestrictions: ['10.0.0.0/8'],
    displayPrefix: 'x',
    hash: hashApiKey(key, PEPPER),
    createdAt: 0,
    ...record,
  };
  const values: Record<string, unknown> = { API_KEY_PREFIX: 'permas', VERIFY_CACHE_TTL_MS: 2000, VERIFY_CACHE_MAX_ENTRIES: 100, API_KEY_HASH_PEPPER: PEPPER };
  const config = { get: (name: string) => values[name] } as unknown as ConfigService;
  const lookups: string[] = [];
  const store = {
    findByHash: async (hash: string) => {
      lookups.push(hash);
      return hash === stored.hash ? stored : undefined;
    },
  } as unknown as ApiKeyStore;
  const recorded: unknown[][] = [];
  const usage = { record: (...args: unknown[]) => recorded.push(args) } as unknown as UsageService;
  const service = new VerificationService(config as never, store, new KeyHashing(config as never), usage, new MetricsService());
  return { key, service, lookups, recorded, stored };
}

describe('VerificationService', () => {
  it('refuses a mistyped or forged key offline', async () => {
    const { key, service, lookups } = setup();
    const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    for (const presented of [forged, '', 'permas_live_x', key.replace('permas', 'other1')]) {
      expect(await service.verify({ key: presented, endpoint: 'verify' })).toEqual({ code: VerificationCode.MALFORMED, cache: 'none' });
    }
    expect(lookups).toEqual([]);
  });

  it('checks revocation, expiry, the client address and then scopes, in that order', async () => {
    const cases: [Partial<ApiKeyRecord>, Record<string, unknown>, VerificationCode][] = [
      [{}, { clientIp: '10.0.0.1', requiredScopes: ['orders:read'] }, VerificationCode.VALID],
      [{}, { clientIp: '10.0.0.1', requiredScopes: ['orders:delete'] }, VerificationCode.INSUFFICIENT_SCOPES],
      [{}, { clientIp: '11.0.0.1', requiredScopes: ['orders:delete'] }, VerificationCode.IP_NOT_ALLOWED],
      [{ expiresAt: Date.now() - 1 }, { clientIp: '11.0.0.1' }, VerificationCode.EXPIRED],
      [{ rotatedTo: 'k2', graceUntil: Date.now() - 1 }, { clientIp: '10.0.0.1' }, VerificationCode.EXPIRED],
      [{ revokedAt: 1, expiresAt: 1 }, { clientIp: '11.0.0.1' }, VerificationCode.REVOKED],
    ];
    for (const [record, request, code] of cases) {
      const { key, service } = setup(record);
      expect((await service.verify({ key, endpoint: 'verify', ...request })).code).toBe(code);
    }
  });

  it('answers NOT_FOUND for a well-formed key it does not hold, and caches that answer too', async () => {
    const { service, lookups } = setup();
    const stranger = generateApiKey({ environment: 'test' }).key;
    expect(await service.verify({ key: stranger, endpoint: 'verify' })).toMatchObject({ code: VerificationCode.NOT_FOUND, environment: 'test', cache: 'miss' });
    expect(await service.verify({ key: stranger, endpoint: 'verify' })).toMatchObject({ code: VerificationCode.NOT_FOUND, cache: 'hit' });
    expect(lookups).toHaveLength(1);
  });

  it('counts each verification of a stored key toward its usage, with the status it stands for', async () => {
    const { key, service, recorded } = setup();
    await service.verify({ key, endpoint: 'verify', clientIp: '10.0.0.1' });
    await service.verify({ key, endpoint: 'verify', clientIp: '12.0.0.1' });
    expect(recorded).toEqual([
      ['key-1', 'acme', 'verify', 200],
      ['key-1', 'acme', 'verify', 403],
    ]);
  });

  it('sees a change at once after forget', async () => {
    const { key, service, lookups, stored } = setup();
    await service.verify({ key, endpoint: 'verify', clientIp: '10.0.0.1' });
    service.forget(stored.hash);
    await service.verify({ key, endpoint: 'verify', clientIp: '10.0.0.1' });
    expect(lookups).toHaveLength(2);
  });
});
