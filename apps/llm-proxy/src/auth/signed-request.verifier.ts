import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingHttpHeaders } from 'node:http';
import { checkTimestamp, verifyRequestSignature } from '@auth-platform/crypto';
import type { LlmProxyEnv } from '../config/env';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import type { ClientIdentity } from './client-identity';
import { NonceStore } from './nonce.store';

export const SIGNATURE_HEADERS = {
  client: 'x-client-id',
  product: 'x-product-id',
  user: 'x-user-id',
  timestamp: 'x-timestamp',
  nonce: 'x-nonce',
  signature: 'x-signature',
} as const;

const DISPLAY_NAMES: Record<string, string> = {
  'x-client-id': 'X-Client-Id',
  'x-product-id': 'X-Product-Id',
  'x-user-id': 'X-User-Id',
  'x-timestamp': 'X-Timestamp',
  'x-nonce': 'X-Nonce',
  'x-signature': 'X-Signature',
};

/** Printable ASCII without spaces: a nonce becomes part of a Redis key. */
const NONCE = /^[\x21-\x7e]{1,128}$/;

export interface SignedRequest {
  readonly method: string;
  /** The path as sent, query string included. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function required(headers: IncomingHttpHeaders, name: string): string {
  const value = single(headers, name);
  if (value === undefined) {
    throw new ClientAuthException(
      ClientAuthErrorCode.MISSING_SIGNATURE_HEADER,
      `signed request is missing the ${DISPLAY_NAMES[name]} header`,
    );
  }
  return value;
}

/**
 * The HMAC scheme: X-Signature is the hex HMAC-SHA256, under the client's secret, of the canonical request
 * (`canonicalRequest` of the crypto lib). The timestamp must be within the tolerance; a nonce is accepted once.
 */
@Injectable()
export class SignedRequestVerifier {
  private readonly secrets: ReadonlyMap<string, string>;
  private readonly clientProducts: ReadonlyMap<string, ReadonlySet<string>>;
  private readonly toleranceSeconds: number;

  constructor(
    config: ConfigService<LlmProxyEnv, true>,
    private readonly nonces: NonceStore,
  ) {
    this.secrets = new Map(
      Object.entries(config.get('API_KEY_SERVER_CLIENT_HMAC_SECRETS', { infer: true }) ?? {}),
    );
    this.clientProducts = new Map(
      Object.entries(config.get('API_KEY_SERVER_CLIENT_PRODUCTS', { infer: true }) ?? {}).map(
        ([client, products]) => [client, new Set(products)],
      ),
    );
    this.toleranceSeconds = config.get('API_KEY_SERVER_HMAC_CLOCK_TOLERANCE_SECONDS', { infer: true });
  }

  get configured(): boolean {
    return this.secrets.size > 0;
  }

  async verifyClientSignature(request: SignedRequest, now = new Date()): Promise<ClientIdentity> {
    const { headers } = request;
    const signature = required(headers, SIGNATURE_HEADERS.signature);
    const clientId = required(headers, SIGNATURE_HEADERS.client);
    const product = required(headers, SIGNATURE_HEADERS.product);
    const user = required(headers, SIGNATURE_HEADERS.user);
    const timestamp = required(headers, SIGNATURE_HEADERS.timestamp);
    const nonce = single(headers, SIGNATURE_HEADERS.nonce);
    if (!this.configured) {
      throw new ClientAuthException(
        ClientAuthErrorCode.SCHEME_NOT_CONFIGURED,
        'HMAC authentication is not configured on this proxy',
      );
    }
    const secret = this.secrets.get(clientId);
    if (secret === undefined)
      throw new ClientAuthException(ClientAuthErrorCode.UNKNOWN_CLIENT, 'unknown client id');

    const fresh = checkTimestamp(timestamp, { toleranceSeconds: this.toleranceSeconds, now });
    if (!fresh.ok) {
      const why =
        fresh.reason === 'invalid'
          ? 'is not whole Unix seconds'
          : `is outside the ${this.toleranceSeconds} s tolerance (${fresh.reason})`;
      throw new ClientAuthException(ClientAuthErrorCode.STALE_TIMESTAMP, `X-Timestamp ${why}`);
    }
    if (nonce !== undefined && !NONCE.test(nonce)) {
      throw new ClientAuthException(
        ClientAuthErrorCode.INVALID_NONCE,
        'X-Nonce must be 1 to 128 printable ASCII characters without spaces',
      );
    }
    const signed = {
      method: request.method,
      path: request.url,
      timestamp,
      nonce,
      product,
      user,
      body: request.body,
    };
    if (!verifyRequestSignature(secret, signed, signature)) {
      throw new ClientAuthException(
        ClientAuthErrorCode.INVALID_SIGNATURE,
        'signature does not match the request',
      );
    }
    // Only after the signature: an unsigned request must not be able to burn a client's nonces.
    // Remembered for both sides of the window, since a timestamp is accepted that far either way.
    if (
      nonce !== undefined &&
      !(await this.nonces.claim(clientId, nonce, 2 * this.toleranceSeconds * 1000, now.getTime()))
    ) {
      throw new ClientAuthException(ClientAuthErrorCode.REPLAYED_NONCE, 'nonce was already used');
    }
    const allowed = this.clientProducts.get(clientId);
    if (allowed && !allowed.has(product)) {
      throw new ClientAuthException(
        ClientAuthErrorCode.PRODUCT_NOT_ALLOWED,
        'this client may not sign requests for that product',
      );
    }
    return { scheme: 'hmac', clientId, product, user };
  }
}
