import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Histogram } from 'prom-client';
import { ReadinessRegistry, RequestStats, httpCheck } from '@auth-platform/health';
import { HotPathCounter, MetricsService } from '@auth-platform/platform';
import type { GcpTokenEnv } from '../config/env';
import { GoogleTokenMinter } from './google-token.minter';
import { type AccessToken, TokenCache } from './token-cache';
import type { TokenRequest, TokenResponse } from './token.schema';
import { TokenErrorCode, TokenException } from './token.exception';

/** Readiness trusts a token minted this recently instead of asking the token endpoint again. */
const RECENT_SUCCESS_MS = 5 * 60_000;
/** When it has to ask, the answer is reused this long, so probes never hammer Google. */
const ENDPOINT_CHECK_TTL_MS = 30_000;

/** Who asks, and where the outcome is recorded: the fields land on the request's one access log line. */
export interface TokenRequestContext {
  readonly keyId: string;
  annotate(fields: Record<string, unknown>): void;
}

/** `2024-01-01T12:00:00`: UTC, seconds, no zone suffix, as the seed service answered. */
export function seedTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

@Injectable()
export class TokenService implements OnModuleInit {
  readonly stats = new RequestStats();
  private readonly cache: TokenCache;
  private readonly allowedScopes: ReadonlySet<string>;
  private readonly defaultScopes: readonly string[];
  private readonly allowedTargets: ReadonlySet<string>;
  private readonly maxLifetime: number;
  private readonly minted: Counter<'kind'>;
  private readonly cacheHits: HotPathCounter;
  private readonly failures: Counter<'reason'>;
  private readonly upstreamLatency: Histogram<'kind'>;
  private lastExpiry?: { readonly at: number; readonly text: string };

  constructor(
    config: ConfigService<GcpTokenEnv, true>,
    private readonly minter: GoogleTokenMinter,
    private readonly readiness: ReadinessRegistry,
    metrics: MetricsService,
  ) {
    this.cache = new TokenCache(config.get('TOKEN_REFRESH_MARGIN_SECONDS', { infer: true }) * 1000);
    this.defaultScopes = [...new Set(config.get('ALLOWED_SCOPES', { infer: true }))].sort();
    this.allowedScopes = new Set(this.defaultScopes);
    this.allowedTargets = new Set(config.get('ALLOWED_TARGET_SERVICE_ACCOUNTS', { infer: true }).map((t) => t.toLowerCase()));
    this.maxLifetime = config.get('IMPERSONATION_MAX_LIFETIME_SECONDS', { infer: true });
    const registers = [metrics.registry];
    this.minted = new Counter({ name: 'gcp_token_tokens_minted_total', help: 'Tokens obtained from Google', labelNames: ['kind'], registers });
    this.cacheHits = new HotPathCounter({ name: 'gcp_token_cache_hits_total', help: 'Token requests served from the cache', registry: metrics.registry });
    this.failures = new Counter({ name: 'gcp_token_failures_total', help: 'Token requests that failed, by reason', labelNames: ['reason'], registers });
    this.upstreamLatency = new Histogram({
      name: 'gcp_token_upstream_duration_seconds',
      help: 'Time to obtain a token from Google',
      labelNames: ['kind'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  onModuleInit(): void {
    const account = this.minter.serviceAccount;
    if (!account) return;
    let lastCheck: { at: number; outcome: Promise<Record<string, unknown> | void> } | undefined;
    const reachable = httpCheck(account.tokenUri);
    this.readiness.register('google-token-endpoint', async (signal) => {
      const lastSuccess = this.stats.snapshot().last_success_at;
      if (lastSuccess && Date.now() - Date.parse(lastSuccess) < RECENT_SUCCESS_MS) return { last_token_at: lastSuccess };
      if (!lastCheck || Date.now() - lastCheck.at > ENDPOINT_CHECK_TTL_MS) {
        lastCheck = { at: Date.now(), outcome: reachable(signal) };
      }
      return lastCheck.outcome;
    });
  }

  get serviceAccountEmail(): string | undefined {
    return this.minter.serviceAccount?.clientEmail;
  }

  async issue(context: TokenRequestContext, request: TokenRequest): Promise<TokenResponse> {
    const scopes = this.scopesFor(request.scopes);
    const target = request.target_service_account?.toLowerCase();
    const lifetime = this.lifetimeFor(target, request.lifetime);
    const account = this.minter.serviceAccount;
    if (!account) throw new TokenException(TokenErrorCode.NOT_CONFIGURED, 'Service account credentials not configured properly');

    const cacheKey = [account.clientEmail, scopes.join(' '), target ?? '', target ? lifetime : ''].join('|');
    const kind = target ? 'impersonated' : 'service_account';
    try {
      const token = await this.cache.get(cacheKey, () => this.fetch(kind, scopes, target, lifetime));
      this.stats.recordSuccess();
      if (token.cacheHit) this.cacheHits.inc();
      context.annotate({ event: 'token_request', key_id: context.keyId, kind, target, cache: token.cacheHit ? 'hit' : 'miss', outcome: 'success' });
      return {
        access_token: token.accessToken,
        token_type: 'Bearer',
        expires_in: Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000)),
        expires_at: this.expiryText(token.expiresAt),
      };
    } catch (error) {
      const reason = error instanceof TokenException ? (error.reason ?? error.code) : 'internal';
      this.stats.recordFailure();
      this.failures.inc({ reason });
      context.annotate({ event: 'token_request', key_id: context.keyId, kind, target, outcome: 'failure', reason });
      throw error;
    }
  }

  /** The cached token's expiry in the seed's format, computed once per token rather than once per request. */
  private expiryText(expiresAt: number): string {
    if (this.lastExpiry?.at !== expiresAt) this.lastExpiry = { at: expiresAt, text: seedTimestamp(expiresAt) };
    return this.lastExpiry.text;
  }

  private async fetch(kind: 'impersonated' | 'service_account', scopes: readonly string[], target: string | undefined, lifetime: number): Promise<AccessToken> {
    const stop = this.upstreamLatency.startTimer({ kind });
    try {
      const token = target
        ? await this.minter.mintImpersonatedToken(target, scopes, lifetime)
        : await this.minter.mintServiceAccountToken(scopes);
      this.minted.inc({ kind });
      return token;
    } finally {
      stop();
    }
  }

  private scopesFor(requested: readonly string[] | undefined): readonly string[] {
    if (!requested) return this.defaultScopes;
    const refused = requested.filter((scope) => !this.allowedScopes.has(scope));
    if (refused.length > 0) {
      throw new TokenException(TokenErrorCode.SCOPE_NOT_ALLOWED, `Scope not allowed: ${refused.join(', ')}. Allowed: ${this.defaultScopes.join(', ')}`);
    }
    return [...new Set(requested)].sort();
  }

  private lifetimeFor(target: string | undefined, lifetime: number | undefined): number {
    if (!target) {
      if (lifetime !== undefined) {
        throw new TokenException(TokenErrorCode.LIFETIME_TOO_LONG, 'lifetime applies only with target_service_account');
      }
      return 3600;
    }
    if (!this.allowedTargets.has(target)) {
      throw new TokenException(TokenErrorCode.TARGET_NOT_ALLOWED, `Impersonation of ${target} is not allowed`);
    }
    const seconds = lifetime ?? Math.min(3600, this.maxLifetime);
    if (seconds > this.maxLifetime) {
      throw new TokenException(TokenErrorCode.LIFETIME_TOO_LONG, `lifetime must be at most ${this.maxLifetime} seconds`);
    }
    return seconds;
  }
}
