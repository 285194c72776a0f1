import { type CanActivate, type ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders } from '@auth-platform/platform';
import type { LlmProxyEnv } from '../config/env';

/** `Authorization: Bearer <API_KEY_SERVER_ADMIN_KEY>`, compared in constant time. Without a key, no admin endpoint. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly keys?: SecretSet;

  constructor(config: ConfigService<LlmProxyEnv, true>) {
    const key = config.get('API_KEY_SERVER_ADMIN_KEY', { infer: true });
    this.keys = key ? new SecretSet([key]) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.keys)
      throw new NotFoundException('the admin endpoint is disabled: API_KEY_SERVER_ADMIN_KEY is not set');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!presented || !this.keys.match(presented))
      throw new HttpErrorWithHeaders(401, 'Invalid admin key', { 'WWW-Authenticate': 'Bearer' });
    return true;
  }
}
