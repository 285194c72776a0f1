import type { ConfigService } from '@nestjs/config';
import { MetricsService } from '@auth-platform/platform';
import type { AuditEvent, AuditLog } from '../audit/audit.log';
import type { VerificationService } from '../verification/verification.service';
import type { ApiKeyRecord } from './api-key.record';
import type { ApiKeyStore, StoredApiKey } from './api-key.store';
import { KeyHashing } from './key-hashing.service';
import { KeyErrorCode } from './keys.exception';
import { KeysService } from './keys.service';

/** An in-memory store with the Azure store's contract, where a test can make the next write lose a race. */
class FakeStore {
  readonly rows = new Map<string, StoredApiKey>();
  readonly resynced: ApiKeyRecord[] = [];
  readonly discarded: string[] = [];
  raceNextReplaceWith?: ApiKeyRecord;
  private version = 0;

  async findById(id: string) {
    return this.rows.get(id);
  }
  async create(record: ApiKeyRecord) {
    this.rows.set(record.id, { record, etag: String(++this.version) });
  }
  async replace(record: ApiKeyRecord, etag: string) {
    if (this.raceNextReplaceWith) {
      this.rows.set(record.id, { record: this.raceNextReplaceWith, etag: String(++this.version) });
      this.raceNextReplaceWith = undefined;
    }
    if (this.rows.get(record.id)?.etag !== etag) return false;
    this.rows.set(record.id, { record, etag: String(++this.version) });
    return true;
  }
  async resync(record: ApiKeyRecord) {
    this.resynced.push(record);
  }
  async discard(record: ApiKeyRecord) {
    this.discarded.push(record.id);
    this.rows.delete(record.id);
  }
}

function setup() {
  const values: Record<string, unknown> = { API_KEY_PREFIX: 'permas', API_KEY_HASH_PEPPER: 'p'.repeat(32) };
  const config = { get: (name: string) => values[name] } as unknown as ConfigService;
  const store = new FakeStore();
  const events: AuditEvent[] = [];
  const audit = { append: async (event: AuditEvent) => void events.push(event) } as unknown as AuditLog;
  const forgotten: string[] = [];
  const verification = { forget: (hash: string) => forgotten.push(hash) } as unknown as VerificationService;
  const service = new KeysService(config as never, store as unknown as ApiKeyStore, new KeyHashing(config as never), verification, audit, new MetricsService());
  return { service, store, events, forgotten };
}

const actor = { id: 'admin:abc' };
const input = { providerId: 'acme', name: 'n', environment: 'test' as const, scopes: ['a', 'a', 'b'], expiresInDays: 2 };

describe('KeysService', () => {
  it('generates a key, stores its hash only, and audits it', async () => {
    const { service, store, events } = setup();
    const issued = await service.generate(input, actor);
    const stored = store.rows.get(issued.record.id)!.record;
    expect(stored.scopes).toEqual(['a', 'b']);
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(issued.key);
    expect(events.map((event) => event.type)).toEqual(['key_generated']);
  });

  it('revokes once, forgets the key in the cache, and refuses a second revocation', async () => {
    const { service, events, forgotten } = setup();
    const { record } = await service.generate(input, actor);
    const revoked = await service.revoke(record.id, 'leaked', 'alice', actor);
    expect(revoked).toMatchObject({ revokedBy: 'alice (admin:abc)', revocationReason: 'leaked' });
    expect(forgotten).toContain(record.hash);
    await expect(service.revoke(record.id, 'again', undefined, actor)).rejects.toMatchObject({ code: KeyErrorCode.ALREADY_REVOKED });
    expect(events.filter((event) => event.type === 'key_revoked')).toHaveLength(2);
    expect(new Set(events.filter((event) => event.type === 'key_revoked').map((event) => event.id)).size).toBe(1);
  });

  it('answers 409 and repairs the copies when another request revoked the key first', async () => {
    const { service, store } = setup();
    const { record } = await service.generate(input, actor);
    store.raceNextReplaceWith = { ...record, revokedAt: 5, revokedBy: 'admin:other', revocationReason: 'first' };
    await expect(service.revoke(record.id, 'second', undefined, actor)).rejects.toMatchObject({ code: KeyErrorCode.ALREADY_REVOKED });
    expect(store.resynced.at(-1)).toMatchObject({ revokedBy: 'admin:other' });
  });

  it('rotates into a key with the same metadata and a grace period, and discards the new key if it loses a race', async () => {
    const { service, store } = setup();
    const { record } = await service.generate(input, actor);
    const rotated = await service.rotate(record.id, 60, actor);
    expect(rotated.record).toMatchObject({ providerId: 'acme', scopes: ['a', 'b'], expiresInDays: 2, rotatedFrom: record.id });
    expect(rotated.previous.rotatedTo).toBe(rotated.record.id);
    expect(rotated.previous.graceUntil! - Date.now()).toBeLessThanOrEqual(60_000);

    const other = (await service.generate(input, actor)).record;
    store.raceNextReplaceWith = { ...other, rotatedTo: 'someone-else' };
    await expect(service.rotate(other.id, 60, actor)).rejects.toMatchObject({ code: KeyErrorCode.ALREADY_ROTATED });
    expect(store.discarded).toHaveLength(1);
  });

  it('names the missing key', async () => {
    const { service } = setup();
    await expect(service.revoke('nope', 'r', undefined, actor)).rejects.toMatchObject({ code: KeyErrorCode.KEY_NOT_FOUND, message: 'API key nope not found' });
  });
});
