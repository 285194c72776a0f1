import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { API_KEYS_CLIENT, type ApiKeysClient, checkManagedKey, countManagedKeyUse } from '@auth-platform/api-keys-client';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders, annotateRequest } from '@auth-platform/platform';
import type { GcpTokenEnv } from '../config/env';

/** A non-secret name for a key, for logs and rate limits: `static:` and the start of its SHA-256. */
export function keyFingerprint(key: string): string {
  return `static:${hash('sha256', key, 'hex').slice(0, 12)}`;
}

/** The scope a managed key needs to mint tokens here. */
export const MINT_SCOPE = 'gcp-token:mint';
/** What a managed key's usage is counted under in api-key-manager. */
export const MINT_ENDPOINT = 'gcp-token POST /token';

const BEARER = /^Bearer (\S+)$/i;
const INVALID = () => new HttpErrorWithHeaders(401, 'Invalid API key', { 'WWW-Authenticate': 'Bearer' });

/**
 * `Authorization: Bearer <key>`: first against API_KEY / API_KEYS, in constant time (SecretSet: neither the match
 * nor its position leaks through timing; several keys allow rotation without downtime); then, when
 * API_KEY_MANAGER_URL is set, as a managed key with scope gcp-token:mint, whose use is counted in the manager.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly keys: SecretSet;
  private readonly fingerprints = new Map<string, string>();

  constructor(
    config: ConfigService<GcpTokenEnv, true>,
    @Inject(API_KEYS_CLIENT) private readonly managed: ApiKeysClient | null,
  ) {
    const single = config.get('API_KEY', { infer: true });
    const keys = [...(single ? [single] : []), ...(config.get('API_KEYS', { infer: true }) ?? [])];
    this.keys = new SecretSet(keys);
    for (const key of keys) this.fingerprints.set(key, keyFingerprint(key));
  }

  /**
   * Who the caller is, for logs and rate limits: `static:<fingerprint>` or `managed:<key id>`. A missing or wrong key
   * is 401 `Invalid API key` with `WWW-Authenticate: Bearer`; a managed key without the scope or from an address it
   * is not allowed from is 403; 503 when the manager cannot say.
   */
  async authenticate(request: FastifyRequest): Promise<string> {
    const authorization = request.headers.authorization;
    const presented = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    if (!presented) throw INVALID();
    const matched = this.keys.match(presented);
    if (matched) return this.fingerprints.get(matched)!;
    if (!this.managed) throw INVALID();
    const decision = await checkManagedKey(this.managed, presented, { scope: MINT_SCOPE, clientIp: request.ip });
    if (decision.accepted) {
      countManagedKeyUse(request, decision.key.keyId, MINT_ENDPOINT);
      annotateRequest(request, { key_id: decision.key.keyId, provider_id: decision.key.providerId });
      return `managed:${decision.key.keyId}`;
    }
    annotateRequest(request, { auth_failure: decision.code });
    if (decision.status === 401) throw INVALID();
    const headers: Record<string, string> =
      decision.status === 503 ? { 'Retry-After': String(decision.retryAfterSeconds ?? 1) } : {};
    throw new HttpErrorWithHeaders(decision.status, decision.message, headers);
  }
}
