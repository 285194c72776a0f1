import { SignJWT, UnsecuredJWT } from 'jose';
import {
  backoffDelayMs,
  jwtExpiry,
  readTokenField,
  refreshDelayMs,
  refreshLeadMs,
  tokenExpiry,
} from './platform-token';

const key = new TextEncoder().encode('unit-test-signing-key-0123456789abcdef');
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

function jwt(exp?: number): Promise<string> {
  const builder = new SignJWT({ sub: 'service-user' }).setProtectedHeader({ alg: 'HS256' });
  return (exp === undefined ? builder : builder.setExpirationTime(exp)).sign(key);
}

describe('readTokenField', () => {
  it.each([
    [{ statusCode: 200, accessToken: 'a' }, 'a'],
    [{ access_token: 'b' }, 'b'],
    [{ token: 'c' }, 'c'],
    [{ authToken: 'd' }, 'd'],
  ])('reads the token from %j', (body, expected) => {
    expect(readTokenField(body)).toBe(expected);
  });

  it("keeps the seed's order when several fields are present", () => {
    expect(readTokenField({ authToken: 'd', token: 'c', access_token: 'b', accessToken: 'a' })).toBe('a');
    expect(readTokenField({ authToken: 'd', token: 'c' })).toBe('c');
  });

  it('skips empty and non-string fields, and finds nothing in other shapes', () => {
    expect(readTokenField({ accessToken: '', access_token: 42, token: '  ', authToken: 'd' })).toBe('d');
    expect(readTokenField({ statusCode: 200, message: 'ok' })).toBeUndefined();
    expect(readTokenField(['accessToken'])).toBeUndefined();
    expect(readTokenField(null)).toBeUndefined();
    expect(readTokenField('token')).toBeUndefined();
  });
});

describe('token expiry', () => {
  it("takes a JWT's exp over expires_in and the TTL", async () => {
    const exp = Math.floor(NOW / 1000) + 900;
    expect(tokenExpiry(await jwt(exp), 60, 3600, NOW)).toEqual({
      expiresAt: exp * 1000,
      expirySource: 'jwt_exp',
    });
  });

  it('uses expires_in (a number or a numeric string) for a JWT without exp or an opaque token', async () => {
    expect(tokenExpiry(await jwt(), 120, 3600, NOW)).toEqual({
      expiresAt: NOW + 120_000,
      expirySource: 'expires_in',
    });
    expect(tokenExpiry('opaque-token', '300', 3600, NOW)).toEqual({
      expiresAt: NOW + 300_000,
      expirySource: 'expires_in',
    });
  });

  it('falls back to the TTL without exp and without a usable expires_in', () => {
    for (const expiresIn of [undefined, null, 0, -5, 'soon', Number.NaN]) {
      expect(tokenExpiry('opaque-token', expiresIn, 3600, NOW)).toEqual({
        expiresAt: NOW + 3_600_000,
        expirySource: 'ttl',
      });
    }
  });

  it('does not mistake a dotted opaque token or an unsigned JWT without exp for a JWT with exp', () => {
    expect(jwtExpiry('a.b.c')).toBeUndefined();
    expect(jwtExpiry(new UnsecuredJWT({ sub: 'x' }).encode())).toBeUndefined();
    expect(jwtExpiry(new UnsecuredJWT({ exp: 1_900_000_000 }).encode())).toBe(1_900_000_000_000);
  });
});

describe('refresh timing', () => {
  it('starts the larger of 5 minutes and 20% of the lifetime ahead of expiry', () => {
    expect(refreshLeadMs(60 * MINUTE)).toBe(12 * MINUTE);
    expect(refreshLeadMs(20 * MINUTE)).toBe(5 * MINUTE);
    expect(refreshLeadMs(24 * 60 * MINUTE)).toBe(288 * MINUTE);
  });

  it('never starts before half of the lifetime, so a short-lived token is not refreshed on arrival', () => {
    expect(refreshLeadMs(4 * MINUTE)).toBe(2 * MINUTE);
    expect(refreshDelayMs(8_000, 0)).toBe(4_000);
  });

  it('adds up to 20% jitter to the lead, never past now', () => {
    expect(refreshDelayMs(60 * MINUTE, 0)).toBe(48 * MINUTE);
    expect(refreshDelayMs(60 * MINUTE, 1)).toBeCloseTo(60 * MINUTE - 12 * MINUTE * 1.2);
    const delays = Array.from({ length: 200 }, () => refreshDelayMs(60 * MINUTE, Math.random()));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(60 * MINUTE - 14.4 * MINUTE);
      expect(delay).toBeLessThanOrEqual(48 * MINUTE);
    }
    expect(new Set(delays).size).toBeGreaterThan(100);
    expect(refreshDelayMs(0, 0.5)).toBe(0);
    expect(refreshDelayMs(Number.POSITIVE_INFINITY, 0.5)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('login backoff', () => {
  it('is exponential with full jitter: uniform below base·2^retry, capped', () => {
    expect([0, 1, 2, 3].map((retry) => backoffDelayMs(retry, 0.999))).toEqual([249, 499, 999, 1998]);
    expect(backoffDelayMs(0, 0)).toBe(0);
    expect(backoffDelayMs(10, 0.999)).toBe(7992);
    expect(backoffDelayMs(2, 0.5, { baseMs: 100, capMs: 1000 })).toBe(200);
  });
});
