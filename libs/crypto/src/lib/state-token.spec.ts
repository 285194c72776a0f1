import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { CryptoConfigError } from './crypto.exception';
import { StateTokenSigner, createStateToken, verifyStateToken } from './state-token';

const SECRET = 'state-secret-0123456789-0123456789-abc';
const OTHER_SECRET = 'other-secret-0123456789-0123456789-xyz';
const NOW = new Date('2030-01-01T00:00:00Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const issue = (payload: object = { returnTo: '/settings', userId: 'u-1' }) =>
  createStateToken(SECRET, { purpose: 'oauth-state', payload, ttlSeconds: 600, now: NOW });

function bodyOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function signedWith(secret: string, body: string): string {
  const encoded = Buffer.from(body, 'utf8').toString('base64url');
  return `${encoded}.${createHmac('sha256', secret).update(encoded).digest('base64url')}`;
}

describe('state tokens', () => {
  it('verify the payload, expiry and id they were created with', () => {
    const result = verifyStateToken(SECRET, issue(), { purpose: 'oauth-state', now: later(10) });
    expect(result).toEqual({
      ok: true,
      payload: { returnTo: '/settings', userId: 'u-1' },
      expiresAt: later(600),
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
  });

  it('are base64url(JSON).base64url(HMAC-SHA-256 of the first part) holding purpose, exp, jti and payload', () => {
    const token = issue();
    const [body, signature] = token.split('.') as [string, string];
    expect(token.split('.')).toHaveLength(2);
    expect(signature).toBe(createHmac('sha256', SECRET).update(body).digest('base64url'));
    expect(bodyOf(token)).toEqual({
      purpose: 'oauth-state',
      exp: NOW.getTime() / 1000 + 600,
      jti: expect.any(String),
      payload: { returnTo: '/settings', userId: 'u-1' },
    });
  });

  it('differ each time, even for the same payload and time', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => issue()));
    expect(tokens.size).toBe(100);
  });

  it('reject a tampered payload as BAD_SIGNATURE', () => {
    const token = issue();
    const body = bodyOf(token);
    const forged = Buffer.from(
      JSON.stringify({ ...body, payload: { returnTo: 'https://evil.example' } }),
    ).toString('base64url');
    const tampered = `${forged}.${token.split('.')[1] as string}`;
    expect(verifyStateToken(SECRET, tampered, { purpose: 'oauth-state', now: NOW })).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  it('reject every single-bit flip of the signature as BAD_SIGNATURE', () => {
    const token = issue();
    const [body, signature] = token.split('.') as [string, string];
    const bytes = Buffer.from(signature, 'base64url');
    const reasons = new Set<string>();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      const result = verifyStateToken(SECRET, `${body}.${flipped.toString('base64url')}`, {
        purpose: 'oauth-state',
        now: NOW,
      });
      reasons.add(result.ok ? 'ok' : result.reason);
    }
    expect([...reasons]).toEqual(['BAD_SIGNATURE']);
  });

  it('reject a token signed with another secret as BAD_SIGNATURE', () => {
    const token = createStateToken(OTHER_SECRET, {
      purpose: 'oauth-state',
      payload: {},
      ttlSeconds: 60,
      now: NOW,
    });
    expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: NOW })).toEqual({
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  it('expire ttlSeconds after creation, to the second', () => {
    const token = issue();
    expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: later(599) }).ok).toBe(true);
    expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: later(600) })).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
    expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: later(86_400) })).toEqual({
      ok: false,
      reason: 'EXPIRED',
    });
  });

  it('use the clock when no time is given', () => {
    const token = createStateToken(SECRET, { purpose: 'p', payload: {}, ttlSeconds: 60 });
    expect(verifyStateToken(SECRET, token, { purpose: 'p' }).ok).toBe(true);
    const old = createStateToken(SECRET, {
      purpose: 'p',
      payload: {},
      ttlSeconds: 60,
      now: new Date(Date.now() - 61_000),
    });
    expect(verifyStateToken(SECRET, old, { purpose: 'p' })).toEqual({ ok: false, reason: 'EXPIRED' });
  });

  it('reject a token made for another purpose as WRONG_PURPOSE', () => {
    expect(verifyStateToken(SECRET, issue(), { purpose: 'email-verify', now: NOW })).toEqual({
      ok: false,
      reason: 'WRONG_PURPOSE',
    });
  });

  it.each([
    ['an empty string', ''],
    ['one part', 'abc'],
    ['three parts', 'a.b.c'],
    ['an empty body', `.${'A'.repeat(43)}`],
    ['a short signature', `eyJ9.${'A'.repeat(42)}`],
    ['non-base64url characters', `eyJ9+.${'A'.repeat(43)}`],
    ['an over-long token', `${'A'.repeat(9000)}.${'A'.repeat(43)}`],
  ])('reject %s as MALFORMED', (_name, token) => {
    expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: NOW })).toEqual({
      ok: false,
      reason: 'MALFORMED',
    });
  });

  it('reject a correctly signed body that is not a state token as MALFORMED', () => {
    for (const body of [
      'not json',
      '[]',
      '{"purpose":"oauth-state","exp":"soon","jti":"x","payload":{}}',
      '{"purpose":"oauth-state","exp":1,"jti":"x","payload":[]}',
    ]) {
      expect(
        verifyStateToken(SECRET, signedWith(SECRET, body), { purpose: 'oauth-state', now: NOW }),
      ).toEqual({
        ok: false,
        reason: 'MALFORMED',
      });
    }
  });

  it('check the signature before reading the JSON', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(
        verifyStateToken(SECRET, signedWith(OTHER_SECRET, 'not json'), { purpose: 'p', now: NOW }),
      ).toEqual({
        ok: false,
        reason: 'BAD_SIGNATURE',
      });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('reject values that are not strings as MALFORMED', () => {
    for (const token of [undefined, null, 42, {}]) {
      expect(verifyStateToken(SECRET, token as unknown as string, { purpose: 'p' })).toEqual({
        ok: false,
        reason: 'MALFORMED',
      });
    }
  });

  describe('configuration', () => {
    it('refuses a secret under 32 characters or bytes, without echoing it', () => {
      for (const secret of ['too-short-secret', Buffer.alloc(31, 1)]) {
        expect(() => createStateToken(secret, { purpose: 'p', payload: {}, ttlSeconds: 60 })).toThrow(
          CryptoConfigError,
        );
        expect(() => verifyStateToken(secret, issue(), { purpose: 'p' })).toThrow(CryptoConfigError);
        expect(() => new StateTokenSigner(secret)).toThrow(CryptoConfigError);
      }
      try {
        new StateTokenSigner('too-short-secret');
      } catch (error) {
        expect((error as Error).message).not.toContain('too-short-secret');
      }
      expect(() => new StateTokenSigner(Buffer.alloc(32, 1))).not.toThrow();
    });

    it('refuses a non-positive or fractional ttl, an empty purpose and a payload that is not an object', () => {
      const base = { purpose: 'p', payload: {}, ttlSeconds: 60 };
      expect(() => createStateToken(SECRET, { ...base, ttlSeconds: 0 })).toThrow(CryptoConfigError);
      expect(() => createStateToken(SECRET, { ...base, ttlSeconds: 1.5 })).toThrow(CryptoConfigError);
      expect(() => createStateToken(SECRET, { ...base, purpose: '' })).toThrow(CryptoConfigError);
      expect(() => verifyStateToken(SECRET, issue(), { purpose: '' })).toThrow(CryptoConfigError);
      expect(() => createStateToken(SECRET, { ...base, payload: ['a'] })).toThrow(TypeError);
    });
  });

  describe('StateTokenSigner', () => {
    it('creates and verifies with its secret, and hides it when serialised', () => {
      const signer = new StateTokenSigner(SECRET);
      const token = signer.create({ purpose: 'oauth-state', payload: { n: 1 }, ttlSeconds: 60, now: NOW });
      expect(signer.verify(token, { purpose: 'oauth-state', now: NOW })).toMatchObject({
        ok: true,
        payload: { n: 1 },
      });
      expect(verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: NOW }).ok).toBe(true);
      expect(new StateTokenSigner(OTHER_SECRET).verify(token, { purpose: 'oauth-state', now: NOW })).toEqual({
        ok: false,
        reason: 'BAD_SIGNATURE',
      });
      expect(JSON.stringify(signer)).toBe('{}');
    });
  });

  describe('properties', () => {
    it('round-trip any JSON object payload', () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.string(), fc.jsonValue()),
          fc.string({ minLength: 1 }),
          (payload, purpose) => {
            const token = createStateToken(SECRET, { purpose, payload, ttlSeconds: 60, now: NOW });
            const result = verifyStateToken(SECRET, token, { purpose, now: NOW });
            expect(result.ok && result.payload).toEqual(JSON.parse(JSON.stringify(payload)));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('never throw and never accept, for any string given as a token', () => {
      const twoParts = fc
        .tuple(fc.base64String(), fc.string({ maxLength: 50 }))
        .map(([a, b]) => `${a.replace(/=+$/, '')}.${b}`);
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), twoParts), (token) => {
          const result = verifyStateToken(SECRET, token, { purpose: 'oauth-state', now: NOW });
          expect(result.ok).toBe(false);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
