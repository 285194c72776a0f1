import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Histogram } from 'prom-client';
import { MetricsService } from '@auth-platform/platform';
import type { ExecutorAuthEnv } from '../config/env';
import { DEFAULT_PROFILE, type PlatformProfile } from '../profiles/platform-profile';
import { PlatformProfileRegistry } from '../profiles/platform-profile.registry';
import type { PlatformTokenSource } from '../platform-token/platform-token-manager';
import { PlatformTokenException } from '../platform-token/platform-token.exception';
import { PlatformTokenService } from '../platform-token/platform-token.service';
import type { ExecuteRequestDto, ExecuteResponseDto } from './execute.dto';
import { ExecuteErrorCode, ExecuteException } from './execute.exception';
import { forwardedRequestHeaders, returnedResponseHeaders } from './forwarded-headers';
import { type PlatformCall, PlatformApiClient, type PlatformReply } from './platform-api.client';
import { isPathAllowed, normalisePlatformPath } from './platform-path';
import { decodeResponseBody, encodeRequestBody, queryString } from './platform-payload';

/** Who asks, and where the outcome goes: the fields land on the request's one access log line. */
export interface ExecuteContext {
  readonly requestId: string;
  annotate(fields: Record<string, unknown>): void;
}

const shownName = (name: string) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name);

/** Executes a caller's call against a profile's platform API with that profile's bearer token. */
@Injectable()
export class ExecuteService {
  private readonly timeoutMs: number;
  private readonly executions: Counter<'profile' | 'status'>;
  private readonly unauthorizedRetries: Counter<'profile' | 'outcome'>;
  private readonly latency: Histogram<'profile'>;

  constructor(
    config: ConfigService<ExecutorAuthEnv, true>,
    private readonly profiles: PlatformProfileRegistry,
    private readonly tokens: PlatformTokenService,
    private readonly platform: PlatformApiClient,
    metrics: MetricsService,
  ) {
    this.timeoutMs = config.get('API_EXECUTOR_TIMEOUT', { infer: true }) * 1000;
    const registers = [metrics.registry];
    this.executions = new Counter({
      name: 'executor_auth_executions_total',
      help: "Executed calls by profile and the platform's status (or why there was none)",
      labelNames: ['profile', 'status'],
      registers,
    });
    this.unauthorizedRetries = new Counter({
      name: 'executor_auth_unauthorized_retries_total',
      help: 'Calls the platform answered 401, by what happened next: retried with a new token and succeeded, rejected again, or not retried',
      labelNames: ['profile', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'executor_auth_platform_duration_seconds',
      help: 'Time for the platform API to answer one call',
      labelNames: ['profile'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  async execute(
    profileName: string | undefined,
    request: ExecuteRequestDto,
    context: ExecuteContext,
  ): Promise<ExecuteResponseDto> {
    const profile = this.profileFor(profileName);
    const path = normalisePlatformPath(request.path);
    context.annotate({
      event: 'execute',
      profile: profile.name,
      upstream_method: request.method,
      upstream_path: path,
    });
    if (!isPathAllowed(path, profile.allowedPaths)) {
      throw new ExecuteException(
        ExecuteErrorCode.PATH_NOT_ALLOWED,
        `path ${path} is not under an allowed prefix (${profile.allowedPaths.join(', ')})`,
      );
    }
    const { headers, dropped } = forwardedRequestHeaders(request.headers);
    if (dropped.length > 0) context.annotate({ dropped_headers: dropped });
    const body = encodeRequestBody(request.method, request.body, headers);
    headers['x-request-id'] ??= context.requestId;
    const call: PlatformCall = {
      method: request.method,
      path: `${profile.basePath}${path}${queryString(request.query)}`,
      headers,
      body,
    };

    try {
      const reply = await this.sendWithFreshToken(profile, call, context);
      this.executions.inc({ profile: profile.name, status: String(reply.status) });
      context.annotate({ upstream_status: reply.status });
      return {
        status: reply.status,
        headers: returnedResponseHeaders(reply.headers),
        ...decodeResponseBody(reply.body, reply.headers),
      };
    } catch (error) {
      const reason =
        error instanceof ExecuteException || error instanceof PlatformTokenException
          ? error.code.toLowerCase()
          : 'internal';
      this.executions.inc({ profile: profile.name, status: reason });
      context.annotate({ failure: reason });
      throw error;
    }
  }

  private profileFor(name: string | undefined): PlatformProfile {
    const wanted = name ?? DEFAULT_PROFILE;
    const profile = this.profiles.find(wanted);
    if (profile) return profile;
    if (name === undefined && this.profiles.defaultMissing.length > 0) {
      throw new ExecuteException(
        ExecuteErrorCode.PROFILE_NOT_CONFIGURED,
        `The default profile is not configured yet: waiting for ${this.profiles.defaultMissing.join(', ')}`,
      );
    }
    const configured = this.profiles.names();
    if (configured.length === 0) {
      throw new ExecuteException(
        ExecuteErrorCode.PROFILE_NOT_CONFIGURED,
        'No platform is configured yet: set API_AUTH_URL, API_AUTH_EMAIL, API_AUTH_PASSWORD and API_EXECUTOR_BASE_URL, or EXECUTOR_PROFILES',
      );
    }
    const known = `configured: ${configured.join(', ')}`;
    if (name === undefined) {
      throw new ExecuteException(
        ExecuteErrorCode.PROFILE_NOT_FOUND,
        `There is no default profile (${known}): use POST /profiles/{name}/execute`,
      );
    }
    throw new ExecuteException(
      ExecuteErrorCode.PROFILE_NOT_FOUND,
      `There is no profile named ${shownName(name)} (${known})`,
    );
  }

  /**
   * One call with the current token; on a 401, the token is dropped (if it is still the current one), a new one
   * obtained and the call sent once more. A second 401 is returned as it is: no loop.
   */
  private async sendWithFreshToken(
    profile: PlatformProfile,
    call: PlatformCall,
    context: ExecuteContext,
  ): Promise<PlatformReply> {
    const source = this.sourceFor(profile);
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const token = await this.tokenFrom(source, deadline);
    const first = await this.send(profile, call, token, deadline);
    if (first.status !== 401) return first;
    source.invalidate(token);
    const fresh = await this.tokenFrom(source, deadline);
    if (fresh === token) {
      this.unauthorizedRetries.inc({ profile: profile.name, outcome: 'not_retried' });
      return first;
    }
    const second = await this.send(profile, call, fresh, deadline);
    this.unauthorizedRetries.inc({
      profile: profile.name,
      outcome: second.status === 401 ? 'rejected_again' : 'succeeded',
    });
    context.annotate({ token_retry: true, first_status: first.status });
    return second;
  }

  private sourceFor(profile: PlatformProfile): PlatformTokenSource {
    const source = this.tokens.sourceFor(profile.name);
    if (!source) throw new Error(`no token source for profile ${profile.name}`);
    return source;
  }

  private async tokenFrom(source: PlatformTokenSource, deadline: AbortSignal): Promise<string> {
    try {
      return await source.getToken(deadline);
    } catch (error) {
      if (error instanceof PlatformTokenException || !deadline.aborted) throw error;
      throw new ExecuteException(
        ExecuteErrorCode.PLATFORM_TIMEOUT,
        `No platform token within ${this.timeoutMs / 1000} s (API_EXECUTOR_TIMEOUT): the platform login has not finished`,
      );
    }
  }

  private async send(
    profile: PlatformProfile,
    call: PlatformCall,
    token: string,
    deadline: AbortSignal,
  ): Promise<PlatformReply> {
    const stop = this.latency.startTimer({ profile: profile.name });
    try {
      return await this.platform.send(profile.origin, call, token, deadline);
    } finally {
      stop();
    }
  }
}
