import { Injectable } from '@nestjs/common';
import { TokenVaultService } from '../vault/token-vault.service';
import { TokenVaultStore } from '../vault/token-vault.store';
import { VaultErrorCode, VaultException } from '../vault/vault.exception';
import { KeycloakAdminClient, type ProviderSessionOutcome } from './keycloak-admin.client';
import { SessionErrorCode, SessionException } from './session.exception';

export interface SessionView {
  readonly session_id: string;
  readonly first_seen_at: string;
  readonly last_refresh_at: string | null;
  readonly token_count: number;
  readonly active_token_count: number;
}

export interface EndedSession {
  readonly session_id: string;
  readonly revoked_tokens: number;
  readonly provider_session: ProviderSessionOutcome;
}

/** Provider sessions as the vault knows them (through the tokens it holds), and ending one. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly store: TokenVaultStore,
    private readonly vault: TokenVaultService,
    private readonly admin: KeycloakAdminClient,
  ) {}

  async listSessions(userId: string): Promise<SessionView[]> {
    return (await this.store.listSessions(userId)).map((session) => ({
      session_id: session.sessionId,
      first_seen_at: session.firstSeenAt.toISOString(),
      last_refresh_at: session.lastRefreshedAt?.toISOString() ?? null,
      token_count: session.tokenCount,
      active_token_count: session.activeTokenCount,
    }));
  }

  /**
   * Revokes every token of the session at the provider and deletes it from the vault, one by one (a provider
   * outage stops the loop with the remaining tokens untouched, so a retry finishes the job); then, with admin
   * credentials, ends the session itself in Keycloak.
   */
  async endSession(sessionId: string): Promise<EndedSession> {
    const ids = await this.store.idsInSession(sessionId);
    if (ids.length === 0 && !this.admin.configured) throw this.notFound(sessionId);
    let revoked = 0;
    for (const id of ids) {
      try {
        await this.vault.deleteToken(id);
        revoked += 1;
      } catch (error) {
        if (!(error instanceof VaultException && error.code === VaultErrorCode.TOKEN_NOT_FOUND)) throw error;
      }
    }
    const providerSession = await this.admin.endSession(sessionId);
    if (ids.length === 0 && providerSession === 'not_found') throw this.notFound(sessionId);
    return { session_id: sessionId, revoked_tokens: revoked, provider_session: providerSession };
  }

  private notFound(sessionId: string): SessionException {
    return new SessionException(
      SessionErrorCode.SESSION_NOT_FOUND,
      `No token in the vault belongs to session ${sessionId}`,
    );
  }
}
