import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter } from 'prom-client';
import { type ApiKeyEnvironment, generateApiKey } from '@auth-platform/crypto';
import { MetricsService } from '@auth-platform/platform';
import { AuditEventType, AuditLog } from '../audit/audit.log';
import type { ApiKeyManagerEnv } from '../config/env';
import { describeStorageFailure } from '../storage/azure-storage.service';
import { VerificationService } from '../verification/verification.service';
import { type ApiKeyRecord, keyStatus } from './api-key.record';
import { type ApiKeyPage, ApiKeyStore, InvalidContinuationTokenError } from './api-key.store';
import { KeyHashing } from './key-hashing.service';
import { KeyErrorCode, KeyException } from './keys.exception';

const DAY_MS = 86_400_000;

export interface NewKeyInput {
  readonly providerId: string;
  readonly name: string;
  readonly environment: ApiKeyEnvironment;
  readonly scopes: readonly string[];
  readonly expiresInDays?: number;
  readonly description?: string;
  readonly ipRestrictions?: readonly string[];
}

export interface IssuedKey {
  readonly record: ApiKeyRecord;
  /** The plaintext key, for the one response that returns it. */
  readonly key: string;
}

/** Who asked: the admin credential's fingerprint, for records and the audit log. */
export interface Actor {
  readonly id: string;
}

/**
 * The key lifecycle: generate (the key is returned once, only its hash is stored), list, revoke (who, when, why;
 * once) and rotate (a new key with the same metadata; the old one works through a grace period). Every change is
 * in the audit log, and this replica's verification cache forgets a changed key at once.
 */
@Injectable()
export class KeysService {
  private readonly logger = new Logger('Keys');
  private readonly prefix: string;
  private readonly generated: Counter<'environment'>;
  private readonly revoked: Counter;
  private readonly rotated: Counter;

  constructor(
    config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly store: ApiKeyStore,
    private readonly hashing: KeyHashing,
    private readonly verification: VerificationService,
    private readonly audit: AuditLog,
    metrics: MetricsService,
  ) {
    this.prefix = config.get('API_KEY_PREFIX', { infer: true });
    const registers = [metrics.registry];
    this.generated = new Counter({ name: 'api_key_manager_keys_generated_total', help: 'Keys generated (rotations included)', labelNames: ['environment'], registers });
    this.revoked = new Counter({ name: 'api_key_manager_keys_revoked_total', help: 'Keys revoked', registers });
    this.rotated = new Counter({ name: 'api_key_manager_keys_rotated_total', help: 'Keys rotated', registers });
  }

  async generate(input: NewKeyInput, actor: Actor): Promise<IssuedKey> {
    const issued = this.newKey(input);
    await this.createOrDiscard(issued.record);
    await this.auditOrDiscard(issued.record, {
      id: `generated-${issued.record.id}`,
      type: AuditEventType.KEY_GENERATED,
      at: issued.record.createdAt,
      actor: actor.id,
      keyId: issued.record.id,
      providerId: issued.record.providerId,
      details: { name: issued.record.name, environment: issued.record.environment, scopes: issued.record.scopes },
    });
    this.generated.inc({ environment: issued.record.environment });
    return issued;
  }

  async list(providerId: string, limit: number, continuationToken?: string): Promise<ApiKeyPage> {
    try {
      return await this.store.listByProvider(providerId, limit, continuationToken);
    } catch (error) {
      if (error instanceof InvalidContinuationTokenError) throw new KeyException(KeyErrorCode.INVALID_CONTINUATION_TOKEN, error.message);
      throw error;
    }
  }

  async get(id: string): Promise<ApiKeyRecord> {
    const stored = await this.store.findById(id);
    if (!stored) throw new KeyException(KeyErrorCode.KEY_NOT_FOUND, `API key ${id} not found`);
    return stored.record;
  }

  async revoke(id: string, reason: string, revokedBy: string | undefined, actor: Actor): Promise<ApiKeyRecord> {
    const stored = await this.store.findById(id);
    if (!stored) throw new KeyException(KeyErrorCode.KEY_NOT_FOUND, `API key ${id} not found`);
    if (stored.record.revokedAt !== undefined) await this.refuseRevoked(stored.record);
    const now = Date.now();
    const revoked: ApiKeyRecord = {
      ...stored.record,
      revokedAt: now,
      revokedBy: revokedBy ? `${revokedBy} (${actor.id})` : actor.id,
      revocationReason: reason,
    };
    if (!(await this.store.replace(revoked, stored.etag))) await this.resolveConflict(id);
    this.verification.forget(revoked.hash);
    await this.recordRevocation(revoked);
    this.revoked.inc();
    return revoked;
  }

  async rotate(id: string, gracePeriodSeconds: number, actor: Actor): Promise<IssuedKey & { previous: ApiKeyRecord }> {
    const stored = await this.store.findById(id);
    if (!stored) throw new KeyException(KeyErrorCode.KEY_NOT_FOUND, `API key ${id} not found`);
    const old = stored.record;
    const now = Date.now();
    if (old.revokedAt !== undefined) await this.refuseRevoked(old);
    if (old.rotatedTo !== undefined) throw new KeyException(KeyErrorCode.ALREADY_ROTATED, `API key ${id} was already rotated to ${old.rotatedTo}`);
    if (keyStatus(old, now) === 'expired') throw new KeyException(KeyErrorCode.KEY_EXPIRED, `API key ${id} has expired; generate a new key instead`);

    const issued = this.newKey(
      {
        providerId: old.providerId,
        name: old.name,
        environment: old.environment,
        scopes: old.scopes,
        expiresInDays: old.expiresInDays,
        description: old.description,
        ipRestrictions: old.ipRestrictions,
      },
      old.id,
    );
    await this.createOrDiscard(issued.record);
    const previous: ApiKeyRecord = { ...old, rotatedTo: issued.record.id, graceUntil: now + gracePeriodSeconds * 1000 };
    let replaced: boolean;
    try {
      replaced = await this.store.replace(previous, stored.etag);
    } catch (error) {
      await this.discardQuietly(issued.record);
      throw error;
    }
    if (!replaced) {
      await this.discardQuietly(issued.record);
      await this.resolveConflict(id);
    }
    this.verification.forget(old.hash);
    await this.audit.append({
      id: `rotated-${old.id}`,
      type: AuditEventType.KEY_ROTATED,
      at: now,
      actor: actor.id,
      keyId: old.id,
      providerId: old.providerId,
      details: { new_key_id: issued.record.id, grace_until: new Date(previous.graceUntil ?? now).toISOString() },
    });
    this.rotated.inc();
    this.generated.inc({ environment: issued.record.environment });
    return { ...issued, previous };
  }

  private newKey(input: NewKeyInput, rotatedFrom?: string): IssuedKey {
    const generated = generateApiKey({ prefix: this.prefix, environment: input.environment });
    const createdAt = Date.now();
    const record: ApiKeyRecord = {
      id: randomUUID(),
      providerId: input.providerId,
      name: input.name,
      description: input.description,
      environment: input.environment,
      scopes: [...new Set(input.scopes)],
      ipRestrictions: (input.ipRestrictions ?? []).map((entry) => entry.trim()),
      displayPrefix: generated.displayPrefix,
      hash: this.hashing.hash(generated.key),
      createdAt,
      expiresAt: input.expiresInDays === undefined ? undefined : createdAt + input.expiresInDays * DAY_MS,
      expiresInDays: input.expiresInDays,
      rotatedFrom,
    };
    return { record, key: generated.key };
  }

  /** A revoked key stays revoked everywhere: copies a failed earlier request left behind are repaired first. */
  private async refuseRevoked(record: ApiKeyRecord): Promise<never> {
    await this.store.resync(record);
    await this.recordRevocation(record);
    this.verification.forget(record.hash);
    throw new KeyException(KeyErrorCode.ALREADY_REVOKED, `API key ${record.id} is already revoked`);
  }

  /** Someone else changed the key between our read and our write: bring the copies back in line, then say so. */
  private async resolveConflict(id: string): Promise<never> {
    const current = await this.store.findById(id);
    if (current) {
      await this.store.resync(current.record);
      this.verification.forget(current.record.hash);
      if (current.record.revokedAt !== undefined) await this.refuseRevoked(current.record);
      if (current.record.rotatedTo !== undefined) {
        throw new KeyException(KeyErrorCode.ALREADY_ROTATED, `API key ${id} was already rotated to ${current.record.rotatedTo}`);
      }
    }
    throw new KeyException(KeyErrorCode.CONCURRENT_CHANGE, `API key ${id} was changed by another request; try again`);
  }

  private recordRevocation(record: ApiKeyRecord): Promise<void> {
    return this.audit.append({
      id: `revoked-${record.id}`,
      type: AuditEventType.KEY_REVOKED,
      at: record.revokedAt ?? Date.now(),
      actor: record.revokedBy ?? 'unknown',
      keyId: record.id,
      providerId: record.providerId,
      details: { reason: record.revocationReason ?? '' },
    });
  }

  /** A key written only in part (storage failed midway) is removed again: it was never handed out. */
  private async createOrDiscard(record: ApiKeyRecord): Promise<void> {
    try {
      await this.store.create(record);
    } catch (error) {
      await this.discardQuietly(record);
      throw error;
    }
  }

  /** A key whose generation cannot be audited is not handed out. */
  private async auditOrDiscard(record: ApiKeyRecord, event: Parameters<AuditLog['append']>[0]): Promise<void> {
    try {
      await this.audit.append(event);
    } catch (error) {
      await this.discardQuietly(record);
      throw error;
    }
  }

  private async discardQuietly(record: ApiKeyRecord): Promise<void> {
    try {
      await this.store.discard(record);
    } catch (error) {
      // The key was never shown to anyone, so what is left behind cannot be used; it is only clutter.
      this.logger.warn({ event: 'key_discard_failed', key_id: record.id, reason: describeStorageFailure(error) }, 'unused key left in storage');
    }
  }
}
