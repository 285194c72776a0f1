import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { GaxiosError } from 'gaxios';
import { Impersonated, JWT } from 'google-auth-library';
import type { GcpTokenEnv } from '../config/env';
import type { ServiceAccount } from '../config/service-account';
import { GoogleTransport } from './google-transport';
import type { AccessToken } from './token-cache';
import { TokenErrorCode, TokenException, type UpstreamFailureReason } from './token.exception';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

function classify(error: unknown): UpstreamFailureReason {
  if (error instanceof GaxiosError) {
    const status = error.response?.status;
    if (status === undefined) return error.name === 'AbortError' || /abort|timeout/i.test(error.message) ? 'timeout' : 'network';
    return status >= 500 ? 'upstream_5xx' : 'upstream_rejected';
  }
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return 'timeout';
  if (error instanceof SyntaxError) return 'malformed_response';
  return 'network';
}

function upstreamFailure(reason: UpstreamFailureReason): TokenException {
  return new TokenException(TokenErrorCode.UPSTREAM_FAILED, 'Failed to obtain access token from Google', reason);
}

/** Mints tokens with google-auth-library: the service account's own, or another account's by impersonation. */
@Injectable()
export class GoogleTokenMinter {
  readonly serviceAccount?: ServiceAccount;
  private readonly transport?: GoogleTransport;
  private impersonationSource?: JWT;
  private readonly iamEndpoint: string;

  constructor(config: ConfigService<GcpTokenEnv, true>) {
    this.serviceAccount =
      config.get('SERVICE_ACCOUNT_JSON', { infer: true }) ?? config.get('GOOGLE_APPLICATION_CREDENTIALS', { infer: true });
    this.iamEndpoint = config.get('IAM_CREDENTIALS_ENDPOINT', { infer: true });
    if (this.serviceAccount) {
      this.transport = new GoogleTransport(this.serviceAccount.tokenUri, config.get('GOOGLE_TOKEN_TIMEOUT_MS', { infer: true }));
    }
  }

  async mintServiceAccountToken(scopes: readonly string[]): Promise<AccessToken> {
    const client = this.jwt(scopes);
    try {
      const credentials = await client.authorize();
      return this.checked(credentials.access_token, credentials.expiry_date);
    } catch (error) {
      throw error instanceof TokenException ? error : upstreamFailure(classify(error));
    }
  }

  /** IAM Credentials generateAccessToken, authorised by this service account's own cloud-platform token. */
  async mintImpersonatedToken(target: string, scopes: readonly string[], lifetimeSeconds: number): Promise<AccessToken> {
    this.impersonationSource ??= this.jwt([CLOUD_PLATFORM]);
    const client = new Impersonated({
      sourceClient: this.impersonationSource,
      targetPrincipal: target,
      targetScopes: [...scopes],
      lifetime: lifetimeSeconds,
      delegates: [],
      endpoint: this.iamEndpoint,
    });
    try {
      const { token } = await client.getAccessToken();
      return this.checked(token, client.credentials.expiry_date);
    } catch (error) {
      throw error instanceof TokenException ? error : upstreamFailure(classify(error));
    }
  }

  private jwt(scopes: readonly string[]): JWT {
    const account = this.serviceAccount;
    if (!account || !this.transport) {
      throw new TokenException(TokenErrorCode.NOT_CONFIGURED, 'Service account credentials not configured properly');
    }
    return new JWT({
      email: account.clientEmail,
      key: account.privateKey,
      keyId: account.privateKeyId,
      scopes: [...scopes],
      transporter: this.transport,
    });
  }

  private checked(accessToken: unknown, expiryDate: unknown): AccessToken {
    if (typeof accessToken !== 'string' || accessToken.length === 0 || typeof expiryDate !== 'number' || !Number.isFinite(expiryDate)) {
      throw upstreamFailure('malformed_response');
    }
    return { accessToken, expiresAt: expiryDate };
  }
}
