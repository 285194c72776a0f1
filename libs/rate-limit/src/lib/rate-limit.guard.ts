import {
  type CanActivate,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  ServiceUnavailableException,
  SetMetadata,
  UseGuards,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitService } from './rate-limit.service';
import { RateLimitUnavailableError } from './types';

export type RateLimitKey = (request: FastifyRequest) => string | undefined;

interface RateLimitMetadata {
  readonly limiter: string;
  readonly key: RateLimitKey;
}

const RATE_LIMIT_METADATA = 'auth-platform:rate-limit';

/** By default a route is limited per client address. */
const byClientIp: RateLimitKey = (request) => request.ip;

/**
 * Limits a route (or every route of a controller) with a limiter named in RateLimitModule's options. `key`
 * derives whose limit a request counts against: an API key, a product and user, the client IP (default).
 */
export function RateLimit(limiter: string, options: { key?: RateLimitKey } = {}) {
  return applyDecorators(
    SetMetadata(RATE_LIMIT_METADATA, { limiter, key: options.key ?? byClientIp } satisfies RateLimitMetadata),
    UseGuards(RateLimitGuard),
  );
}

function seconds(ms: number): string {
  return String(Math.max(0, Math.ceil(ms / 1000)));
}

/**
 * Counts one request of `key` against `limiter`: sets X-RateLimit-Limit/-Remaining/-Reset, and throws 429 with
 * Retry-After when over the limit, 503 when the store cannot decide. The guard below uses it; so can a route that
 * runs outside Nest's pipeline (a platform fast route).
 */
export async function enforceRateLimit(rateLimits: RateLimitService, limiterName: string, key: string, reply: FastifyReply): Promise<void> {
  const limiter = rateLimits.routeLimiter(limiterName);
  let decision;
  try {
    decision = await limiter.consume(key);
  } catch (error) {
    if (!(error instanceof RateLimitUnavailableError)) throw error;
    rateLimits.recordOutcome(limiter.name, 'unavailable');
    throw new ServiceUnavailableException('Rate limiting is unavailable; try again shortly');
  }
  reply.header('X-RateLimit-Limit', String(decision.limit));
  reply.header('X-RateLimit-Remaining', String(decision.remaining));
  reply.header('X-RateLimit-Reset', seconds(decision.resetAfterMs));
  rateLimits.recordOutcome(limiter.name, decision.allowed ? 'allowed' : 'limited');
  if (decision.allowed) return;
  if (Number.isFinite(decision.retryAfterMs)) reply.header('Retry-After', seconds(decision.retryAfterMs));
  throw new HttpException('Rate limit exceeded; retry after the time in Retry-After', HttpStatus.TOO_MANY_REQUESTS);
}

/** Applies the route's @RateLimit through enforceRateLimit. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly rateLimits: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const metadata = this.reflector.getAllAndOverride<RateLimitMetadata | undefined>(RATE_LIMIT_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!metadata) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const key = metadata.key(request) ?? byClientIp(request) ?? 'unknown';
    await enforceRateLimit(this.rateLimits, metadata.limiter, key, http.getResponse<FastifyReply>());
    return true;
  }
}
