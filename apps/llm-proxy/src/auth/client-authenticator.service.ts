import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { API_KEYS_CLIENT, type ApiKeysClient, checkManagedKey, countManagedKeyUse } from '@auth-platform/api-keys-client';
import { MetricsService, annotateRequest } from '@auth-platform/platform';
import { ProductKeyring } from '../products/product-keyring';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import type { AuthScheme, ClientIdentity, ProxyRequest } from './client-identity';
import { ClientJwtVerifier } from './client-jwt.verifier';
import { SIGNATURE_HEADERS, SignedRequestVerifier } from './signed-request.verifier';

const BEARER = /^Bearer +(\S+) *$/i;
const EMPTY = Buffer.alloc(0);

/** The scope a managed key needs for chat completions. */
export const CHAT_SCOPE = 'llm-proxy:chat';
/** What a managed key's usage is counted under in api-key-manager. */
export const CHAT_ENDPOINT = 'llm-proxy POST /v1/chat/completions';

/** A JWS in compact form has three dot-separated parts; a managed key has none. */
function isCompactJws(token: string): boolean {
  return token.split('.', 4).length === 3;
}

/**
 * Exactly one client credential per request: `Authorization: Bearer <RS256 JWT>`, `Authorization: Bearer <managed
 * key>` (api-key-manager, scope llm-proxy:chat; the product is the key's provider, the user the key) or the HMAC
 * headers. The product must be one this proxy holds an upstream key for. The client's credentials go no further
 * than here.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly failures: Counter<'scheme' | 'code'>;

  constructor(
    private readonly jwt: ClientJwtVerifier,
    private readonly signatures: SignedRequestVerifier,
    private readonly products: ProductKeyring,
    metrics: MetricsService,
    @Inject(API_KEYS_CLIENT) private readonly managed: ApiKeysClient | null,
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
    const scheme: AuthScheme | 'none' =
      authorization !== undefined ? this.bearerScheme(authorization) : signed ? 'hmac' : 'none';
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
      if (identity.keyId !== undefined) countManagedKeyUse(request, identity.keyId, CHAT_ENDPOINT);
      annotateRequest(request, {
        auth: identity.scheme,
        client_id: identity.clientId,
        key_id: identity.keyId,
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

  private bearerScheme(authorization: string): AuthScheme {
    const token = BEARER.exec(authorization)?.[1];
    return this.managed && token !== undefined && !isCompactJws(token) ? 'managed' : 'jwt';
  }

  private async verifyManagedKey(client: ApiKeysClient, key: string, clientIp: string): Promise<ClientIdentity> {
    const decision = await checkManagedKey(client, key, { scope: CHAT_SCOPE, clientIp });
    if (decision.accepted) {
      const { keyId, providerId } = decision.key;
      return { scheme: 'managed', product: providerId, user: keyId, keyId };
    }
    const code =
      decision.status === 401
        ? ClientAuthErrorCode.INVALID_API_KEY
        : decision.status === 403
          ? ClientAuthErrorCode.API_KEY_NOT_PERMITTED
          : ClientAuthErrorCode.API_KEY_VERIFICATION_UNAVAILABLE;
    throw new ClientAuthException(code, decision.message, decision.retryAfterSeconds);
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
          this.managed ? 'Authorization must be "Bearer <jwt>" or "Bearer <api key>"' : 'Authorization must be "Bearer <jwt>"',
        );
      if (this.managed && !isCompactJws(token)) return this.verifyManagedKey(this.managed, token, request.ip);
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
