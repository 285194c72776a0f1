import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as oidc from 'openid-client';
import { Counter, Histogram } from 'prom-client';
import { ReadinessRegistry } from '@auth-platform/health';
import { MetricsService } from '@auth-platform/platform';
import type { AuthManagerEnv } from '../config/env';
import { keycloakIssuer } from '../config/keycloak';
import { IdentityProviderErrorCode, IdentityProviderException } from './identity-provider.exception';

/** What the provider says about a token (RFC 7662), Keycloak's extra claims included. */
export interface IntrospectionVerdict {
  readonly active: boolean;
  readonly sub?: string;
  readonly sid?: string;
  readonly scope?: string;
  readonly exp?: number;
  readonly client_id?: string;
  readonly azp?: string;
  /** Keycloak: `Refresh`, `Offline`, `Bearer`. */
  readonly typ?: string;
  readonly [claim: string]: unknown;
}

export interface ProviderTokens {
  readonly accessToken: string;
  /** Seconds, as the provider said; undefined when it did not say. */
  readonly expiresIn?: number;
  /** The rotated refresh token, when the provider rotates. */
  readonly refreshToken?: string;
  readonly scope?: string;
  /** Keycloak: seconds the (new) refresh token lives; 0 for offline tokens. */
  readonly refreshExpiresIn?: number;
}

export interface ExchangedTokens extends ProviderTokens {
  readonly idTokenClaims?: { readonly sub: string; readonly sid?: string };
}

type Operation = 'discovery' | 'introspection' | 'refresh' | 'revocation' | 'code_exchange';

/** A readiness probe reuses its last answer this long, so frequent probes do not hammer the provider. */
const PROBE_TTL_MS = 10_000;

function responseStatusOf(error: unknown): number | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Response) return cause.status;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isTimeout(error: unknown): boolean {
  if ((error as { code?: unknown } | null)?.code === 'OAUTH_TIMEOUT') return true;
  // Duck-typed: the DOMException fetch throws is not an instance of this realm's Error everywhere.
  const chain = [error, (error as { cause?: unknown } | null)?.cause];
  return chain.some((e) => {
    const name = (e as { name?: unknown } | null)?.name;
    return name === 'TimeoutError' || name === 'AbortError';
  });
}

const CLIENT_CREDENTIALS_REFUSED = new Set(['invalid_client', 'unauthorized_client', 'unauthorized']);

/** Turns openid-client and fetch failures into IdentityProviderExceptions that say what happened, not what was sent. */
export function classifyProviderError(error: unknown): IdentityProviderException {
  if (error instanceof IdentityProviderException) return error;
  const unavailable = (why: string, reason: string) =>
    new IdentityProviderException(
      IdentityProviderErrorCode.PROVIDER_UNAVAILABLE,
      `The identity provider is unavailable (${why}); nothing was changed, retry shortly`,
      reason,
    );
  const rejected = (oauthError: string) =>
    new IdentityProviderException(
      IdentityProviderErrorCode.PROVIDER_REJECTED_REQUEST,
      CLIENT_CREDENTIALS_REFUSED.has(oauthError)
        ? "The identity provider refused this service's client credentials (check KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET)"
        : `The identity provider refused the request (${oauthError})`,
      oauthError,
    );
  if (error instanceof oidc.ResponseBodyError) {
    if (error.status >= 500) return unavailable(`it answered HTTP ${error.status}`, 'upstream_5xx');
    if (error.error === 'invalid_grant') {
      return new IdentityProviderException(
        IdentityProviderErrorCode.INVALID_GRANT,
        'The provider answered invalid_grant',
        'invalid_grant',
      );
    }
    return rejected(/^[\w.-]{1,64}$/.test(error.error) ? error.error : 'oauth_error');
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) return rejected('unauthorized');
  const status = responseStatusOf(error);
  if (status !== undefined) {
    return status >= 500
      ? unavailable(`it answered HTTP ${status}`, 'upstream_5xx')
      : rejected('unexpected_response');
  }
  if (isTimeout(error)) return unavailable('timed out', 'timeout');
  if (error instanceof oidc.ClientError && error.code?.startsWith('OAUTH_')) {
    return rejected(
      error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' ? 'issuer_mismatch' : 'malformed_response',
    );
  }
  return unavailable('unreachable', 'network');
}

/**
 * The OIDC provider through openid-client's generic discovery, so Keycloak or any certified provider works.
 * Discovery happens on first use and is retried on the next call after a failure.
 */
@Injectable()
export class IdentityProviderClient implements OnModuleInit {
  readonly issuer?: string;
  readonly clientId?: string;
  readonly redirectUri: string;
  private readonly clientSecret?: string;
  private readonly timeoutSeconds: number;
  private discovery?: Promise<oidc.Configuration>;
  private lastProbe?: { at: number; outcome: Promise<Record<string, unknown>> };
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly latency: Histogram<'operation'>;

  constructor(
    config: ConfigService<AuthManagerEnv, true>,
    private readonly readiness: ReadinessRegistry,
    metrics: MetricsService,
  ) {
    this.issuer = keycloakIssuer({
      KEYCLOAK_ISSUER: config.get('KEYCLOAK_ISSUER', { infer: true }),
      KEYCLOAK_SERVER_URL: config.get('KEYCLOAK_SERVER_URL', { infer: true }),
      KEYCLOAK_REALM: config.get('KEYCLOAK_REALM', { infer: true }),
    });
    this.clientId = config.get('KEYCLOAK_CLIENT_ID', { infer: true });
    this.clientSecret = config.get('KEYCLOAK_CLIENT_SECRET', { infer: true });
    this.redirectUri =
      config.get('KEYCLOAK_REDIRECT_URI', { infer: true }) ??
      `http://localhost:${config.get('PORT', { infer: true })}/offline/callback`;
    this.timeoutSeconds = config.get('AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS', { infer: true });
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'auth_manager_provider_requests_total',
      help: 'Requests to the identity provider by operation and outcome',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'auth_manager_provider_request_duration_seconds',
      help: 'Identity provider request latency by operation',
      labelNames: ['operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  get configured(): boolean {
    return Boolean(this.issuer && this.clientId && this.clientSecret);
  }

  onModuleInit(): void {
    // Without an issuer the configuration check already says what is missing.
    if (this.configured)
      this.readiness.register('identity-provider', () => this.probe(), { timeoutMs: 3000 });
  }

  /** The discovered configuration (server metadata plus this client). */
  configuration(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this;
    if (!issuer || !clientId || !clientSecret) {
      return Promise.reject(
        new IdentityProviderException(
          IdentityProviderErrorCode.PROVIDER_NOT_CONFIGURED,
          'The identity provider is not configured (KEYCLOAK_ISSUER or KEYCLOAK_SERVER_URL + KEYCLOAK_REALM, KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)',
        ),
      );
    }
    this.discovery ??= this.measure('discovery', () =>
      oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
        timeout: this.timeoutSeconds,
        // http issuers are refused in production by the env schema; here they are the dev IdP or a test's.
        execute: issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
      }),
    ).catch((error: unknown) => {
      this.discovery = undefined;
      throw error;
    });
    return this.discovery;
  }

  async introspect(
    token: string,
    tokenTypeHint: 'refresh_token' | 'access_token',
  ): Promise<IntrospectionVerdict> {
    const config = await this.configuration();
    const verdict = await this.measure('introspection', () =>
      oidc.tokenIntrospection(config, token, { token_type_hint: tokenTypeHint }),
    );
    return verdict as unknown as IntrospectionVerdict;
  }

  async refresh(refreshToken: string): Promise<ProviderTokens> {
    const config = await this.configuration();
    const response = await this.measure('refresh', () => oidc.refreshTokenGrant(config, refreshToken));
    return toProviderTokens(response);
  }

  /** RFC 7009: succeeds for a token the provider no longer knows, too. */
  async revoke(token: string, tokenTypeHint: 'refresh_token' | 'access_token'): Promise<void> {
    const config = await this.configuration();
    await this.measure('revocation', () =>
      oidc.tokenRevocation(config, token, { token_type_hint: tokenTypeHint }),
    );
  }

  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    const config = await this.configuration();
    return oidc.buildAuthorizationUrl(config, {
      ...parameters,
      response_type: 'code',
      redirect_uri: this.redirectUri,
    });
  }

  /** Exchanges the code from a callback; `query` is the callback's query string as received. */
  async exchangeCode(
    query: URLSearchParams,
    checks: { codeVerifier: string; state: string },
  ): Promise<ExchangedTokens> {
    const config = await this.configuration();
    // The redirect_uri sent to the token endpoint must be the registered one, whatever host the request came through.
    const callbackUrl = new URL(this.redirectUri);
    callbackUrl.search = query.toString();
    const response = await this.measure('code_exchange', () =>
      oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        idTokenExpected: true,
      }),
    );
    const claims = response.claims();
    return {
      ...toProviderTokens(response),
      idTokenClaims: claims && {
        sub: claims.sub,
        sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
      },
    };
  }

  private async probe(): Promise<Record<string, unknown>> {
    await this.configuration();
    if (!this.lastProbe || Date.now() - this.lastProbe.at > PROBE_TTL_MS) {
      const url = `${this.issuer}/.well-known/openid-configuration`;
      const started = Date.now();
      const outcome = fetch(url, { signal: AbortSignal.timeout(2500), redirect: 'manual' }).then(
        async (response) => {
          await response.body?.cancel();
          if (response.status >= 500) throw new Error(`discovery document answered HTTP ${response.status}`);
          return { issuer: this.issuer, latency_ms: Date.now() - started };
        },
      );
      this.lastProbe = { at: Date.now(), outcome };
      outcome.catch(() => {
        // A failed probe is not reused: the next one asks again.
        this.lastProbe = undefined;
      });
    }
    try {
      return await this.lastProbe.outcome;
    } catch (error) {
      throw new Error(classifyProviderError(error).message);
    }
  }

  private async measure<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    const stop = this.latency.startTimer({ operation });
    try {
      const result = await call();
      this.requests.inc({ operation, outcome: 'success' });
      return result;
    } catch (error) {
      const classified = classifyProviderError(error);
      this.requests.inc({ operation, outcome: classified.reason ?? classified.code });
      // Readiness should not vouch for a provider a real call just found down.
      if (classified.code === IdentityProviderErrorCode.PROVIDER_UNAVAILABLE) this.lastProbe = undefined;
      throw classified;
    } finally {
      stop();
    }
  }
}

function toProviderTokens(response: oidc.TokenEndpointResponse): ProviderTokens {
  const refreshExpiresIn = response['refresh_expires_in'];
  return {
    accessToken: response.access_token,
    expiresIn: typeof response.expires_in === 'number' ? response.expires_in : undefined,
    refreshToken: response.refresh_token,
    scope: response.scope,
    refreshExpiresIn: typeof refreshExpiresIn === 'number' ? refreshExpiresIn : undefined,
  };
}
