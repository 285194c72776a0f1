import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as oidc from 'openid-client';
import type { AuthManagerEnv } from '../config/env';
import { keycloakAdminBaseUrl } from '../config/keycloak';
import { IdentityProviderClient, classifyProviderError } from '../identity-provider/identity-provider.client';
import {
  IdentityProviderErrorCode,
  IdentityProviderException,
} from '../identity-provider/identity-provider.exception';

export type ProviderSessionOutcome = 'ended' | 'not_found' | 'not_configured';

/** An admin token is renewed this long before it expires. */
const TOKEN_MARGIN_MS = 30_000;

/**
 * Keycloak's admin REST API, used for one thing: ending a user session (`DELETE /admin/realms/<realm>/sessions/<sid>`).
 * It authenticates with the admin client's own token (client credentials); the admin client needs the
 * realm-management `manage-users` role.
 */
@Injectable()
export class KeycloakAdminClient {
  private readonly baseUrl?: string;
  private readonly clientId?: string;
  private readonly clientSecret?: string;
  private readonly timeoutMs: number;
  private token?: { readonly value: string; readonly expiresAt: number };
  private pendingToken?: Promise<string>;

  constructor(
    config: ConfigService<AuthManagerEnv, true>,
    private readonly provider: IdentityProviderClient,
  ) {
    this.clientId = config.get('KEYCLOAK_ADMIN_CLIENT_ID', { infer: true });
    this.clientSecret = config.get('KEYCLOAK_ADMIN_CLIENT_SECRET', { infer: true });
    this.baseUrl = keycloakAdminBaseUrl({
      KEYCLOAK_ISSUER: config.get('KEYCLOAK_ISSUER', { infer: true }),
      KEYCLOAK_SERVER_URL: config.get('KEYCLOAK_SERVER_URL', { infer: true }),
      KEYCLOAK_REALM: config.get('KEYCLOAK_REALM', { infer: true }),
    });
    this.timeoutMs = config.get('AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS', { infer: true }) * 1000;
  }

  get configured(): boolean {
    return Boolean(this.baseUrl && this.clientId && this.clientSecret);
  }

  async endSession(sessionId: string): Promise<ProviderSessionOutcome> {
    if (!this.configured || !this.baseUrl) return 'not_configured';
    const url = `${this.baseUrl}/sessions/${encodeURIComponent(sessionId)}`;
    let response = await this.send(url, await this.accessToken());
    if (response.status === 401) {
      // The cached admin token may have been revoked or expired early: one retry with a new one.
      this.token = undefined;
      response = await this.send(url, await this.accessToken());
    }
    await response.body?.cancel();
    if (response.status === 204 || response.status === 200) return 'ended';
    if (response.status === 404) return 'not_found';
    if (response.status >= 500) {
      throw new IdentityProviderException(
        IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
        `The identity provider's admin API is unavailable (it answered HTTP ${response.status}); retry shortly`,
        'upstream_5xx',
      );
    }
    throw new IdentityProviderException(
      IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST,
      `The identity provider's admin API refused to end the session (HTTP ${response.status}); the admin client needs realm-management manage-users`,
      `admin_http_${response.status}`,
    );
  }

  private async send(url: string, token: string): Promise<Response> {
    try {
      return await fetch(url, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw classifyProviderError(error);
    }
  }

  private accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - TOKEN_MARGIN_MS > Date.now())
      return Promise.resolve(this.token.value);
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<string> {
    const server = (await this.provider.configuration()).serverMetadata();
    const admin = new oidc.Configuration(server, this.clientId ?? '', this.clientSecret);
    admin.timeout = this.timeoutMs / 1000;
    if (server.issuer.startsWith('http:')) oidc.allowInsecureRequests(admin);
    try {
      const response = await oidc.clientCredentialsGrant(admin);
      this.token = {
        value: response.access_token,
        expiresAt: Date.now() + (response.expires_in ?? 60) * 1000,
      };
      return response.access_token;
    } catch (error) {
      const classified = classifyProviderError(error);
      if (classified.code === IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST) {
        throw new IdentityProviderException(
          IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST,
          "The identity provider refused the admin client's credentials (check KEYCLOAK_ADMIN_CLIENT_ID and KEYCLOAK_ADMIN_CLIENT_SECRET)",
          classified.reason,
        );
      }
      throw classified;
    }
  }
}
