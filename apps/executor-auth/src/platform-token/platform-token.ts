import { type BackoffPolicy, fullJitterBackoffMs } from '@auth-platform/platform';
import { decodeJwt } from 'jose';

/** Where the seed looked for the bearer token in the login response, in this order. */
export const TOKEN_FIELDS = ['accessToken', 'access_token', 'token', 'authToken'] as const;

/** Which fact the expiry was taken from. */
export type ExpirySource = 'jwt_exp' | 'expires_in' | 'ttl' | 'none';

/** A bearer token for the platform API. Lives in memory only. */
export interface PlatformToken {
  readonly value: string;
  /** Epoch ms after which the platform no longer accepts it (Infinity for a static token without `exp`). */
  readonly expiresAt: number;
  readonly expirySource: ExpirySource;
  /** Epoch ms at which it was received. */
  readonly obtainedAt: number;
}

const FIVE_MINUTES_MS = 5 * 60_000;

/** The first of TOKEN_FIELDS holding a non-empty string, or undefined. */
export function readTokenField(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const fields = body as Record<string, unknown>;
  for (const field of TOKEN_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The `exp` of a JWT in epoch ms, or undefined when the token is not a JWT or carries no numeric `exp`. */
export function jwtExpiry(token: string): number | undefined {
  if (token.split('.').length !== 3) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function positiveSeconds(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/**
 * The token's expiry: the JWT's own `exp` when it has one (the seed guessed one hour for every token), else the
 * login response's `expires_in`, else the configured TTL.
 */
export function tokenExpiry(
  token: string,
  expiresIn: unknown,
  ttlSeconds: number,
  now: number,
): { expiresAt: number; expirySource: ExpirySource } {
  const exp = jwtExpiry(token);
  if (exp !== undefined) return { expiresAt: exp, expirySource: 'jwt_exp' };
  const seconds = positiveSeconds(expiresIn);
  if (seconds !== undefined) return { expiresAt: now + seconds * 1000, expirySource: 'expires_in' };
  return { expiresAt: now + ttlSeconds * 1000, expirySource: 'ttl' };
}

/**
 * How long before expiry a refresh starts: the larger of 5 minutes and 20% of the lifetime, but at most half of
 * it, so a token that lives less than 10 minutes is still used for half its life instead of being refreshed as
 * soon as it arrives (which would log in again and again).
 */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(Math.max(FIVE_MINUTES_MS, 0.2 * lifetimeMs), 0.5 * lifetimeMs);
}

/**
 * Delay from now until the background refresh, given the remaining lifetime: the lead, made up to 20% longer
 * at random so that replicas which logged in together do not all refresh in the same second.
 */
export function refreshDelayMs(lifetimeMs: number, random: number): number {
  if (!Number.isFinite(lifetimeMs)) return Number.POSITIVE_INFINITY;
  const lead = refreshLeadMs(lifetimeMs) * (1 + 0.2 * random);
  return Math.max(0, lifetimeMs - lead);
}

export const LOGIN_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 8_000 };

/** The login's retry delay: full-jitter backoff (platform lib) under LOGIN_BACKOFF unless told otherwise. */
export function backoffDelayMs(retry: number, random: number, policy: BackoffPolicy = LOGIN_BACKOFF): number {
  return fullJitterBackoffMs(retry, policy, () => random);
}
