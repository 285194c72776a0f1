import type { ApiKeyEnvironment } from '@auth-platform/crypto';

/** A managed API key as stored: metadata and the peppered hash, never the key itself. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly providerId: string;
  readonly name: string;
  readonly description?: string;
  readonly environment: ApiKeyEnvironment;
  readonly scopes: readonly string[];
  readonly ipRestrictions: readonly string[];
  readonly displayPrefix: string;
  readonly hash: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly expiresAt?: number;
  /** Kept so a rotation gives the new key the same lifetime. */
  readonly expiresInDays?: number;
  readonly revokedAt?: number;
  readonly revokedBy?: string;
  readonly revocationReason?: string;
  /** The key this one replaced by rotation. */
  readonly rotatedFrom?: string;
  /** The key that replaced this one; this one works until graceUntil. */
  readonly rotatedTo?: string;
  readonly graceUntil?: number;
}

export type ApiKeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

/** When the key stops working: its own expiry or the end of its rotation grace period, whichever is first. */
export function effectiveExpiry(record: ApiKeyRecord): number | undefined {
  if (record.graceUntil === undefined) return record.expiresAt;
  if (record.expiresAt === undefined) return record.graceUntil;
  return Math.min(record.expiresAt, record.graceUntil);
}

export function keyStatus(record: ApiKeyRecord, now: number): ApiKeyStatus {
  if (record.revokedAt !== undefined) return 'revoked';
  const expiry = effectiveExpiry(record);
  if (expiry !== undefined && expiry <= now) return 'expired';
  return record.rotatedTo !== undefined ? 'rotating' : 'active';
}
