import { Injectable } from '@nestjs/common';
import { type TableEntityResult, odata } from '@azure/data-tables';
import { AzureStorage } from '../storage/azure-storage.service';
import { statusOf } from '../storage/storage-errors';
import type { ApiKeyRecord } from './api-key.record';
import { type ApiKeyPage, ApiKeyStore, InvalidContinuationTokenError, type StoredApiKey } from './api-key.store';

const ROW = 'key';
/** Larger than any epoch ms for millennia, so `MAX - createdAt` sorts the newest key first. */
const NEWEST_FIRST_BASE = 9_999_999_999_999;
/** The SDK's continuation token is base64 of Azure's opaque markers; only its alphabet and size are checked. */
const AZURE_TOKEN = /^[A-Za-z0-9+/=]{1,2048}$/;

type KeyEntity = Record<string, string | number> & { partitionKey: string; rowKey: string };

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}

function epoch(value: unknown): number | undefined {
  return typeof value === 'string' ? Date.parse(value) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function list(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
}

function toEntity(record: ApiKeyRecord, partitionKey: string, rowKey: string): KeyEntity {
  const fields: Record<string, string | number | undefined> = {
    id: record.id,
    providerId: record.providerId,
    name: record.name,
    description: record.description,
    environment: record.environment,
    scopes: JSON.stringify(record.scopes),
    ipRestrictions: JSON.stringify(record.ipRestrictions),
    displayPrefix: record.displayPrefix,
    hash: record.hash,
    createdAt: iso(record.createdAt),
    expiresAt: iso(record.expiresAt),
    expiresInDays: record.expiresInDays,
    revokedAt: iso(record.revokedAt),
    revokedBy: record.revokedBy,
    revocationReason: record.revocationReason,
    rotatedFrom: record.rotatedFrom,
    rotatedTo: record.rotatedTo,
    graceUntil: iso(record.graceUntil),
  };
  const entity: KeyEntity = { partitionKey, rowKey };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) entity[name] = value;
  return entity;
}

function fromEntity(entity: Record<string, unknown>): ApiKeyRecord {
  return {
    id: String(entity['id']),
    providerId: String(entity['providerId']),
    name: String(entity['name']),
    description: text(entity['description']),
    environment: entity['environment'] === 'live' ? 'live' : 'test',
    scopes: list(entity['scopes']),
    ipRestrictions: list(entity['ipRestrictions']),
    displayPrefix: String(entity['displayPrefix']),
    hash: String(entity['hash']),
    createdAt: epoch(entity['createdAt']) ?? 0,
    expiresAt: epoch(entity['expiresAt']),
    expiresInDays: typeof entity['expiresInDays'] === 'number' ? entity['expiresInDays'] : undefined,
    revokedAt: epoch(entity['revokedAt']),
    revokedBy: text(entity['revokedBy']),
    revocationReason: text(entity['revocationReason']),
    rotatedFrom: text(entity['rotatedFrom']),
    rotatedTo: text(entity['rotatedTo']),
    graceUntil: epoch(entity['graceUntil']),
  };
}

function providerRowKey(record: ApiKeyRecord): string {
  return `${String(NEWEST_FIRST_BASE - record.createdAt).padStart(13, '0')}-${record.id}`;
}

/**
 * Our continuation token wraps Azure's (whose markers are opaque) with the provider, so a token cannot be
 * replayed against another provider's list.
 */
function encodeContinuation(providerId: string, azureToken: string): string {
  return Buffer.from(JSON.stringify({ p: providerId, t: azureToken })).toString('base64url');
}

function decodeContinuation(providerId: string, token: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinuationTokenError('continuation_token is not a token this service issued');
  }
  const { p, t } = (decoded ?? {}) as { p?: unknown; t?: unknown };
  if (typeof t !== 'string' || !AZURE_TOKEN.test(t)) throw new InvalidContinuationTokenError('continuation_token is not a token this service issued');
  if (p !== providerId) throw new InvalidContinuationTokenError('continuation_token belongs to another provider_id');
  return t;
}

/**
 * Keys in three tables: `<prefix>` by id (authoritative, ETag), `<prefix>hashes` by hash, one partition per hash,
 * so verification load spreads over the whole key space instead of a hot partition; `<prefix>byprovider`, one
 * partition per provider, newest first, for listing.
 */
@Injectable()
export class AzureTableApiKeyStore extends ApiKeyStore {
  constructor(private readonly storage: AzureStorage) {
    super();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.storage.run('key_read_by_hash', async ({ tables }, abortSignal) => {
      try {
        return fromEntity(await tables.hashes.getEntity(hash, ROW, { abortSignal }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async findById(id: string): Promise<StoredApiKey | undefined> {
    return this.storage.run('key_read_by_id', async ({ tables }, abortSignal) => {
      try {
        const entity: TableEntityResult<Record<string, unknown>> = await tables.keys.getEntity(id, ROW, { abortSignal });
        return { record: fromEntity(entity), etag: entity.etag };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async create(record: ApiKeyRecord): Promise<void> {
    await this.writeHash(record);
    await this.storage.run('key_write', ({ tables }, abortSignal) => tables.keys.upsertEntity(toEntity(record, record.id, ROW), 'Replace', { abortSignal }));
    await this.writeProvider(record);
  }

  async replace(record: ApiKeyRecord, etag: string): Promise<boolean> {
    await this.writeHash(record);
    const replaced = await this.storage.run('key_update', async ({ tables }, abortSignal) => {
      try {
        await tables.keys.updateEntity(toEntity(record, record.id, ROW), 'Replace', { etag, abortSignal });
        return true;
      } catch (error) {
        if (statusOf(error) === 412) return false;
        throw error;
      }
    });
    if (replaced) await this.writeProvider(record);
    return replaced;
  }

  async resync(record: ApiKeyRecord): Promise<void> {
    await this.writeHash(record);
    await this.writeProvider(record);
  }

  async discard(record: ApiKeyRecord): Promise<void> {
    const remove = (table: 'hashes' | 'keys' | 'providers', partitionKey: string, rowKey: string) =>
      this.storage.run('key_delete', async ({ tables }, abortSignal) => {
        try {
          await tables[table].deleteEntity(partitionKey, rowKey, { abortSignal });
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
        }
      });
    await remove('providers', record.providerId, providerRowKey(record));
    await remove('keys', record.id, ROW);
    await remove('hashes', record.hash, ROW);
  }

  async listByProvider(providerId: string, limit: number, continuationToken?: string): Promise<ApiKeyPage> {
    let azureToken = continuationToken === undefined ? undefined : decodeContinuation(providerId, continuationToken);
    // Azure may answer a page with no entities but a continuation; follow a few of those before answering.
    for (let hops = 0; hops < 5; hops++) {
      const page = await this.storage.run('key_list', async ({ tables }, abortSignal) => {
        const pages = tables.providers
          .listEntities<Record<string, unknown>>({ abortSignal, queryOptions: { filter: odata`PartitionKey eq ${providerId}` } })
          .byPage({ maxPageSize: limit, continuationToken: azureToken });
        const first = await pages.next();
        return first.done ? { entities: [], token: undefined } : { entities: [...first.value], token: first.value.continuationToken };
      });
      azureToken = page.token;
      if (page.entities.length > 0 || !azureToken) {
        return { records: page.entities.map(fromEntity), continuationToken: azureToken ? encodeContinuation(providerId, azureToken) : undefined };
      }
    }
    return { records: [], continuationToken: azureToken ? encodeContinuation(providerId, azureToken) : undefined };
  }

  private writeHash(record: ApiKeyRecord): Promise<unknown> {
    return this.storage.run('key_write_hash', ({ tables }, abortSignal) =>
      tables.hashes.upsertEntity(toEntity(record, record.hash, ROW), 'Replace', { abortSignal }),
    );
  }

  private writeProvider(record: ApiKeyRecord): Promise<unknown> {
    return this.storage.run('key_write_provider', ({ tables }, abortSignal) =>
      tables.providers.upsertEntity(toEntity(record, record.providerId, providerRowKey(record)), 'Replace', { abortSignal }),
    );
  }
}
