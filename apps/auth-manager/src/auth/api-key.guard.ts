import { hash } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import type { AuthManagerEnv } from '../config/env';

/** A non-secret name for a caller's key, for the access log: the start of its SHA-256. */
export function callerFingerprint(key: string): string {
  return `key:${hash('sha256', key, 'hex').slice(0, 12)}`;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

/**
 * Callers present a key from AUTH_MANAGER_API_KEYS as `Authorization: Bearer <key>` or `X-API-Key: <key>`,
 * checked in constant time (SecretSet); several keys allow rotation without downtime.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: SecretSet;
  private readonly fingerprints = new Map<string, string>();

  constructor(config: ConfigService<AuthManagerEnv, true>) {
    this.keys = new SecretSet(config.get('AUTH_MANAGER_API_KEYS', { infer: true }) ?? []);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = presentedKey(request);
    const matched = presented === undefined ? undefined : this.keys.match(presented);
    if (matched === undefined) {
      throw new HttpErrorWithHeaders(
        401,
        presented === undefined
          ? 'Missing API key: send Authorization: Bearer <key> or X-API-Key: <key>'
          : 'Invalid API key',
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    let fingerprint = this.fingerprints.get(matched);
    if (fingerprint === undefined) {
      fingerprint = callerFingerprint(matched);
      this.fingerprints.set(matched, fingerprint);
    }
    annotateRequest(request, { caller: fingerprint });
    return true;
  }
}
