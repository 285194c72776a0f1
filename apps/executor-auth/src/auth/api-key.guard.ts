import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet, sha256Hex } from '@auth-platform/crypto';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import type { ExecutorAuthEnv } from '../config/env';

type AuthenticatedRequest = FastifyRequest & { apiKeyId?: string };

/** A non-secret name for a caller's key, for logs: `key:` and the start of its SHA-256. */
export function apiKeyFingerprint(key: string): string {
  return `key:${sha256Hex(key).slice(0, 12)}`;
}

export function apiKeyIdOf(request: FastifyRequest): string | undefined {
  return (request as AuthenticatedRequest).apiKeyId;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

/**
 * Who may use this service's platform credentials: `Authorization: Bearer <key>` or `X-API-Key: <key>` against
 * EXECUTOR_API_KEYS, compared in constant time. With no keys configured every call is refused.
 */
@Injectable()
export class ExecutorApiKeyGuard implements CanActivate {
  private readonly keys: SecretSet;
  private readonly fingerprints = new Map<string, string>();

  constructor(config: ConfigService<ExecutorAuthEnv, true>) {
    this.keys = new SecretSet(config.get('EXECUTOR_API_KEYS', { infer: true }) ?? []);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = presentedKey(request);
    const matched = presented ? this.keys.match(presented) : undefined;
    if (!matched) {
      throw new HttpErrorWithHeaders(
        401,
        'Invalid API key: send Authorization: Bearer <key> or X-API-Key: <key>',
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    let fingerprint = this.fingerprints.get(matched);
    if (!fingerprint) {
      fingerprint = apiKeyFingerprint(matched);
      this.fingerprints.set(matched, fingerprint);
    }
    request.apiKeyId = fingerprint;
    annotateRequest(request, { key_id: fingerprint });
    return true;
  }
}
