import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SecretSet } from '@auth-platform/crypto';
import { HttpErrorWithHeaders } from '@auth-platform/platform';
import type { GcpTokenEnv } from '../config/env';

/** A non-secret name for a key, for logs and rate limits: `static:` and the start of its SHA-256. */
export function keyFingerprint(key: string): string {
  return `static:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

const BEARER = /^Bearer (\S+)$/i;

/**
 * `Authorization: Bearer <key>` against API_KEY / API_KEYS, in constant time (SecretSet): neither the match nor
 * its position leaks through timing; several keys allow rotation without downtime.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly keys: SecretSet;
  private readonly fingerprints = new Map<string, string>();

  constructor(config: ConfigService<GcpTokenEnv, true>) {
    const single = config.get('API_KEY', { infer: true });
    this.keys = new SecretSet([...(single ? [single] : []), ...(config.get('API_KEYS', { infer: true }) ?? [])]);
    for (const key of [...(single ? [single] : []), ...(config.get('API_KEYS', { infer: true }) ?? [])]) {
      this.fingerprints.set(key, keyFingerprint(key));
    }
  }

  /** The key's fingerprint; a missing or wrong key is 401 `Invalid API key` with `WWW-Authenticate: Bearer`. */
  authenticate(authorization: string | undefined): string {
    const presented = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    const matched = presented ? this.keys.match(presented) : undefined;
    if (!matched) throw new HttpErrorWithHeaders(401, 'Invalid API key', { 'WWW-Authenticate': 'Bearer' });
    return this.fingerprints.get(matched)!;
  }
}
