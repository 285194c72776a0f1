import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders } from '@auth-platform/platform';
import type { ApiKeyManagerEnv } from '../config/env';

/** The Swagger security scheme name for the verification bearer key. */
export const SERVICE_SCHEME = 'service-key';

const BEARER = /^Bearer +(\S+)$/i;

/** The service keys gateways present: `Authorization: Bearer <key>` against VERIFY_API_KEYS, in constant time. */
@Injectable()
export class ServiceKeys {
  private readonly keys: SecretSet;

  constructor(config: ConfigService<ApiKeyManagerEnv, true>) {
    this.keys = new SecretSet(config.get('VERIFY_API_KEYS', { infer: true }) ?? []);
  }

  /** Throws the 401 (or 503 when none are configured) that a request without a valid service key gets. */
  authenticate(request: FastifyRequest): void {
    if (this.keys.size === 0) {
      throw new HttpErrorWithHeaders(HttpStatus.SERVICE_UNAVAILABLE, 'Verification is not configured: set VERIFY_API_KEYS', {});
    }
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!presented || this.keys.match(presented) === undefined) {
      throw new HttpErrorWithHeaders(HttpStatus.UNAUTHORIZED, 'Missing or invalid service key (Authorization: Bearer <key from VERIFY_API_KEYS>)', {
        'WWW-Authenticate': 'Bearer',
      });
    }
  }
}

/** ServiceKeys as a guard, for routes off the hot path. */
@Injectable()
export class ServiceKeyGuard implements CanActivate {
  constructor(private readonly keys: ServiceKeys) {}

  canActivate(context: ExecutionContext): boolean {
    this.keys.authenticate(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
