import type { ApiKeyRecord } from './api-key.record';

export interface StoredApiKey {
  readonly record: ApiKeyRecord;
  /** Optimistic-concurrency token of the authoritative copy. */
  readonly etag: string;
}

export interface ApiKeyPage {
  readonly records: readonly ApiKeyRecord[];
  /** Opaque; present when there are more keys. */
  readonly continuationToken?: string;
}

/** Thrown for a continuation token that this store did not give out for that provider. */
export class InvalidContinuationTokenError extends Error {}

/**
 * Where keys live. Each key is reachable three ways: by id (the authoritative copy, with an ETag), by hash (what
 * verification reads) and by provider (listing). The implementation keeps the copies in step.
 */
export abstract class ApiKeyStore {
  abstract findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  abstract findById(id: string): Promise<StoredApiKey | undefined>;
  /** Writes a new key: the hash copy first, so a key is never listed without being verifiable. */
  abstract create(record: ApiKeyRecord): Promise<void>;
  /**
   * Replaces a key if the authoritative copy still has `etag`. The hash copy is written first, so a revocation
   * takes effect even if a later write fails. Returns false on a concurrent change (nothing else is rolled back:
   * call `resync` with the current record).
   */
  abstract replace(record: ApiKeyRecord, etag: string): Promise<boolean>;
  /** Rewrites the hash and provider copies from the authoritative record (after a conflict or a partial failure). */
  abstract resync(record: ApiKeyRecord): Promise<void>;
  /** Best-effort removal of a key that was never handed out. */
  abstract discard(record: ApiKeyRecord): Promise<void>;
  abstract listByProvider(providerId: string, limit: number, continuationToken?: string): Promise<ApiKeyPage>;
}
