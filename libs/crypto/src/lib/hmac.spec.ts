import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { CryptoConfigError } from './crypto.exception';
import { HmacSha256, SecretSet, constantTimeEqual, hmacSha256Hex, sha256Hex, verifyHmacHex, verifyHmacSha256Hex } from './hmac';

// RFC 4231 test case 2.
const RFC_KEY = 'Jefe';
const RFC_DATA = 'what do ya want for nothing?';
const RFC_MAC = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';

describe('sha256Hex', () => {
  it('gives the standard digests, as lowercase hex', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(Buffer.from('abc'))).toBe(sha256Hex('abc'));
  });
});

describe('hmacSha256Hex', () => {
  it('matches the RFC 4231 vector, for string and byte inputs', () => {
    expect(hmacSha256Hex(RFC_KEY, RFC_DATA)).toBe(RFC_MAC);
    expect(hmacSha256Hex(Buffer.from(RFC_KEY), Buffer.from(RFC_DATA))).toBe(RFC_MAC);
  });

  it('refuses an empty secret', () => {
    expect(() => hmacSha256Hex('', 'data')).toThrow(CryptoConfigError);
  });
});

describe('HmacSha256', () => {
  it('gives the same bytes as createHmac for any key (shorter, equal to and longer than a block) and data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
        const expected = createHmac('sha256', key).update(data).digest();
        expect(new HmacSha256(key).digest(data).equals(expected)).toBe(true);
      }),
    );
    for (const length of [63, 64, 65, 128]) {
      const key = Buffer.alloc(length, 7);
      expect(new HmacSha256(key).hex('x')).toBe(createHmac('sha256', key).update('x').digest('hex'));
    }
  });

  it('encodes string data as asked (UTF-8 by default)', () => {
    const mac = new HmacSha256('k');
    expect(mac.hex('zürich')).toBe(createHmac('sha256', 'k').update('zürich', 'utf8').digest('hex'));
    expect(mac.digest('zürich', 'utf16le').toString('hex')).toBe(createHmac('sha256', 'k').update('zürich', 'utf16le').digest('hex'));
  });

  it('is reusable: the same key gives the same MAC every time, and another key another MAC', () => {
    const mac = new HmacSha256(RFC_KEY);
    expect(mac.hex(RFC_DATA)).toBe(RFC_MAC);
    expect(mac.hex(RFC_DATA)).toBe(RFC_MAC);
    expect(new HmacSha256('Jeff').hex(RFC_DATA)).not.toBe(RFC_MAC);
    expect(verifyHmacHex(mac, RFC_DATA, RFC_MAC)).toBe(true);
    expect(verifyHmacHex(mac, 'other', RFC_MAC)).toBe(false);
  });

  it('refuses an empty secret and never shows its key in JSON', () => {
    expect(() => new HmacSha256('')).toThrow(CryptoConfigError);
    expect(JSON.stringify({ mac: new HmacSha256('Jefe') })).toBe('{"mac":{}}');
  });
});

describe('verifyHmacSha256Hex', () => {
  it('accepts the right signature, in either case', () => {
    expect(verifyHmacSha256Hex(RFC_KEY, RFC_DATA, RFC_MAC)).toBe(true);
    expect(verifyHmacSha256Hex(RFC_KEY, RFC_DATA, RFC_MAC.toUpperCase())).toBe(true);
  });

  it.each([
    ['another message', RFC_DATA, hmacSha256Hex(RFC_KEY, 'other')],
    ['another secret', RFC_DATA, hmacSha256Hex('Jeff', RFC_DATA)],
    ['a truncated signature', RFC_DATA, RFC_MAC.slice(0, 63)],
    ['a half-length signature', RFC_DATA, RFC_MAC.slice(0, 32)],
    ['an over-long signature', RFC_DATA, `${RFC_MAC}00`],
    ['an odd-length signature', RFC_DATA, `${RFC_MAC}0`],
    ['a non-hex signature', RFC_DATA, `${RFC_MAC.slice(0, 63)}g`],
    ['a base64 signature', RFC_DATA, Buffer.from(RFC_MAC, 'hex').toString('base64')],
    ['an empty signature', RFC_DATA, ''],
    ['a signature with whitespace', RFC_DATA, ` ${RFC_MAC}`],
  ])('rejects %s without throwing', (_name, data, signature) => {
    expect(verifyHmacSha256Hex(RFC_KEY, data, signature)).toBe(false);
  });

  it('rejects values that are not strings without throwing', () => {
    expect(verifyHmacSha256Hex(RFC_KEY, RFC_DATA, undefined as unknown as string)).toBe(false);
    expect(verifyHmacSha256Hex(RFC_KEY, RFC_DATA, 42 as unknown as string)).toBe(false);
    expect(verifyHmacSha256Hex(RFC_KEY, undefined as unknown as string, RFC_MAC)).toBe(false);
  });

  it('returns a boolean for any string given as a signature', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (signature) => {
        expect(verifyHmacSha256Hex(RFC_KEY, RFC_DATA, signature)).toBe(signature.toLowerCase() === RFC_MAC);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('constantTimeEqual', () => {
  it('tells equal strings from unequal ones, of any length', () => {
    expect(constantTimeEqual('sk-live-abc', 'sk-live-abc')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('sk-live-abc', 'sk-live-abd')).toBe(false);
    expect(constantTimeEqual('sk-live-abc', 'sk-live-ab')).toBe(false);
    expect(constantTimeEqual('sk-live-abc', '')).toBe(false);
    expect(constantTimeEqual('a', 'a'.repeat(10_000))).toBe(false);
  });

  it('keeps strings apart that UTF-8 would merge (lone surrogates)', () => {
    expect(constantTimeEqual('key\uD800', 'key\uFFFD')).toBe(false);
    expect(constantTimeEqual('key\uD800', 'key\uDBFF')).toBe(false);
  });

  it('is false for values that are not strings', () => {
    expect(constantTimeEqual(undefined as unknown as string, undefined as unknown as string)).toBe(false);
  });

  it('agrees with === for any pair of strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
      }),
    );
  });
});

describe('SecretSet', () => {
  it('returns the matching member and nothing for anything else', () => {
    const keys = new SecretSet(['key-old', 'key-new', 'key-new']);
    expect(keys.size).toBe(2);
    expect(keys.match('key-new')).toBe('key-new');
    expect(keys.match('key-old')).toBe('key-old');
    for (const wrong of ['key-ne', 'key-new ', 'KEY-NEW', '', 'key-old\u0000']) expect(keys.match(wrong)).toBeUndefined();
    expect(new SecretSet([]).match('anything')).toBeUndefined();
  });
});
