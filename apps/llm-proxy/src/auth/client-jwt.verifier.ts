import { createPublicKey } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type CompactJWSHeaderParameters,
  type CryptoKey,
  type FlattenedJWSInput,
  type JWTPayload,
  type JWTVerifyGetKey,
  createRemoteJWKSet,
  importSPKI,
  jwtVerify,
} from 'jose';
import type { LlmProxyEnv } from '../config/env';
import { ClientAuthErrorCode, ClientAuthException } from './client-auth.exception';
import type { ClientIdentity } from './client-identity';

/** A verified token is trusted again, without a signature check, for at most this long (and never past its exp). */
const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;
/** jose refetches the JWKS on an unknown kid only after this long since the last fetch: once a minute at most. */
const JWKS_COOLDOWN_MS = 60_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;

export interface JwtPolicy {
  readonly clockToleranceSeconds: number;
  readonly maxLifetimeSeconds: number;
  readonly productClaim: string;
  readonly issuer?: string;
  readonly audience?: readonly string[];
}

interface VerifiedToken {
  readonly identity: ClientIdentity;
  readonly trustedUntil: number;
}

function refuse(message: string): ClientAuthException {
  return new ClientAuthException(ClientAuthErrorCode.INVALID_TOKEN, message);
}

/** A kid quoted in an error only when it looks like one: it comes from the caller. */
function printableKid(kid: string): string {
  return /^[\w.:-]{1,64}$/.test(kid) ? ` "${kid}"` : '';
}

/** jose's errors, by their stable codes, as messages about the token that never quote it. */
function explain(error: unknown): ClientAuthException {
  if (error instanceof ClientAuthException) return error;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return refuse('token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim: string; reason: string };
      return refuse(
        reason === 'missing' ? `token has no "${claim}" claim` : `token "${claim}" claim check failed`,
      );
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return refuse('token alg must be RS256');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return refuse('token signature is invalid');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return refuse('no key matches the token kid');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWK_INVALID':
      return refuse('token is malformed');
    default:
      // The key set could not be fetched or read (timeout, network, bad JWKS): the caller's token may be fine.
      return new ClientAuthException(
        ClientAuthErrorCode.KEY_SET_UNAVAILABLE,
        'cannot verify tokens right now: the key set is unavailable',
      );
  }
}

/**
 * RS256 client JWTs: the header's kid picks a key from API_KEY_SERVER_JWT_PUBLIC_KEYS or the JWKS. A token that
 * verified is remembered (by its exact text) for a minute, so a client reusing its token costs one signature check
 * per minute instead of one per request.
 */
@Injectable()
export class ClientJwtVerifier implements OnModuleInit {
  readonly policy: JwtPolicy;
  private readonly pems: Readonly<Record<string, string>>;
  private readonly keys = new Map<string, CryptoKey>();
  private readonly jwks?: JWTVerifyGetKey;
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly getKey: JWTVerifyGetKey = (header, token) => this.keyFor(header, token);

  constructor(config: ConfigService<LlmProxyEnv, true>) {
    this.pems = config.get('API_KEY_SERVER_JWT_PUBLIC_KEYS', { infer: true }) ?? {};
    const jwksUrl = config.get('API_KEY_SERVER_JWKS_URL', { infer: true });
    if (jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(jwksUrl), {
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
        timeoutDuration: JWKS_TIMEOUT_MS,
      });
    }
    this.policy = {
      clockToleranceSeconds: config.get('API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS', { infer: true }),
      maxLifetimeSeconds: config.get('API_KEY_SERVER_JWT_MAX_LIFETIME_SECONDS', { infer: true }),
      productClaim: config.get('API_KEY_SERVER_JWT_PRODUCT_CLAIM', { infer: true }),
      issuer: config.get('API_KEY_SERVER_JWT_ISSUER', { infer: true }),
      audience: config.get('API_KEY_SERVER_JWT_AUDIENCE', { infer: true }),
    };
  }

  get configured(): boolean {
    return Object.keys(this.pems).length > 0 || this.jwks !== undefined;
  }

  async onModuleInit(): Promise<void> {
    for (const [kid, pem] of Object.entries(this.pems)) {
      // importSPKI wants SPKI; the env also accepts PKCS#1 ("BEGIN RSA PUBLIC KEY"), so normalise through node:crypto.
      const spki = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
      this.keys.set(kid, await importSPKI(spki, 'RS256'));
    }
  }

  async verifyClientJwt(token: string, now = Date.now()): Promise<ClientIdentity> {
    const known = this.verified.get(token);
    if (known && known.trustedUntil > now) return known.identity;
    if (!this.configured) {
      throw new ClientAuthException(
        ClientAuthErrorCode.SCHEME_NOT_CONFIGURED,
        'JWT authentication is not configured on this proxy',
      );
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: ['RS256'],
        clockTolerance: this.policy.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now),
        ...(this.policy.issuer ? { issuer: this.policy.issuer } : {}),
        ...(this.policy.audience?.length ? { audience: [...this.policy.audience] } : {}),
      }));
    } catch (error) {
      throw explain(error);
    }
    const identity = this.identityFrom(payload, Math.floor(now / 1000));
    this.remember(
      token,
      identity,
      Math.min(((payload.exp ?? 0) + this.policy.clockToleranceSeconds) * 1000, now + VERIFIED_TOKEN_TTL_MS),
    );
    return identity;
  }

  private identityFrom(payload: JWTPayload, nowSeconds: number): ClientIdentity {
    const { clockToleranceSeconds, maxLifetimeSeconds, productClaim } = this.policy;
    const exp = payload.exp as number;
    if (typeof payload.iat === 'number' && payload.iat > nowSeconds + clockToleranceSeconds) {
      throw refuse('token "iat" is in the future');
    }
    const issuedAt =
      typeof payload.iat === 'number'
        ? payload.iat
        : typeof payload.nbf === 'number'
          ? payload.nbf
          : nowSeconds;
    if (exp - issuedAt > maxLifetimeSeconds) {
      throw refuse(`token lifetime exceeds ${maxLifetimeSeconds} seconds`);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0)
      throw refuse('token "sub" claim must be a non-empty string');
    const product = payload[productClaim];
    if (typeof product !== 'string' || product.length === 0) {
      throw refuse(`token has no "${productClaim}" claim naming the product`);
    }
    return { scheme: 'jwt', product, user: payload.sub };
  }

  private async keyFor(header: CompactJWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length === 0) throw refuse('token header has no kid');
    const key = this.keys.get(kid);
    if (key) return key;
    if (this.jwks) return (await this.jwks(header, token)) as CryptoKey;
    throw refuse(`unknown key id${printableKid(kid)}`);
  }

  private remember(token: string, identity: ClientIdentity, trustedUntil: number): void {
    if (this.verified.size >= VERIFIED_TOKEN_CACHE_SIZE) {
      // Oldest first (Map order); expired entries would go first anyway, as they are older.
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, { identity, trustedUntil });
  }
}
