import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService, annotateRequest } from '@auth-platform/platform';
import { ProductKeyring } from '../products/product-keyring';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import type { AuthScheme, ClientIdentity, ProxyRequest } from './client-identity';
import { ClientJwtVerifier } from './client-jwt.verifier';
import { SIGNATURE_HEADERS, SignedRequestVerifier } from './signed-request.verifier';

const BEARER = /^Bearer +(\S+) *$/i;
const EMPTY = Buffer.alloc(0);

/**
 * Exactly one client credential per request: `Authorization: Bearer <RS256 JWT>` or the HMAC headers. The
 * product must be one this proxy holds an upstream key for. The client's credentials go no further than here.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly failures: Counter<'scheme' | 'code'>;

  constructor(
    private readonly jwt: ClientJwtVerifier,
    private readonly signatures: SignedRequestVerifier,
    private readonly products: ProductKeyring,
    metrics: MetricsService,
  ) {
    this.failures = new Counter({
      name: 'llm_proxy_auth_failures_total',
      help: 'Requests refused by client authentication, by scheme and reason',
      labelNames: ['scheme', 'code'],
      registers: [metrics.registry],
    });
  }

  /** The request's client, also attached to the request and noted on its access log line. */
  async authenticateClient(request: ProxyRequest): Promise<ClientIdentity> {
    const authorization = request.headers.authorization;
    const signed = request.headers[SIGNATURE_HEADERS.signature] !== undefined;
    const scheme: AuthScheme | 'none' = authorization !== undefined ? 'jwt' : signed ? 'hmac' : 'none';
    try {
      if (authorization !== undefined && signed) {
        throw new ClientAuthException(
          ClientAuthErrorCode.AMBIGUOUS_CREDENTIALS,
          'send either a Bearer JWT or an HMAC signature, not both',
        );
      }
      const identity = await this.verify(request, authorization, signed);
      if (!this.products.has(identity.product)) {
        throw new ClientAuthException(ClientAuthErrorCode.UNKNOWN_PRODUCT, 'unknown product');
      }
      request.clientIdentity = identity;
      annotateRequest(request, {
        auth: identity.scheme,
        client_id: identity.clientId,
        product: identity.product,
        user: identity.user,
      });
      return identity;
    } catch (error) {
      if (error instanceof ClientAuthException) {
        this.failures.inc({ scheme, code: error.code });
        annotateRequest(request, { auth: scheme, auth_failure: error.code });
      }
      throw error;
    }
  }

  private verify(
    request: ProxyRequest,
    authorization: string | undefined,
    signed: boolean,
  ): Promise<ClientIdentity> {
    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (!token)
        throw new ClientAuthException(
          ClientAuthErrorCode.MISSING_CREDENTIALS,
          'Authorization must be "Bearer <jwt>"',
        );
      return this.jwt.verifyClientJwt(token);
    }
    if (signed) {
      return this.signatures.verifyClientSignature({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.signedBody?.body() ?? EMPTY,
      });
    }
    throw new ClientAuthException(
      ClientAuthErrorCode.MISSING_CREDENTIALS,
      'authentication required: send Authorization: Bearer <jwt>, or the X-Client-Id, X-Product-Id, X-User-Id, X-Timestamp and X-Signature headers',
    );
  }
}
