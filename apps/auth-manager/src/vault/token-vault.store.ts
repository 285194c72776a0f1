import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { AuthManagerEnv } from '../config/env';
import { VaultDatabase } from '../database/vault-database.service';
import { EncryptedTokenRecord } from './encrypted-token.entity';

export type TokenRecordChanges = Partial<Omit<EncryptedTokenRecord, 'id' | 'userId' | 'createdAt'>>;

export interface SessionSummary {
  readonly sessionId: string;
  readonly firstSeenAt: Date;
  readonly lastRefreshedAt: Date | null;
  readonly tokenCount: number;
  readonly activeTokenCount: number;
}

/** What a caller holding a row lock may do to that row before the transaction commits. */
export interface LockedTokenRow {
  update(changes: TokenRecordChanges): Promise<void>;
  remove(): Promise<void>;
}

/** The vault's storage. One implementation, on PostgreSQL through TypeORM; tests run it against a real server. */
export abstract class TokenVaultStore {
  /** Inserts the row; when a row with the same refresh-token digest exists, inserts nothing and returns its id. */
  abstract insert(record: EncryptedTokenRecord): Promise<string | undefined>;
  abstract findIdByDigest(digest: string): Promise<string | undefined>;
  abstract findById(id: string): Promise<EncryptedTokenRecord | null>;
  abstract listByUser(userId: string): Promise<EncryptedTokenRecord[]>;
  /**
   * Runs `work` in a transaction holding the row's lock (SELECT ... FOR UPDATE), so that one refresh, delete or
   * rewrap of a token runs at a time across every replica; the others wait, up to a lock timeout.
   */
  abstract withLockedRecord<T>(
    id: string,
    work: (record: EncryptedTokenRecord | null, row: LockedTokenRow) => Promise<T>,
  ): Promise<T>;
  abstract listSessions(userId: string): Promise<SessionSummary[]>;
  abstract idsInSession(sessionId: string): Promise<string[]>;
  /** Ids of rows not under `keyId`, after `afterId`, in id order: the rewrap command's pages. */
  abstract idsNotUnderKey(keyId: string, afterId: string, limit: number): Promise<string[]>;
  /** Records a state token's jti as used; false when it already was (a replay). */
  abstract consumeState(jti: string, expiresAt: Date): Promise<boolean>;
  /** Forgets a used jti, so a callback that failed for a passing reason can be retried. */
  abstract releaseState(jti: string): Promise<void>;
}

/** A purge of expired consumed states rides along with a consume at most this often. */
const STATE_PURGE_INTERVAL_MS = 60_000;

@Injectable()
export class TypeormTokenVaultStore extends TokenVaultStore {
  private readonly lockTimeoutMs: number;
  private lastStatePurge = 0;

  constructor(
    private readonly database: VaultDatabase,
    config: ConfigService<AuthManagerEnv, true>,
  ) {
    super();
    // A waiter may have to sit out one whole provider call of the lock holder, plus some slack.
    const providerTimeoutMs = config.get('AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS', { infer: true }) * 1000;
    this.lockTimeoutMs = providerTimeoutMs + Math.max(1000, providerTimeoutMs / 2);
  }

  insert(record: EncryptedTokenRecord): Promise<string | undefined> {
    return this.database.run(async (dataSource) => {
      const result = await dataSource
        .createQueryBuilder()
        .insert()
        .into(EncryptedTokenRecord)
        .values(record)
        .orIgnore()
        .returning('id')
        .execute();
      if ((result.raw as unknown[]).length === 1) return undefined;
      return (await this.findIdByDigest(record.refreshTokenDigest)) ?? record.id;
    });
  }

  findIdByDigest(digest: string): Promise<string | undefined> {
    return this.database.run(async (dataSource) => {
      const found = await dataSource
        .getRepository(EncryptedTokenRecord)
        .findOne({ select: { id: true }, where: { refreshTokenDigest: digest } });
      return found?.id;
    });
  }

  findById(id: string): Promise<EncryptedTokenRecord | null> {
    return this.database.run((dataSource) =>
      dataSource.getRepository(EncryptedTokenRecord).findOneBy({ id }),
    );
  }

  listByUser(userId: string): Promise<EncryptedTokenRecord[]> {
    return this.database.run((dataSource) =>
      dataSource
        .getRepository(EncryptedTokenRecord)
        .find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } }),
    );
  }

  withLockedRecord<T>(
    id: string,
    work: (record: EncryptedTokenRecord | null, row: LockedTokenRow) => Promise<T>,
  ): Promise<T> {
    return this.database.run((dataSource) =>
      dataSource.transaction(async (manager: EntityManager) => {
        await manager.query(`SET LOCAL lock_timeout = ${this.lockTimeoutMs}`);
        const record = await manager.findOne(EncryptedTokenRecord, {
          where: { id },
          lock: { mode: 'pessimistic_write' },
        });
        return work(record, {
          update: async (changes) => {
            await manager.update(EncryptedTokenRecord, { id }, changes);
          },
          remove: async () => {
            await manager.delete(EncryptedTokenRecord, { id });
          },
        });
      }),
    );
  }

  listSessions(userId: string): Promise<SessionSummary[]> {
    return this.database.run(async (dataSource) => {
      const rows: {
        session_id: string;
        first_seen_at: Date;
        last_refreshed_at: Date | null;
        token_count: number;
        active_token_count: number;
      }[] = await dataSource.query(
        `SELECT session_id,
                  min(created_at) AS first_seen_at,
                  max(last_refreshed_at) AS last_refreshed_at,
                  count(*)::int AS token_count,
                  (count(*) FILTER (WHERE revoked_at IS NULL))::int AS active_token_count
             FROM vault_tokens
            WHERE user_id = $1 AND session_id IS NOT NULL
            GROUP BY session_id
            ORDER BY min(created_at), session_id`,
        [userId],
      );
      return rows.map((row) => ({
        sessionId: row.session_id,
        firstSeenAt: new Date(row.first_seen_at),
        lastRefreshedAt: row.last_refreshed_at ? new Date(row.last_refreshed_at) : null,
        tokenCount: Number(row.token_count),
        activeTokenCount: Number(row.active_token_count),
      }));
    });
  }

  idsInSession(sessionId: string): Promise<string[]> {
    return this.database.run(async (dataSource) => {
      const rows: { id: string }[] = await dataSource.query(
        'SELECT id FROM vault_tokens WHERE session_id = $1 ORDER BY id',
        [sessionId],
      );
      return rows.map((row) => row.id);
    });
  }

  idsNotUnderKey(keyId: string, afterId: string, limit: number): Promise<string[]> {
    return this.database.run(async (dataSource) => {
      const rows: { id: string }[] = await dataSource.query(
        'SELECT id FROM vault_tokens WHERE key_id <> $1 AND id > $2 ORDER BY id LIMIT $3',
        [keyId, afterId, limit],
      );
      return rows.map((row) => row.id);
    });
  }

  consumeState(jti: string, expiresAt: Date): Promise<boolean> {
    return this.database.run(async (dataSource) => {
      if (Date.now() - this.lastStatePurge > STATE_PURGE_INTERVAL_MS) {
        this.lastStatePurge = Date.now();
        await dataSource.query('DELETE FROM offline_consumed_states WHERE expires_at < now()');
      }
      const inserted: unknown[] = await dataSource.query(
        'INSERT INTO offline_consumed_states (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING RETURNING jti',
        [jti, expiresAt],
      );
      return inserted.length === 1;
    });
  }

  releaseState(jti: string): Promise<void> {
    return this.database.run(async (dataSource) => {
      await dataSource.query('DELETE FROM offline_consumed_states WHERE jti = $1', [jti]);
    });
  }
}
