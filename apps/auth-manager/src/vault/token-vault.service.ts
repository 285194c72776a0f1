import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import type { AuthManagerEnv } from '../config/env';
import {
  IdentityProviderClient,
  type IntrospectionVerdict,
  type ProviderTokens,
} from '../identity-provider/identity-provider.client';
import {
  IdentityProviderErrorCode,
  IdentityProviderException,
} from '../identity-provider/identity-provider.exception';
import { AccessTokenCache, type MintResult, type MintedAccessToken } from './access-token.cache';
import { EncryptedTokenRecord, type VaultTokenType } from './encrypted-token.entity';
import { TokenCipher } from './token-cipher';
import { TokenDigest } from './token-digest';
import { TokenVaultStore } from './token-vault.store';
import { VaultErrorCode, VaultException } from './vault.exception';

/** What the API says about a stored token: never the token itself. */
export interface TokenMetadata {
  readonly id: string;
  readonly user_id: string;
  readonly session_id: string | null;
  readonly token_type: VaultTokenType;
  readonly client_id: string;
  readonly scopes: string[];
  readonly status: 'active' | 'revoked' | 'expired';
  readonly expires_at: string | null;
  readonly created_at: string;
  readonly last_refreshed_at: string | null;
  readonly revoked_at: string | null;
  readonly key_id: string;
}

/** A token the provider just issued to this service (the offline callback), with its access token. */
export interface IssuedTokens {
  readonly refreshToken: string;
  readonly tokens: ProviderTokens;
}

/** A token set confirmed by another replica is trusted in memory this long before the vault is asked again. */
const MEMORY_RECHECK_MS = 5_000;
/** When the provider gives no expires_in, an access token is assumed to live this long. */
const DEFAULT_ACCESS_TOKEN_SECONDS = 60;

export function scopesOf(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((s) => s.length > 0);
}

function isOfflineVerdict(verdict: IntrospectionVerdict): boolean {
  return verdict.typ === 'Offline' || scopesOf(verdict.scope).includes('offline_access');
}

function isAccessTokenVerdict(verdict: IntrospectionVerdict): boolean {
  const tokenType =
    typeof verdict['token_type'] === 'string' ? verdict['token_type'].toLowerCase() : undefined;
  return (
    verdict.typ === 'Bearer' || verdict.typ === 'ID' || tokenType === 'bearer' || tokenType === 'access_token'
  );
}

export function toMetadata(record: EncryptedTokenRecord, now = Date.now()): TokenMetadata {
  const expired = record.refreshTokenExpiresAt !== null && record.refreshTokenExpiresAt.getTime() <= now;
  return {
    id: record.id,
    user_id: record.userId,
    session_id: record.sessionId,
    token_type: record.tokenType,
    client_id: record.clientId,
    scopes: scopesOf(record.scope),
    status: record.revokedAt ? 'revoked' : expired ? 'expired' : 'active',
    expires_at: record.refreshTokenExpiresAt?.toISOString() ?? null,
    created_at: record.createdAt.toISOString(),
    last_refreshed_at: record.lastRefreshedAt?.toISOString() ?? null,
    revoked_at: record.revokedAt?.toISOString() ?? null,
    key_id: record.keyId,
  };
}

type RefreshOutcome = { readonly kind: 'token'; readonly result: MintResult } | { readonly kind: 'revoked' };

/**
 * The token vault: stores refresh and offline tokens encrypted, and mints access tokens from them. A refresh runs
 * under the row's lock and writes the rotated refresh token in the same transaction before the access token is
 * returned, so a token is refreshed once however many callers, in this process or on other replicas, ask at once.
 */
@Injectable()
export class TokenVaultService {
  private readonly logger = new Logger('TokenVault');
  private readonly minValidityMs: number;
  private readonly cache: AccessTokenCache;
  private readonly minted: Counter<'source'>;
  private readonly refreshes: Counter<'outcome'>;
  private readonly stored: Counter<'token_type'>;

  constructor(
    private readonly store: TokenVaultStore,
    private readonly cipher: TokenCipher,
    private readonly digest: TokenDigest,
    private readonly provider: IdentityProviderClient,
    config: ConfigService<AuthManagerEnv, true>,
    metrics: MetricsService,
  ) {
    this.minValidityMs = config.get('AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS', { infer: true }) * 1000;
    this.cache = new AccessTokenCache(this.minValidityMs, MEMORY_RECHECK_MS);
    const registers = [metrics.registry];
    this.minted = new Counter({
      name: 'auth_manager_access_tokens_served_total',
      help: 'Access tokens served, by where they came from (memory, vault, refresh)',
      labelNames: ['source'],
      registers,
    });
    this.refreshes = new Counter({
      name: 'auth_manager_refresh_grants_total',
      help: 'Refresh grants sent to the identity provider, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.stored = new Counter({
      name: 'auth_manager_tokens_stored_total',
      help: 'Tokens stored in the vault',
      labelNames: ['token_type'],
      registers,
    });
  }

  /** Checks a refresh or offline token with the provider (introspection) and stores it encrypted. */
  async storeToken(refreshToken: string, tokenType: VaultTokenType): Promise<TokenMetadata> {
    this.cipher.assertConfigured();
    const existing = await this.store.findIdByDigest(this.digest.of(refreshToken));
    if (existing) throw this.alreadyStored(existing);
    const verdict = await this.provider.introspect(refreshToken, 'refresh_token');
    return this.insert(this.newRecord(verdict, tokenType, refreshToken));
  }

  /** Stores a token this service obtained itself (the offline callback), with the access token that came with it. */
  async storeIssuedTokens(issued: IssuedTokens, tokenType: VaultTokenType): Promise<TokenMetadata> {
    this.cipher.assertConfigured();
    const verdict = await this.provider.introspect(issued.refreshToken, 'refresh_token');
    const record = this.newRecord(verdict, tokenType, issued.refreshToken);
    const expiresAt = Date.now() + (issued.tokens.expiresIn ?? DEFAULT_ACCESS_TOKEN_SECONDS) * 1000;
    record.accessTokenCiphertext = this.cipher.seal(record, 'access_token', issued.tokens.accessToken);
    record.accessTokenExpiresAt = new Date(expiresAt);
    return this.insert(record);
  }

  private async insert(record: EncryptedTokenRecord): Promise<TokenMetadata> {
    const existing = await this.store.insert(record);
    if (existing) throw this.alreadyStored(existing);
    this.stored.inc({ token_type: record.tokenType });
    return toMetadata(record);
  }

  async listTokens(userId: string): Promise<TokenMetadata[]> {
    const now = Date.now();
    return (await this.store.listByUser(userId)).map((record) => toMetadata(record, now));
  }

  async getToken(id: string): Promise<TokenMetadata> {
    const record = await this.store.findById(id);
    if (!record) throw this.notFound(id);
    return toMetadata(record);
  }

  /**
   * Revokes the token at the provider, then deletes the row, under the row lock (a concurrent refresh cannot
   * rotate the token between the two). If the provider is down, the row stays as it was.
   */
  async deleteToken(id: string): Promise<TokenMetadata> {
    const deleted = await this.store.withLockedRecord(id, async (record, row) => {
      if (!record) throw this.notFound(id);
      const refreshToken = this.readableRefreshToken(record);
      if (refreshToken !== undefined) await this.provider.revoke(refreshToken, 'refresh_token');
      await row.remove();
      return toMetadata(record);
    });
    this.cache.forget(id);
    return deleted;
  }

  /** An access token for a stored token: from memory, from the vault row, or from one refresh. */
  async mintAccessToken(id: string): Promise<MintResult> {
    const result = await this.cache.get(id, () => this.mintFromVault(id));
    this.minted.inc({ source: result.source });
    return result;
  }

  private async mintFromVault(id: string): Promise<MintResult> {
    const record = await this.store.findById(id);
    if (!record) throw this.notFound(id);
    if (record.revokedAt) throw this.revoked(id);
    const stored = this.storedAccessToken(record, this.minValidityMs);
    if (stored) return { token: stored, source: 'vault' };
    const outcome = await this.refreshUnderLock(id, record.generation);
    if (outcome.kind === 'revoked') throw this.revoked(id);
    return outcome.result;
  }

  private refreshUnderLock(id: string, seenGeneration: number): Promise<RefreshOutcome> {
    return this.store.withLockedRecord(id, async (record, row): Promise<RefreshOutcome> => {
      if (!record) throw this.notFound(id);
      if (record.revokedAt) return { kind: 'revoked' };
      // Someone refreshed while this caller waited for the lock (another replica, most likely): reuse its token.
      const margin = record.generation === seenGeneration ? this.minValidityMs : 0;
      const current = this.storedAccessToken(record, margin);
      if (current) return { kind: 'token', result: { token: current, source: 'vault' } };

      const refreshToken = this.cipher.open(record, 'refresh_token', record.refreshTokenCiphertext);
      let tokens: ProviderTokens;
      try {
        tokens = await this.provider.refresh(refreshToken);
      } catch (error) {
        if (
          error instanceof IdentityProviderException &&
          error.code === IdentityProviderErrorCode.INVALID_GRANT
        ) {
          this.refreshes.inc({ outcome: 'invalid_grant' });
          this.logger.warn(
            { event: 'refresh_token_revoked', token_id: id, user_id: record.userId },
            'provider answered invalid_grant',
          );
          await row.update({
            revokedAt: new Date(),
            accessTokenCiphertext: null,
            accessTokenExpiresAt: null,
          });
          return { kind: 'revoked' };
        }
        this.refreshes.inc({
          outcome: error instanceof IdentityProviderException ? (error.reason ?? error.code) : 'error',
        });
        throw error;
      }
      this.refreshes.inc({ outcome: 'success' });
      const now = Date.now();
      const token: MintedAccessToken = {
        accessToken: tokens.accessToken,
        expiresAt: now + (tokens.expiresIn ?? DEFAULT_ACCESS_TOKEN_SECONDS) * 1000,
        scope: tokens.scope ?? record.scope,
      };
      await row.update({
        refreshTokenCiphertext: this.cipher.seal(
          record,
          'refresh_token',
          tokens.refreshToken ?? refreshToken,
        ),
        refreshTokenExpiresAt:
          tokens.refreshExpiresIn !== undefined && tokens.refreshExpiresIn > 0
            ? new Date(now + tokens.refreshExpiresIn * 1000)
            : record.refreshTokenExpiresAt,
        accessTokenCiphertext: this.cipher.seal(record, 'access_token', token.accessToken),
        accessTokenExpiresAt: new Date(token.expiresAt),
        scope: token.scope,
        keyId: this.cipher.currentKeyId,
        generation: record.generation + 1,
        lastRefreshedAt: new Date(now),
      });
      return { kind: 'token', result: { token, source: 'refresh' } };
    });
  }

  private storedAccessToken(record: EncryptedTokenRecord, marginMs: number): MintedAccessToken | undefined {
    if (!record.accessTokenCiphertext || !record.accessTokenExpiresAt) return undefined;
    const expiresAt = record.accessTokenExpiresAt.getTime();
    if (expiresAt - marginMs <= Date.now()) return undefined;
    return {
      accessToken: this.cipher.open(record, 'access_token', record.accessTokenCiphertext),
      expiresAt,
      scope: record.scope,
    };
  }

  /** The refresh token to revoke, or undefined when the row no longer decrypts (it is deleted all the same). */
  private readableRefreshToken(record: EncryptedTokenRecord): string | undefined {
    try {
      return this.cipher.open(record, 'refresh_token', record.refreshTokenCiphertext);
    } catch (error) {
      if (!(error instanceof VaultException) || error.code === VaultErrorCode.VAULT_KEY_NOT_CONFIGURED)
        throw error;
      this.logger.warn(
        { event: 'revocation_skipped', token_id: record.id, reason: error.code },
        'deleting a token that cannot be decrypted',
      );
      return undefined;
    }
  }

  private newRecord(
    verdict: IntrospectionVerdict,
    tokenType: VaultTokenType,
    refreshToken: string,
  ): EncryptedTokenRecord {
    if (!verdict.active) {
      throw new VaultException(
        VaultErrorCode.TOKEN_NOT_ACTIVE,
        'refresh_token is not active at the identity provider (expired, revoked, or not issued by this realm)',
      );
    }
    if (isAccessTokenVerdict(verdict)) {
      throw new VaultException(
        VaultErrorCode.TOKEN_TYPE_MISMATCH,
        'refresh_token is an access token, not a refresh or offline token',
      );
    }
    const offline = isOfflineVerdict(verdict);
    if (tokenType === 'offline' && !offline) {
      throw new VaultException(
        VaultErrorCode.TOKEN_TYPE_MISMATCH,
        'token_type is offline but the token was not granted offline_access',
      );
    }
    if (tokenType === 'refresh' && offline) {
      throw new VaultException(
        VaultErrorCode.TOKEN_TYPE_MISMATCH,
        'token_type is refresh but this is an offline token (offline_access); send token_type offline',
      );
    }
    const issuedTo = typeof verdict.client_id === 'string' ? verdict.client_id : verdict.azp;
    if (issuedTo !== undefined && issuedTo !== this.provider.clientId) {
      throw new VaultException(
        VaultErrorCode.TOKEN_ISSUED_TO_OTHER_CLIENT,
        `refresh_token was issued to another client; this service refreshes tokens as ${this.provider.clientId ?? '(unset)'}`,
      );
    }
    if (typeof verdict.sub !== 'string' || verdict.sub.length === 0 || verdict.sub.length > 255) {
      throw new IdentityProviderException(
        IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST,
        "The identity provider's introspection answer does not name the token's user (sub)",
        'missing_sub',
      );
    }
    const sessionId =
      typeof verdict.sid === 'string'
        ? verdict.sid
        : typeof verdict['session_state'] === 'string'
          ? verdict['session_state']
          : null;
    const record = new EncryptedTokenRecord();
    record.id = randomUUID();
    record.userId = verdict.sub;
    record.sessionId = sessionId && sessionId.length <= 255 ? sessionId : null;
    record.tokenType = tokenType;
    record.clientId = issuedTo ?? this.provider.clientId ?? '';
    record.scope = scopesOf(verdict.scope).join(' ');
    record.refreshTokenCiphertext = this.cipher.seal(record, 'refresh_token', refreshToken);
    record.refreshTokenDigest = this.digest.of(refreshToken);
    record.refreshTokenExpiresAt =
      typeof verdict.exp === 'number' && verdict.exp > 0 ? new Date(verdict.exp * 1000) : null;
    record.accessTokenCiphertext = null;
    record.accessTokenExpiresAt = null;
    record.keyId = this.cipher.currentKeyId;
    record.generation = 0;
    record.createdAt = new Date();
    record.lastRefreshedAt = null;
    record.revokedAt = null;
    return record;
  }

  private alreadyStored(id: string): VaultException {
    return new VaultException(
      VaultErrorCode.TOKEN_ALREADY_STORED,
      `refresh_token is already stored as ${id}`,
    );
  }

  private notFound(id: string): VaultException {
    return new VaultException(VaultErrorCode.TOKEN_NOT_FOUND, `No stored token with id ${id}`);
  }

  private revoked(id: string): VaultException {
    return new VaultException(
      VaultErrorCode.REFRESH_TOKEN_REVOKED,
      `Stored token ${id} was revoked or has expired at the identity provider; the user must sign in again`,
    );
  }
}
