import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import type { ApiKeyRecord } from '../keys/api-key.record';
import { VerificationCode, VerificationService } from '../verification/verification.service';
import { SAS_ISSUE_SCOPE } from './sas-policy';

export const MANAGED_KEY_HEADER = 'x-api-key';
/** The Swagger security scheme name for X-API-Key. */
export const MANAGED_KEY_SCHEME = 'api-key';

type KeyedRequest = FastifyRequest & { managedKey?: ApiKeyRecord };

export function managedKeyOf(request: FastifyRequest): ApiKeyRecord | undefined {
  return (request as KeyedRequest).managedKey;
}

/** The rate-limit key for a managed key: its id, never the key. */
export function managedKeyIdOf(request: FastifyRequest): string | undefined {
  const record = managedKeyOf(request);
  return record ? `key:${record.id}` : undefined;
}

const REFUSALS: Record<Exclude<VerificationCode, VerificationCode.VALID>, [number, string]> = {
  [VerificationCode.MALFORMED]: [HttpStatus.UNAUTHORIZED, 'Invalid API key'],
  [VerificationCode.NOT_FOUND]: [HttpStatus.UNAUTHORIZED, 'Invalid API key'],
  [VerificationCode.REVOKED]: [HttpStatus.UNAUTHORIZED, 'API key has been revoked'],
  [VerificationCode.EXPIRED]: [HttpStatus.UNAUTHORIZED, 'API key has expired'],
  [VerificationCode.IP_NOT_ALLOWED]: [HttpStatus.FORBIDDEN, 'API key is not allowed from this address'],
  [VerificationCode.INSUFFICIENT_SCOPES]: [HttpStatus.FORBIDDEN, `API key lacks the ${SAS_ISSUE_SCOPE} scope`],
};

/** A managed key in `X-API-Key` (as the seed's clients send it): valid, from an allowed address, with sas:issue. */
@Injectable()
export class ManagedKeyGuard implements CanActivate {
  constructor(private readonly verification: VerificationService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const presented = request.headers[MANAGED_KEY_HEADER];
    if (typeof presented !== 'string' || presented === '') {
      throw new HttpErrorWithHeaders(HttpStatus.UNAUTHORIZED, 'Missing X-API-Key header', {});
    }
    const result = await this.verification.verify({
      key: presented,
      requiredScopes: [SAS_ISSUE_SCOPE],
      clientIp: request.ip,
      endpoint: 'POST /auth/sas',
    });
    annotateRequest(request, { key_id: result.record?.id, code: result.code });
    if (result.code !== VerificationCode.VALID) {
      const [status, message] = REFUSALS[result.code];
      throw new HttpErrorWithHeaders(status, message, {});
    }
    request.managedKey = result.record;
    return true;
  }
}
