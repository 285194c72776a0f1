import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { BodyRecorder } from './signed-body.recorder';

export type AuthScheme = 'jwt' | 'hmac' | 'managed';

/** Who a request is for: the product whose upstream key pays, and the user the limits count. */
export interface ClientIdentity {
  readonly scheme: AuthScheme;
  readonly product: string;
  readonly user: string;
  /** The HMAC client id; absent for JWTs and managed keys. */
  readonly clientId?: string;
  /** The managed key's id in api-key-manager (scheme `managed`). */
  readonly keyId?: string;
}

/** Properties the proxy adds to a request; declared up front with decorateRequest (see SignedBodyCapture). */
export interface ProxyRequestState {
  clientIdentity: ClientIdentity | null;
  signedBody: BodyRecorder | null;
}

export type ProxyRequest = FastifyRequest & ProxyRequestState;

export function identityOf(request: FastifyRequest): ClientIdentity {
  const identity = (request as ProxyRequest).clientIdentity;
  if (!identity) throw new Error('ClientAuthGuard must run before the client identity is read');
  return identity;
}

/** The identity ClientAuthGuard established, as a handler parameter. */
export const AuthenticatedClient = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientIdentity =>
    identityOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
