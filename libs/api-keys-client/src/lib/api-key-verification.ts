import type { ApiKeyEnvironment } from '@auth-platform/crypto';

/** The manager's codes for a key it refuses (POST /auth/keys/verify `code` when `valid` is false). */
export const API_KEY_REFUSAL_CODES = [
  'MALFORMED',
  'NOT_FOUND',
  'REVOKED',
  'EXPIRED',
  'IP_NOT_ALLOWED',
  'INSUFFICIENT_SCOPES',
] as const;

export type ApiKeyRefusalCode = (typeof API_KEY_REFUSAL_CODES)[number];

export interface VerifiedApiKey {
  readonly valid: true;
  readonly code: 'VALID';
  /** The key's id in api-key-manager (`token_id`): what usage is reported under. */
  readonly keyId: string;
  /** The provider (tenant, team, product) that owns the key. */
  readonly providerId: string;
  readonly environment: ApiKeyEnvironment;
  /** Every scope the key carries (not only the required ones). */
  readonly scopes: readonly string[];
  /** When the key stops working (epoch ms: its expiry or the end of a rotation grace period); null if never. */
  readonly expiresAt: number | null;
  /** True when answered from this client's cache, without a call to the manager. */
  readonly cached: boolean;
}

export interface RefusedApiKey {
  readonly valid: false;
  readonly code: ApiKeyRefusalCode;
  /** Known when the key exists (REVOKED, EXPIRED, IP_NOT_ALLOWED, INSUFFICIENT_SCOPES), e.g. to count refused usage. */
  readonly keyId: string | null;
  readonly providerId: string | null;
  readonly cached: boolean;
}

export type ApiKeyVerification = VerifiedApiKey | RefusedApiKey;

export interface VerifyApiKeyOptions {
  /** Scopes the key must all carry (at most 50, each 1-100 characters). */
  readonly requiredScopes?: readonly string[];
  /** The caller's address, checked against the key's `ip_restrictions`. Not an IP address: left out. */
  readonly clientIp?: string;
}

/** The status an app answers a refused key with: 401 for a key that does not work, 403 for one without the right. */
export function refusalStatus(code: ApiKeyRefusalCode): 401 | 403 {
  return code === 'IP_NOT_ALLOWED' || code === 'INSUFFICIENT_SCOPES' ? 403 : 401;
}

/** What the cache holds: a verification without the per-call `cached` flag. */
export type VerificationOutcome = Omit<VerifiedApiKey, 'cached'> | Omit<RefusedApiKey, 'cached'>;

const REFUSAL_CODES: ReadonlySet<string> = new Set(API_KEY_REFUSAL_CODES);

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * Reads a verify answer (`{ valid, code, key_id, provider_id, environment, scopes, expires_at }`) strictly: anything
 * outside that contract is undefined, which the client treats as a failure, never as an accepted key.
 */
export function parseVerifyAnswer(
  body: unknown,
  requiredScopes: readonly string[],
): VerificationOutcome | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const answer = body as Record<string, unknown>;
  const { valid, code, key_id: keyId, provider_id: providerId, environment, scopes } = answer;
  if (valid === false) {
    if (typeof code !== 'string' || !REFUSAL_CODES.has(code)) return undefined;
    return {
      valid: false,
      code: code as ApiKeyRefusalCode,
      keyId: typeof keyId === 'string' ? keyId : null,
      providerId: typeof providerId === 'string' ? providerId : null,
    };
  }
  if (valid !== true || code !== 'VALID') return undefined;
  if (typeof keyId !== 'string' || typeof providerId !== 'string' || !isStringArray(scopes)) return undefined;
  if (environment !== 'test' && environment !== 'live') return undefined;
  let expiresAt: number | null = null;
  if (answer['expires_at'] !== null && answer['expires_at'] !== undefined) {
    if (typeof answer['expires_at'] !== 'string') return undefined;
    expiresAt = Date.parse(answer['expires_at']);
    if (!Number.isFinite(expiresAt)) return undefined;
  }
  // The manager checked the scopes; a VALID that lacks one would be a contract break, and is refused.
  if (requiredScopes.some((scope) => !scopes.includes(scope))) return undefined;
  return {
    valid: true,
    code: 'VALID',
    keyId,
    providerId,
    environment,
    scopes: Object.freeze([...scopes]),
    expiresAt,
  };
}
