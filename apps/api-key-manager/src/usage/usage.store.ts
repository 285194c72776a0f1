import type { PendingUsage, UsageRow } from './usage.model';

/** Thrown when a row kept changing under every attempt to add a flush to it. */
export class UsageWriteConflictError extends Error {}

/** Per-key, per-day usage rows. */
export abstract class UsageStore {
  /** Adds a flush to its row with optimistic concurrency, exactly once even when retried. */
  abstract apply(pending: PendingUsage): Promise<void>;
  abstract rowsOfKey(keyId: string): Promise<UsageRow[]>;
  abstract rowsOfDay(day: string): Promise<UsageRow[]>;
}
