import { createHash } from 'node:crypto';
import { CryptoConfigError } from './crypto.exception';
import { hmacSha256Hex } from './hmac';
import { canonicalRequest, checkTimestamp, signRequest, verifyRequestSignature } from './signed-request';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}';
const bodySha = createHash('sha256').update(body).digest('hex');

describe('canonicalRequest', () => {
  it('joins METHOD, PATH, TIMESTAMP, NONCE, PRODUCT, USER and the body hash with newlines', () => {
    expect(
      canonicalRequest({
        method: 'post',
        path: '/v1/chat/completions',
        timestamp: 1_700_000_000,
        nonce: 'n-123',
        product: 'product-a',
        user: 'user-9',
        body,
      }),
    ).toBe(`POST\n/v1/chat/completions\n1700000000\nn-123\nproduct-a\nuser-9\n${bodySha}`);
  });

  it('leaves absent nonce, product and user empty and hashes an empty body', () => {
    expect(canonicalRequest({ method: 'GET', path: '/healthz', timestamp: '1700000000', body: '' })).toBe(
      `GET\n/healthz\n1700000000\n\n\n\n${EMPTY_SHA256}`,
    );
  });

  it('hashes the raw body bytes, so a Buffer and its string give the same line', () => {
    const fromBuffer = canonicalRequest({
      method: 'POST',
      path: '/p',
      timestamp: 1,
      body: Buffer.from(body),
    });
    expect(fromBuffer).toBe(canonicalRequest({ method: 'POST', path: '/p', timestamp: 1, body }));
    const bytes = Buffer.from([0xff, 0x00, 0xfe]);
    expect(canonicalRequest({ method: 'POST', path: '/p', timestamp: 1, body: bytes }).split('\n')[6]).toBe(
      createHash('sha256').update(bytes).digest('hex'),
    );
  });

  it('refuses a field with a line break, which would let text move between fields', () => {
    expect(() =>
      canonicalRequest({ method: 'POST', path: '/p', timestamp: 1, nonce: 'a\nb', body: '' }),
    ).toThrow(TypeError);
    expect(() => canonicalRequest({ method: 'POST', path: '/p\r', timestamp: 1, body: '' })).toThrow(
      TypeError,
    );
  });
});

describe('signRequest and verifyRequestSignature', () => {
  const request = {
    method: 'POST',
    path: '/v1/chat/completions',
    timestamp: '1700000000',
    product: 'product-a',
    body,
  };

  it('signs the canonical string with HMAC-SHA-256', () => {
    expect(signRequest('shared-secret', request)).toBe(
      hmacSha256Hex('shared-secret', canonicalRequest(request)),
    );
  });

  it('accepts the signature of the same request and rejects any changed field', () => {
    const signature = signRequest('shared-secret', request);
    expect(verifyRequestSignature('shared-secret', request, signature)).toBe(true);
    expect(verifyRequestSignature('other-secret', request, signature)).toBe(false);
    expect(verifyRequestSignature('shared-secret', { ...request, body: `${body} ` }, signature)).toBe(false);
    expect(verifyRequestSignature('shared-secret', { ...request, product: 'product-b' }, signature)).toBe(
      false,
    );
    expect(verifyRequestSignature('shared-secret', { ...request, timestamp: '1700000001' }, signature)).toBe(
      false,
    );
    expect(verifyRequestSignature('shared-secret', { ...request, user: 'someone' }, signature)).toBe(false);
  });

  it('answers false rather than throwing for a request with a line break or a junk signature', () => {
    expect(verifyRequestSignature('shared-secret', { ...request, nonce: 'x\ny' }, 'a'.repeat(64))).toBe(
      false,
    );
    expect(verifyRequestSignature('shared-secret', request, 'not-hex')).toBe(false);
  });
});

describe('checkTimestamp', () => {
  const now = new Date(1_700_000_000_500);
  const check = (timestamp: string | number) => checkTimestamp(timestamp, { toleranceSeconds: 300, now });

  it('accepts timestamps within the tolerance in both directions, boundaries included', () => {
    expect(check(1_700_000_000)).toEqual({ ok: true });
    expect(check('1700000000')).toEqual({ ok: true });
    expect(check(1_700_000_000 - 300)).toEqual({ ok: true });
    expect(check(1_700_000_000 + 300)).toEqual({ ok: true });
  });

  it('calls a timestamp too far in the past stale', () => {
    expect(check(1_700_000_000 - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(check(0)).toEqual({ ok: false, reason: 'stale' });
  });

  it('calls a timestamp too far in the future future', () => {
    expect(check(1_700_000_000 + 301)).toEqual({ ok: false, reason: 'future' });
    expect(check('99999999999')).toEqual({ ok: false, reason: 'future' });
  });

  it.each([
    ['abc'],
    [''],
    ['-5'],
    ['+1700000000'],
    [' 1700000000'],
    ['1700000000.5'],
    ['1e9'],
    ['1'.repeat(20)],
  ])('calls %p invalid', (timestamp) => {
    expect(check(timestamp)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('calls non-integer, negative and non-finite numbers invalid', () => {
    for (const timestamp of [1_700_000_000.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(check(timestamp)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(check(undefined as unknown as string)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('uses the clock when no time is given', () => {
    expect(checkTimestamp(Math.floor(Date.now() / 1000), { toleranceSeconds: 5 })).toEqual({ ok: true });
  });

  it('refuses a negative or non-finite tolerance', () => {
    expect(() => checkTimestamp(1, { toleranceSeconds: -1 })).toThrow(CryptoConfigError);
    expect(() => checkTimestamp(1, { toleranceSeconds: Number.NaN })).toThrow(CryptoConfigError);
  });
});
