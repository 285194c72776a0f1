import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { keyringFromHex } from '@auth-platform/crypto';
import { MetricsService } from '@auth-platform/platform';
import type { AuthManagerEnv } from '../config/env';
import type {
  IdentityProviderClient,
  IntrospectionVerdict,
  ProviderTokens,
} from '../identity-provider/identity-provider.client';
import {
  IdentityProviderErrorCode,
  IdentityProviderException,
} from '../identity-provider/identity-provider.exception';
import type { EncryptedTokenRecord } from './encrypted-token.entity';
import { TokenCipher } from './token-cipher';
import { TokenDigest } from './token-digest';
import { TokenVaultService } from './token-vault.service';
import {
  type LockedTokenRow,
  type SessionSummary,
  type TokenRecordChanges,
  TokenVaultStore,
} from './token-vault.store';
import { VaultErrorCode } from './vault.exception';

/**
 * The store's contract in memory: per-row locks that queue, and changes that apply only if the work succeeds
 * (a transaction). The real store runs against PostgreSQL in token-vault.store.spec.ts and the e2e tests.
 */
class InMemoryTokenVaultStore extends TokenVaultStore {
  readonly rows = new Map<string, EncryptedTokenRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();

  async insert(record: EncryptedTokenRecord): Promise<string | undefined> {
    const existing = await this.findIdByDigest(record.refreshTokenDigest);
    if (existing) return existing;
    this.rows.set(record.id, { ...record });
    return undefined;
  }
  async findIdByDigest(digest: string): Promise<string | undefined> {
    return [...this.rows.values()].find((row) => row.refreshTokenDigest === digest)?.id;
  }
  async findById(id: string): Promise<EncryptedTokenRecord | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
  async listByUser(userId: string): Promise<EncryptedTokenRecord[]> {
    return [...this.rows.values()].filter((row) => row.userId === userId);
  }
  withLockedRecord<T>(
    id: string,
    work: (record: EncryptedTokenRecord | null, row: LockedTokenRow) => Promise<T>,
  ): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(async () => {
      let changes: TokenRecordChanges | 'removed' | undefined;
      const result = await work(await this.findById(id), {
        update: async (update) => {
          changes = { ...(changes === 'removed' ? {} : changes), ...update };
        },
        remove: async () => {
          changes = 'removed';
        },
      });
      const current = this.rows.get(id);
      if (changes === 'removed') this.rows.delete(id);
      else if (changes && current) this.rows.set(id, { ...current, ...changes });
      return result;
    });
    this.locks.set(
      id,
      run.catch(() => undefined),
    );
    return run;
  }
  async listSessions(): Promise<SessionSummary[]> {
    return [];
  }
  async idsInSession(): Promise<string[]> {
    return [];
  }
  async idsNotUnderKey(): Promise<string[]> {
    return [];
  }
  async consumeState(): Promise<boolean> {
    return true;
  }
  async releaseState(): Promise<void> {
    return undefined;
  }
}

class FakeProvider {
  readonly clientId = 'auth-manager';
  verdict: IntrospectionVerdict = {
    active: true,
    sub: 'alice',
    sid: 'session-1',
    scope: 'openid',
    client_id: 'auth-manager',
    exp: 2_000_000_000,
  };
  refreshes = 0;
  refreshDelayMs = 20;
  failure?: IdentityProviderException;

  async introspect(): Promise<IntrospectionVerdict> {
    return this.verdict;
  }
  async refresh(refreshToken: string): Promise<ProviderTokens> {
    this.refreshes += 1;
    await new Promise((resolve) => setTimeout(resolve, this.refreshDelayMs));
    if (this.failure) throw this.failure;
    return {
      accessToken: `access-${this.refreshes}`,
      expiresIn: 300,
      refreshToken: `${refreshToken}-rotated-${this.refreshes}`,
      scope: 'openid',
    };
  }
  async revoke(): Promise<void> {
    if (this.failure) throw this.failure;
  }
}

const KEY = '5a'.repeat(32);

function replica(store: TokenVaultStore, provider: FakeProvider): TokenVaultService {
  const values: Partial<AuthManagerEnv> = {
    AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS: 30,
    AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: KEY,
  };
  const config = { get: (name: keyof AuthManagerEnv) => values[name] } as unknown as ConfigService<
    AuthManagerEnv,
    true
  >;
  return new TokenVaultService(
    store,
    new TokenCipher(keyringFromHex(KEY)),
    new TokenDigest(config),
    provider as unknown as IdentityProviderClient,
    config,
    new MetricsService(),
  );
}

describe('TokenVaultService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  let store: InMemoryTokenVaultStore;
  let provider: FakeProvider;
  let vault: TokenVaultService;
  const cipher = new TokenCipher(keyringFromHex(KEY));
  const storedRefreshToken = (id: string) => {
    const row = store.rows.get(id);
    if (!row) throw new Error('no row');
    return cipher.open(row, 'refresh_token', row.refreshTokenCiphertext);
  };

  beforeEach(() => {
    store = new InMemoryTokenVaultStore();
    provider = new FakeProvider();
    vault = replica(store, provider);
  });

  it('stores what introspection says: user, session, scopes, expiry; the token only encrypted', async () => {
    const stored = await vault.storeToken('refresh-0', 'refresh');
    expect(stored).toMatchObject({
      user_id: 'alice',
      session_id: 'session-1',
      scopes: ['openid'],
      expires_at: new Date(2_000_000_000_000).toISOString(),
    });
    expect(JSON.stringify([...store.rows.values()])).not.toContain('refresh-0');
    expect(storedRefreshToken(stored.id)).toBe('refresh-0');
  });

  it('refuses a token stored already, naming the row, without asking the provider', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    const introspect = jest.spyOn(provider, 'introspect');
    await expect(vault.storeToken('refresh-0', 'refresh')).rejects.toMatchObject({
      code: VaultErrorCode.TOKEN_ALREADY_STORED,
      message: `refresh_token is already stored as ${id}`,
    });
    expect(introspect).not.toHaveBeenCalled();
    expect(JSON.stringify([...store.rows.values()])).not.toContain('refresh-0');
  });

  it('refuses inactive tokens, access tokens, tokens of the other type or another client', async () => {
    const refusal = async (verdict: IntrospectionVerdict, type: 'refresh' | 'offline' = 'refresh') => {
      provider.verdict = verdict;
      return vault.storeToken(`t-${Math.random()}`, type).then(
        () => 'stored',
        (error: { code?: string }) => error.code,
      );
    };
    expect(await refusal({ active: false })).toBe(VaultErrorCode.TOKEN_NOT_ACTIVE);
    expect(await refusal({ active: true, sub: 'a', typ: 'Bearer' })).toBe(VaultErrorCode.TOKEN_TYPE_MISMATCH);
    expect(await refusal({ active: true, sub: 'a', scope: 'openid offline_access' })).toBe(
      VaultErrorCode.TOKEN_TYPE_MISMATCH,
    );
    expect(await refusal({ active: true, sub: 'a', typ: 'Offline' }, 'offline')).toBe('stored');
    expect(await refusal({ active: true, sub: 'a', scope: 'openid' }, 'offline')).toBe(
      VaultErrorCode.TOKEN_TYPE_MISMATCH,
    );
    expect(await refusal({ active: true, sub: 'a', azp: 'frontend' })).toBe(
      VaultErrorCode.TOKEN_ISSUED_TO_OTHER_CLIENT,
    );
    expect(await refusal({ active: true })).toBe(IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST);
    expect(store.rows.size).toBe(1);
  });

  it('refreshes once for two replicas asking at once; the one that waited for the lock reuses the result', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    const other = replica(store, provider);
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => vault.mintAccessToken(id)),
      ...Array.from({ length: 20 }, () => other.mintAccessToken(id)),
    ]);
    expect(provider.refreshes).toBe(1);
    expect(new Set(results.map((r) => r.token.accessToken))).toEqual(new Set(['access-1']));
    expect(new Set(results.map((r) => r.source))).toEqual(new Set(['refresh', 'vault']));
    expect(storedRefreshToken(id)).toBe('refresh-0-rotated-1');
    expect(store.rows.get(id)?.generation).toBe(1);
  });

  it('marks the token revoked on invalid_grant and stops asking the provider', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    provider.failure = new IdentityProviderException(
      IdentityProviderErrorCode.INVALID_GRANT,
      'invalid_grant',
    );
    await expect(vault.mintAccessToken(id)).rejects.toMatchObject({
      code: VaultErrorCode.REFRESH_TOKEN_REVOKED,
    });
    expect(store.rows.get(id)?.revokedAt).toBeInstanceOf(Date);
    await expect(vault.mintAccessToken(id)).rejects.toMatchObject({
      code: VaultErrorCode.REFRESH_TOKEN_REVOKED,
    });
    expect(provider.refreshes).toBe(1);
  });

  it('changes nothing when the provider is unavailable, and works once it is back', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    const before = { ...store.rows.get(id) };
    provider.failure = new IdentityProviderException(IdentityProviderErrorCode.PROVIDER_UNAVAILABLE, 'down');
    await expect(vault.mintAccessToken(id)).rejects.toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
    });
    await expect(vault.deleteToken(id)).rejects.toMatchObject({
      code: IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
    });
    expect(store.rows.get(id)).toEqual(before);
    provider.failure = undefined;
    expect((await vault.mintAccessToken(id)).token.accessToken).toBe('access-2');
  });

  it('serves a stored access token that another replica minted, and refreshes one inside the minimum validity', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    await vault.mintAccessToken(id);
    expect((await replica(store, provider).mintAccessToken(id)).source).toBe('vault');
    const row = store.rows.get(id);
    if (row) row.accessTokenExpiresAt = new Date(Date.now() + 10_000);
    const fresh = await replica(store, provider).mintAccessToken(id);
    expect(fresh).toMatchObject({ source: 'refresh', token: { accessToken: 'access-2' } });
  });

  it('deletes a token it can no longer decrypt, without asking the provider to revoke it', async () => {
    const { id } = await vault.storeToken('refresh-0', 'refresh');
    const row = store.rows.get(id);
    if (row) row.refreshTokenCiphertext = cipher.seal({ id, userId: 'someone-else' }, 'refresh_token', 'x');
    provider.failure = new IdentityProviderException(IdentityProviderErrorCode.PROVIDER_UNAVAILABLE, 'down');
    await vault.deleteToken(id);
    expect(store.rows.has(id)).toBe(false);
  });
});
