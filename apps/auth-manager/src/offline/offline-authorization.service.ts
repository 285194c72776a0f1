import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as oidc from 'openid-client';
import { DecryptionError, Keyring, StateTokenSigner, type StateTokenRejection } from '@auth-platform/crypto';
import type { AuthManagerEnv } from '../config/env';
import { IdentityProviderClient, type ExchangedTokens } from '../identity-provider/identity-provider.client';
import {
  IdentityProviderErrorCode,
  IdentityProviderException,
} from '../identity-provider/identity-provider.exception';
import { type TokenMetadata, TokenVaultService, scopesOf } from '../vault/token-vault.service';
import { TokenVaultStore } from '../vault/token-vault.store';
import { VaultErrorCode, VaultException } from '../vault/vault.exception';
import { OfflineErrorCode, OfflineException } from './offline.exception';

export const OFFLINE_STATE_PURPOSE = 'auth-manager/offline-authorization';
export const OFFLINE_SCOPE = 'openid offline_access';

/** What the signed state carries to the callback. Signed, not encrypted: the PKCE verifier is encrypted inside. */
export interface OfflineStatePayload {
  /** The user the link was made for; the ID token's sub must match. */
  readonly uid: string;
  /** Random, binds the encrypted verifier to this state. */
  readonly n: string;
  /** The PKCE code verifier, encrypted with the vault keyring. */
  readonly v: string;
}

export interface OfflineAuthorization {
  readonly authorization_url: string;
  readonly user_id: string;
  readonly redirect_uri: string;
  readonly state_expires_at: string;
}

const MAX_PARAMETER_LENGTH = 8192;

function verifierAssociatedData(userId: string, nonce: string): string {
  return `offline_state:${nonce}:${userId}`;
}

const STATE_REJECTIONS: Record<StateTokenRejection, string> = {
  MALFORMED: 'state is malformed or was not issued by this service',
  BAD_SIGNATURE: 'state was tampered with or was not issued by this service',
  WRONG_PURPOSE: 'state was not issued for this flow',
  EXPIRED: 'state has expired; start again at /offline/authorize',
};

function isPayload(
  payload: Record<string, unknown>,
): payload is Record<string, unknown> & OfflineStatePayload {
  return (
    typeof payload['uid'] === 'string' && typeof payload['n'] === 'string' && typeof payload['v'] === 'string'
  );
}

/**
 * The offline-token flow: an authorization URL with scope `openid offline_access`, PKCE S256 and a signed,
 * expiring, single-use state; and the callback that checks the state, exchanges the code, checks the ID token's
 * subject and stores the offline token in the vault.
 */
@Injectable()
export class OfflineAuthorizationService {
  private readonly logger = new Logger('OfflineAuthorization');
  private readonly stateTtlSeconds: number;

  constructor(
    private readonly provider: IdentityProviderClient,
    private readonly vault: TokenVaultService,
    private readonly store: TokenVaultStore,
    config: ConfigService<AuthManagerEnv, true>,
    @Optional() @Inject(StateTokenSigner) private readonly signer?: StateTokenSigner,
    @Optional() @Inject(Keyring) private readonly keyring?: Keyring,
  ) {
    this.stateTtlSeconds = config.get('AUTH_MANAGER_OFFLINE_STATE_TTL_SECONDS', { infer: true });
  }

  async authorize(userId: string): Promise<OfflineAuthorization> {
    const signer = this.requireSigner();
    const keyring = this.requireKeyring();
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = randomBytes(12).toString('base64url');
    const payload: OfflineStatePayload = {
      uid: userId,
      n: nonce,
      v: keyring.encrypt(verifier, verifierAssociatedData(userId, nonce)),
    };
    const state = signer.create({
      purpose: OFFLINE_STATE_PURPOSE,
      payload,
      ttlSeconds: this.stateTtlSeconds,
    });
    const url = await this.provider.authorizationUrl({
      scope: OFFLINE_SCOPE,
      // OIDC Core 11: offline_access is honoured only with prompt=consent (oidc-provider enforces it).
      prompt: 'consent',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return {
      authorization_url: url.href,
      user_id: userId,
      redirect_uri: this.provider.redirectUri,
      state_expires_at: new Date(Date.now() + this.stateTtlSeconds * 1000).toISOString(),
    };
  }

  /** `query` is the callback's query string exactly as the provider sent it (code, state, iss, session_state...). */
  async completeCallback(query: URLSearchParams): Promise<TokenMetadata> {
    const signer = this.requireSigner();
    const keyring = this.requireKeyring();
    const state = this.single(query, 'state');
    if (state === undefined) throw this.invalidState('state is required');
    const checked = signer.verify(state, { purpose: OFFLINE_STATE_PURPOSE });
    if (!checked.ok) throw this.invalidState(STATE_REJECTIONS[checked.reason]);
    if (!isPayload(checked.payload)) throw this.invalidState(STATE_REJECTIONS.MALFORMED);
    const payload = checked.payload;

    let codeVerifier: string;
    try {
      codeVerifier = keyring.decrypt(payload.v, verifierAssociatedData(payload.uid, payload.n));
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      throw this.invalidState(STATE_REJECTIONS.BAD_SIGNATURE);
    }
    const providerError = this.single(query, 'error');
    if (providerError === undefined && this.single(query, 'code') === undefined)
      throw this.invalidState('code is required');
    if (!(await this.store.consumeState(checked.jti, checked.expiresAt))) {
      throw this.invalidState('state was already used; start again at /offline/authorize');
    }
    if (providerError !== undefined) {
      const code = /^[\w.-]{1,64}$/.test(providerError) ? providerError : 'error';
      throw new OfflineException(
        OfflineErrorCode.AUTHORIZATION_DENIED,
        `The identity provider did not authorize the request (${code})`,
      );
    }

    let tokens: ExchangedTokens;
    try {
      tokens = await this.provider.exchangeCode(query, { codeVerifier, state });
    } catch (error) {
      if (
        error instanceof IdentityProviderException &&
        error.code === IdentityProviderErrorCode.PROVIDER_UNAVAILABLE
      ) {
        // Nothing was exchanged: let the browser retry the same callback once the provider is back.
        await this.store.releaseState(checked.jti).catch(() => undefined);
      }
      if (
        error instanceof IdentityProviderException &&
        error.code === IdentityProviderErrorCode.INVALID_GRANT
      ) {
        throw new OfflineException(
          OfflineErrorCode.AUTHORIZATION_DENIED,
          'The identity provider refused the authorization code (expired or already used); start again at /offline/authorize',
        );
      }
      throw error;
    }

    if (tokens.idTokenClaims?.sub !== payload.uid) {
      await this.discard(tokens, 'subject_mismatch');
      throw new OfflineException(
        OfflineErrorCode.SUBJECT_MISMATCH,
        'The account that signed in is not the user this authorization link was made for',
      );
    }
    const refreshToken = tokens.refreshToken;
    if (!refreshToken || !scopesOf(tokens.scope ?? OFFLINE_SCOPE).includes('offline_access')) {
      await this.discard(tokens, 'offline_access_not_granted');
      throw new OfflineException(
        OfflineErrorCode.OFFLINE_ACCESS_NOT_GRANTED,
        'The identity provider did not grant offline_access',
      );
    }
    try {
      return await this.vault.storeIssuedTokens({ refreshToken, tokens }, 'offline');
    } catch (error) {
      // A token that could not be stored must not stay valid at the provider.
      await this.discard(tokens, 'not_stored');
      if (error instanceof VaultException && error.code === VaultErrorCode.TOKEN_TYPE_MISMATCH) {
        throw new OfflineException(
          OfflineErrorCode.OFFLINE_ACCESS_NOT_GRANTED,
          'The identity provider did not grant offline_access',
        );
      }
      throw error;
    }
  }

  /** Revokes a token this service obtained but will not keep, so no usable offline token is left behind. */
  private async discard(tokens: ExchangedTokens, reason: string): Promise<void> {
    const token = tokens.refreshToken ?? tokens.accessToken;
    try {
      await this.provider.revoke(token, tokens.refreshToken ? 'refresh_token' : 'access_token');
    } catch (error) {
      this.logger.warn(
        { event: 'offline_token_discard_failed', reason, error_code: (error as { code?: unknown }).code },
        'could not revoke a discarded token',
      );
    }
  }

  private single(query: URLSearchParams, name: string): string | undefined {
    const values = query.getAll(name);
    if (values.length === 0 || values[0] === '') return undefined;
    if (values.length > 1) throw this.invalidState(`${name} must be given once`);
    const value = values[0] as string;
    if (value.length > MAX_PARAMETER_LENGTH) throw this.invalidState(`${name} is too long`);
    return value;
  }

  private invalidState(message: string): OfflineException {
    return new OfflineException(OfflineErrorCode.INVALID_STATE, message);
  }

  private requireSigner(): StateTokenSigner {
    if (!this.signer) {
      throw new OfflineException(
        OfflineErrorCode.STATE_SECRET_NOT_CONFIGURED,
        'The offline flow needs STATE_TOKEN_SECRET',
      );
    }
    return this.signer;
  }

  private requireKeyring(): Keyring {
    if (!this.keyring) {
      throw new VaultException(
        VaultErrorCode.VAULT_KEY_NOT_CONFIGURED,
        'The token vault has no encryption key (AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY)',
      );
    }
    return this.keyring;
  }
}
