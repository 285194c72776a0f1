export enum AuditEventType {
  KEY_GENERATED = 'key_generated',
  KEY_REVOKED = 'key_revoked',
  KEY_ROTATED = 'key_rotated',
  SAS_ISSUED = 'sas_issued',
}

/** One audited action. Never holds a key, a hash or a SAS token. */
export interface AuditEvent {
  /** Unique for the event; the same id written twice is one event (writes are idempotent). */
  readonly id: string;
  readonly type: AuditEventType;
  /** Epoch ms. */
  readonly at: number;
  /** Who: `admin:<fingerprint>` (and a name when given), or `key:<id>` for a managed key. */
  readonly actor: string;
  readonly keyId: string;
  readonly providerId: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** The audit trail, by UTC day. */
export abstract class AuditLog {
  abstract append(event: AuditEvent): Promise<void>;
  abstract eventsOfDay(day: string): Promise<AuditEvent[]>;
}
