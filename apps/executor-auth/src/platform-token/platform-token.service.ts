import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge } from 'prom-client';
import { Agent } from 'undici';
import { ReadinessRegistry } from '@auth-platform/health';
import { MetricsService } from '@auth-platform/platform';
import type { ExecutorAuthEnv } from '../config/env';
import { isLoopbackUrl } from '../config/platform-url';
import type { PlatformProfile } from '../profiles/platform-profile';
import { PlatformProfileRegistry } from '../profiles/platform-profile.registry';
import { loginToPlatform } from './platform-login.client';
import {
  type PlatformTokenSource,
  PlatformTokenManager,
  type TokenManagerEvents,
} from './platform-token-manager';
import { PlatformTokenErrorCode } from './platform-token.exception';
import { StaticPlatformToken } from './static-platform-token';

const iso = (epochMs: number) => (Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : null);

/** One token source per profile, with its readiness check, metrics and log events. */
@Injectable()
export class PlatformTokenService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PlatformToken');
  private readonly sources = new Map<string, PlatformTokenSource>();
  // Logins get their own small connection pool, so a saturated platform API pool never delays a refresh.
  private readonly loginAgent = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
  private readonly logins: Counter<'profile' | 'outcome'>;
  private readonly refreshes: Counter<'profile' | 'trigger' | 'outcome'>;
  private readonly invalidations: Counter<'profile'>;
  private readonly expiry: Gauge<'profile'>;

  constructor(
    config: ConfigService<ExecutorAuthEnv, true>,
    private readonly profiles: PlatformProfileRegistry,
    private readonly readiness: ReadinessRegistry,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.logins = new Counter({
      name: 'executor_auth_logins_total',
      help: 'Login attempts against the platform login API, by outcome',
      labelNames: ['profile', 'outcome'],
      registers,
    });
    this.refreshes = new Counter({
      name: 'executor_auth_token_refreshes_total',
      help: 'Token refreshes (one login, retries included) by trigger and outcome',
      labelNames: ['profile', 'trigger', 'outcome'],
      registers,
    });
    this.invalidations = new Counter({
      name: 'executor_auth_token_invalidations_total',
      help: 'Tokens dropped because the platform answered 401',
      labelNames: ['profile'],
      registers,
    });
    this.expiry = new Gauge({
      name: 'executor_auth_token_expiry_timestamp_seconds',
      help: 'Expiry of the current platform token (Unix seconds)',
      labelNames: ['profile'],
      registers,
    });
    const timeoutMs = config.get('API_EXECUTOR_TIMEOUT', { infer: true }) * 1000;
    const ttlSeconds = config.get('API_AUTH_TOKEN_TTL_SECONDS', { infer: true });
    const maxRetries = config.get('API_EXECUTOR_MAX_RETRIES', { infer: true });
    for (const profile of profiles.all()) {
      this.sources.set(profile.name, this.createSource(profile, { timeoutMs, ttlSeconds, maxRetries }));
    }
  }

  onModuleInit(): void {
    for (const [name, source] of this.sources) {
      this.readiness.register(`platform-token:${name}`, (signal) => source.checkReadiness(signal));
    }
  }

  onApplicationBootstrap(): void {
    for (const profile of this.profiles.all()) {
      const credentials = profile.credentials;
      if (
        credentials.kind === 'login' &&
        credentials.authUrl.startsWith('http:') &&
        !isLoopbackUrl(credentials.authUrl)
      ) {
        this.logger.warn(
          { event: 'login_over_plain_http', profile: profile.name },
          'the password is sent to the login API without TLS',
        );
      }
    }
    for (const source of this.sources.values()) source.start();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const source of this.sources.values()) source.stop();
    await this.loginAgent.destroy();
  }

  sourceFor(profile: string): PlatformTokenSource | undefined {
    return this.sources.get(profile);
  }

  private createSource(
    profile: PlatformProfile,
    settings: { timeoutMs: number; ttlSeconds: number; maxRetries: number },
  ): PlatformTokenSource {
    const credentials = profile.credentials;
    if (credentials.kind === 'static')
      return new StaticPlatformToken(credentials.token, profile.hints.staticToken);
    const request = {
      authUrl: credentials.authUrl,
      email: credentials.email,
      password: credentials.password,
      hints: profile.hints,
    };
    const options = {
      dispatcher: this.loginAgent,
      timeoutMs: settings.timeoutMs,
      ttlSeconds: settings.ttlSeconds,
    };
    return new PlatformTokenManager({
      login: (signal) => loginToPlatform(request, options, signal),
      maxRetries: settings.maxRetries,
      events: this.eventsFor(profile.name),
    });
  }

  private eventsFor(profile: string): TokenManagerEvents {
    return {
      loginFailed: (failure, attempt, retryInMs) => {
        this.logins.inc({ profile, outcome: failure.code.toLowerCase() });
        this.logger.warn(
          {
            event: 'platform_login_failed',
            profile,
            attempt,
            code: failure.code,
            reason: failure.message,
            will_retry: retryInMs !== undefined,
            retry_in_ms: retryInMs,
          },
          'platform login attempt failed',
        );
      },
      refreshed: (token, trigger, attempts) => {
        this.logins.inc({ profile, outcome: 'success' });
        this.refreshes.inc({ profile, trigger, outcome: 'success' });
        if (Number.isFinite(token.expiresAt)) this.expiry.set({ profile }, token.expiresAt / 1000);
        this.logger.log(
          {
            event: 'platform_token_refreshed',
            profile,
            trigger,
            attempts,
            expires_at: iso(token.expiresAt),
            expiry_source: token.expirySource,
          },
          'platform token refreshed',
        );
      },
      refreshFailed: (failure, trigger, consecutiveFailures) => {
        this.refreshes.inc({ profile, trigger, outcome: 'failure' });
        const fields = {
          event: 'platform_token_refresh_failed',
          profile,
          trigger,
          code: failure.code,
          reason: failure.message,
          consecutive_failures: consecutiveFailures,
          retry_at: failure.retryAt === undefined ? null : iso(failure.retryAt),
        };
        if (failure.code === PlatformTokenErrorCode.CREDENTIALS_REJECTED)
          this.logger.error(fields, 'platform login rejected');
        else this.logger.warn(fields, 'platform token refresh failed');
      },
      invalidated: () => {
        this.invalidations.inc({ profile });
        this.logger.log(
          { event: 'platform_token_invalidated', profile, reason: 'platform_answered_401' },
          'platform token dropped after a 401',
        );
      },
    };
  }
}
