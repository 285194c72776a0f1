import { createHash } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders } from '@auth-platform/platform';
import type { GcpTokenEnv } from '../config/env';

type AuthenticatedRequest = FastifyRequest & { apiKeyId?: string };

/** A non-secret name for a key, for logs and rate limits: `static:` and the start of its SHA-256. */
export function keyFingerprint(key: string): string {
  return `static:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export function apiKeyIdOf(request: FastifyRequest): string | undefined {
  return (request as AuthenticatedRequest).apiKeyId;
}

/**
 * `Authorization: Bearer <key>` against API_KEY / API_KEYS, in constant time (SecretSet): neither the match nor
 * its position leaks through timing; several keys allow rotation without downtime.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: SecretSet;
  private readonly fingerprints = new Map<string, string>();

  constructor(config: ConfigService<GcpTokenEnv, true>) {
    const single = config.get('API_KEY', { infer: true });
    this.keys = new SecretSet([...(single ? [single] : []), ...(config.get('API_KEYS', { infer: true }) ?? [])]);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const matched = presented ? this.keys.match(presented) : undefined;
    if (!matched) throw new HttpErrorWithHeaders(401, 'Invalid API key', { 'WWW-Authenticate': 'Bearer' });
    let fingerprint = this.fingerprints.get(matched);
    if (!fingerprint) {
      fingerprint = keyFingerprint(matched);
      this.fingerprints.set(matched, fingerprint);
    }
    request.apiKeyId = fingerprint;
    return true;
  }
}
