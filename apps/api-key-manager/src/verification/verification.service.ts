import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type ApiKeyEnvironment, parseApiKey } from '@auth-platform/crypto';
import { HotPathCounter, MetricsService } from '@auth-platform/platform';
import type { ApiKeyManagerEnv } from '../config/env';
import { type ApiKeyRecord, effectiveExpiry } from '../keys/api-key.record';
import { ApiKeyStore } from '../keys/api-key.store';
import { KeyHashing } from '../keys/key-hashing.service';
import { UsageService } from '../usage/usage.service';
import { IpAllowList } from './ip-allow-list';
import { VerificationCache } from './verification-cache';

export enum VerificationCode {
  VALID = 'VALID',
  MALFORMED = 'MALFORMED',
  NOT_FOUND = 'NOT_FOUND',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
  IP_NOT_ALLOWED = 'IP_NOT_ALLOWED',
  INSUFFICIENT_SCOPES = 'INSUFFICIENT_SCOPES',
}

export interface VerificationRequest {
  readonly key: string;
  readonly requiredScopes?: readonly string[];
  readonly clientIp?: string;
  /** What the usage is counted under. */
  readonly endpoint: string;
}

export interface Verification {
  readonly code: VerificationCode;
  readonly record?: ApiKeyRecord;
  /** When the key stops working (its expiry, or the end of a rotation grace period). */
  readonly expiresAt?: number;
  /** From the key itself, known even for a key that is not stored. */
  readonly environment?: ApiKeyEnvironment;
  /** `hit`/`miss` for a storage lookup; `none` when the key was refused offline. */
  readonly cache: 'hit' | 'miss' | 'none';
}

/** A stored key prepared for repeated checks (the IP rules compiled once), or null for a hash with no key. */
type KnownKey = { readonly record: ApiKeyRecord; readonly ipAllowList: IpAllowList; readonly expiresAt?: number } | null;

/** The HTTP status a use with this outcome is counted under in usage statistics. */
const USAGE_STATUS: Record<VerificationCode, number> = {
  [VerificationCode.VALID]: 200,
  [VerificationCode.MALFORMED]: 401,
  [VerificationCode.NOT_FOUND]: 401,
  [VerificationCode.REVOKED]: 401,
  [VerificationCode.EXPIRED]: 401,
  [VerificationCode.IP_NOT_ALLOWED]: 403,
  [VerificationCode.INSUFFICIENT_SCOPES]: 403,
};

/**
 * Verifies presented keys: the format and checksum offline (a forged or mistyped key never reaches storage), then
 * the stored record by peppered hash through a short cache, then revocation, expiry, client address and scopes.
 * Every verification of a stored key counts toward its usage.
 */
@Injectable()
export class VerificationService {
  private readonly prefix: string;
  private readonly cache: VerificationCache<KnownKey>;
  private readonly outcomes: HotPathCounter<'code'>;
  private readonly cacheResults: HotPathCounter<'result'>;

  constructor(
    config: ConfigService<ApiKeyManagerEnv, true>,
    private readonly store: ApiKeyStore,
    private readonly hashing: KeyHashing,
    private readonly usage: UsageService,
    metrics: MetricsService,
  ) {
    this.prefix = config.get('API_KEY_PREFIX', { infer: true });
    this.cache = new VerificationCache(config.get('VERIFY_CACHE_TTL_MS', { infer: true }), config.get('VERIFY_CACHE_MAX_ENTRIES', { infer: true }));
    const registry = metrics.registry;
    this.outcomes = new HotPathCounter({ name: 'api_key_manager_verifications_total', help: 'Key verifications by code', labelNames: ['code'], registry });
    this.cacheResults = new HotPathCounter({ name: 'api_key_manager_verify_cache_total', help: 'Verification cache lookups by result', labelNames: ['result'], registry });
  }

  async verify(request: VerificationRequest): Promise<Verification> {
    const parsed = parseApiKey(request.key, { prefix: this.prefix });
    if (!parsed.ok) return this.outcome({ code: VerificationCode.MALFORMED, cache: 'none' });
    const hash = this.hashing.hash(request.key);
    const lookup = await this.cache.lookup(hash, () => this.load(hash));
    this.cacheResults.inc(lookup.hit ? 'hit' : 'miss');
    const cache = lookup.hit ? 'hit' : 'miss';
    const known = lookup.value;
    if (known === null) return this.outcome({ code: VerificationCode.NOT_FOUND, environment: parsed.environment, cache });
    const verification = { record: known.record, expiresAt: known.expiresAt, environment: known.record.environment, cache } as const;
    const code = this.evaluate(known, request);
    this.usage.record(known.record.id, known.record.providerId, request.endpoint, USAGE_STATUS[code]);
    return this.outcome({ ...verification, code });
  }

  /** Drops a key from this replica's cache at once (other replicas see the change within the cache TTL). */
  forget(hash: string): void {
    this.cache.forget(hash);
  }

  private evaluate(known: NonNullable<KnownKey>, request: VerificationRequest): VerificationCode {
    if (known.record.revokedAt !== undefined) return VerificationCode.REVOKED;
    if (known.expiresAt !== undefined && known.expiresAt <= Date.now()) return VerificationCode.EXPIRED;
    if (!known.ipAllowList.allows(request.clientIp)) return VerificationCode.IP_NOT_ALLOWED;
    const required = request.requiredScopes;
    if (required && required.length > 0) {
      const granted = known.record.scopes;
      for (const scope of required) if (!granted.includes(scope)) return VerificationCode.INSUFFICIENT_SCOPES;
    }
    return VerificationCode.VALID;
  }

  private async load(hash: string): Promise<KnownKey> {
    const record = await this.store.findByHash(hash);
    if (!record) return null;
    return { record, ipAllowList: new IpAllowList(record.ipRestrictions), expiresAt: effectiveExpiry(record) };
  }

  private outcome(verification: Verification): Verification {
    this.outcomes.inc(verification.code);
    return verification;
  }
}
