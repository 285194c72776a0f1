import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import type { ApiKeyManagerEnv } from '../config/env';
import { credentialFingerprint } from './credential-fingerprint';

export const ADMIN_KEY_HEADER = 'x-admin-key';
/** The Swagger security scheme name for X-Admin-Key. */
export const ADMIN_SCHEME = 'admin-key';

type AdminRequest = FastifyRequest & { adminActor?: string };

/** Who made an admin request, for audit records: `admin:<fingerprint>`. */
export function adminActorOf(request: FastifyRequest): string {
  return (request as AdminRequest).adminActor ?? 'admin:unknown';
}

/** `X-Admin-Key` against ADMIN_API_KEY, in constant time. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly keys?: SecretSet;
  private readonly fingerprint?: string;

  constructor(config: ConfigService<ApiKeyManagerEnv, true>) {
    const key = config.get('ADMIN_API_KEY', { infer: true });
    if (key) {
      this.keys = new SecretSet([key]);
      this.fingerprint = credentialFingerprint('admin', key);
    }
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.keys) {
      throw new HttpErrorWithHeaders(HttpStatus.SERVICE_UNAVAILABLE, 'Admin access is not configured: set ADMIN_API_KEY', {});
    }
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const presented = request.headers[ADMIN_KEY_HEADER];
    if (typeof presented !== 'string' || !this.keys.match(presented)) {
      throw new HttpErrorWithHeaders(HttpStatus.UNAUTHORIZED, 'Missing or invalid X-Admin-Key header', {});
    }
    request.adminActor = this.fingerprint;
    annotateRequest(request, { actor: this.fingerprint });
    return true;
  }
}
