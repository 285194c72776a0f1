import fc from 'fast-check';
import { ApiKeyHasher, displayPrefix, generateApiKey, hashApiKey, parseApiKey } from './api-key';
import { BASE62_ALPHABET } from './base62';
import { CryptoConfigError } from './crypto.exception';
import { hmacSha256Hex } from './hmac';

const PEPPER = 'pepper-0123456789-0123456789-abcdef';
const OTHER_PEPPER = 'pepper-9876543210-9876543210-fedcba';
const KEY_SHAPE = /^permas_(test|live)_[0-9A-Za-z]{38}$/;

function substitute(text: string, position: number, replacement: string): string {
  return text.slice(0, position) + replacement + text.slice(position + 1);
}

describe('generateApiKey', () => {
  it('writes permas_<env>_<32 random><6 checksum> by default', () => {
    const live = generateApiKey({ environment: 'live' });
    expect(live.key).toMatch(KEY_SHAPE);
    expect(live.key.startsWith('permas_live_')).toBe(true);
    expect(live).toMatchObject({ prefix: 'permas', environment: 'live' });
    expect(generateApiKey({ environment: 'test' }).key.startsWith('permas_test_')).toBe(true);
  });

  it('takes another prefix and a longer random part', () => {
    const generated = generateApiKey({ prefix: 'acme2', environment: 'test', randomLength: 48 });
    expect(generated.key).toMatch(/^acme2_test_[0-9A-Za-z]{54}$/);
    expect(parseApiKey(generated.key, { prefix: 'acme2' })).toMatchObject({ ok: true, prefix: 'acme2' });
  });

  it('gives a display prefix of prefix, environment, 4 random characters and an ellipsis', () => {
    const generated = generateApiKey({ environment: 'live' });
    expect(generated.displayPrefix).toBe(`${generated.key.slice(0, 'permas_live_'.length + 4)}…`);
    expect(displayPrefix(generated.key)).toBe(generated.displayPrefix);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 10_000 }, () => generateApiKey({ environment: 'live' }).key));
    expect(keys.size).toBe(10_000);
  });

  it.each([
    ['an upper-case prefix', { prefix: 'Permas', environment: 'live' }],
    ['a one-letter prefix', { prefix: 'p', environment: 'live' }],
    ['a prefix starting with a digit', { prefix: '1abc', environment: 'live' }],
    ['a prefix with an underscore', { prefix: 'my_co', environment: 'live' }],
    ['a 17-character prefix', { prefix: 'a'.repeat(17), environment: 'live' }],
    ['an unknown environment', { environment: 'prod' }],
    ['a random part under 32', { environment: 'live', randomLength: 31 }],
    ['a random part over 128', { environment: 'live', randomLength: 129 }],
    ['a fractional random length', { environment: 'live', randomLength: 40.5 }],
  ])('refuses %s', (_name, options) => {
    expect(() => generateApiKey(options as Parameters<typeof generateApiKey>[0])).toThrow(CryptoConfigError);
  });

  it('draws the random part without bias (chi-square over 200k characters)', () => {
    const counts = new Map<string, number>([...BASE62_ALPHABET].map((c) => [c, 0]));
    let total = 0;
    while (total < 200_000) {
      const random = generateApiKey({ environment: 'live' }).key.slice('permas_live_'.length, -6);
      for (const c of random) counts.set(c, (counts.get(c) ?? 0) + 1);
      total += random.length;
    }
    expect(counts.size).toBe(62);
    const expected = total / 62;
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected;
    // 61 degrees of freedom: mean 61, standard deviation 11. Above 200 has probability below 1e-15, yet the
    // modulo bias of `byte % 62` (8 characters at 5/256, the rest at 4/256) scores well over 1000 here.
    expect(chiSquare).toBeLessThan(200);
  });
});

describe('parseApiKey', () => {
  const samples = Array.from(
    { length: 24 },
    (_, i) => generateApiKey({ environment: i % 2 ? 'live' : 'test', randomLength: i % 3 ? 32 : 40 }).key,
  );

  it('accepts generated keys and reports their prefix, environment and display prefix, not the key', () => {
    for (const key of samples) {
      const parsed = parseApiKey(key);
      expect(parsed).toEqual({
        ok: true,
        prefix: 'permas',
        environment: key.startsWith('permas_live_') ? 'live' : 'test',
        displayPrefix: displayPrefix(key),
      });
      expect(JSON.stringify(parsed)).not.toContain(key.slice(16));
    }
  });

  it('rejects every single-character substitution, at every position', () => {
    const alphabet = `${BASE62_ALPHABET}_-.`;
    const accepted: string[] = [];
    let tried = 0;
    for (const key of samples) {
      for (let position = 0; position < key.length; position++) {
        for (const replacement of alphabet) {
          if (replacement === key[position]) continue;
          const edited = substitute(key, position, replacement);
          if (parseApiKey(edited).ok) accepted.push(edited);
          tried++;
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(tried).toBeGreaterThan(24 * 44 * 60);
  });

  it('rejects a substitution in the random part or the checksum as CHECKSUM', () => {
    const key = samples[0] as string;
    const start = 'permas_test_'.length;
    for (let position = start; position < key.length; position++) {
      const replacement = key[position] === 'a' ? 'b' : 'a';
      expect(parseApiKey(substitute(key, position, replacement))).toEqual({ ok: false, reason: 'CHECKSUM' });
    }
  });

  it('rejects every swap of two neighbouring characters', () => {
    for (const key of samples) {
      for (let position = 0; position + 1 < key.length; position++) {
        if (key[position] === key[position + 1]) continue;
        const swapped = key.slice(0, position) + key[position + 1] + key[position] + key.slice(position + 2);
        expect(parseApiKey(swapped).ok).toBe(false);
      }
    }
  });

  it('rejects a well-formed key with another prefix as PREFIX, and accepts it when that prefix is expected', () => {
    const other = generateApiKey({ prefix: 'acme', environment: 'live' }).key;
    expect(parseApiKey(other)).toEqual({ ok: false, reason: 'PREFIX' });
    expect(parseApiKey(samples[0] as string, { prefix: 'acme' })).toEqual({ ok: false, reason: 'PREFIX' });
    expect(parseApiKey(other, { prefix: 'acme' })).toMatchObject({
      ok: true,
      prefix: 'acme',
      environment: 'live',
    });
  });

  it.each([
    ['an empty string', ''],
    ['the old format without a checksum', 'permas_live_abc'],
    ['an unknown environment', 'permas_prod_0123456789012345678901234567890123456'],
    ['a short random part', 'permas_live_0123456789'],
    ['spaces around the key', ` ${generateApiKey({ environment: 'live' }).key} `],
    ['a very long string', `permas_live_${'a'.repeat(10_000)}`],
    ['a bearer header', `Bearer ${generateApiKey({ environment: 'live' }).key}`],
  ])('rejects %s as FORMAT', (_name, key) => {
    expect(parseApiKey(key)).toEqual({ ok: false, reason: 'FORMAT' });
  });

  it('rejects values that are not strings as FORMAT', () => {
    for (const value of [undefined, null, 42, {}, ['permas']]) {
      expect(parseApiKey(value as unknown as string)).toEqual({ ok: false, reason: 'FORMAT' });
    }
  });

  it('never throws, and accepts nothing that is not a well-formed key, for any string', () => {
    const shaped = fc
      .tuple(
        fc.constantFrom('permas', 'acme', 'p', ''),
        fc.constantFrom('live', 'test', 'x'),
        fc.string({ maxLength: 60 }),
      )
      .map(([prefix, environment, tail]) => `${prefix}_${environment}_${tail}`);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), shaped), (candidate) => {
        const parsed = parseApiKey(candidate);
        expect(typeof parsed.ok).toBe('boolean');
        if (parsed.ok) expect(candidate).toMatch(KEY_SHAPE);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hashApiKey', () => {
  const key = generateApiKey({ environment: 'live' }).key;

  it('is HMAC-SHA-256 hex under the pepper, the same every time', () => {
    expect(hashApiKey(key, PEPPER)).toBe(hmacSha256Hex(PEPPER, key));
    expect(hashApiKey(key, PEPPER)).toBe(hashApiKey(key, PEPPER));
    expect(hashApiKey(key, PEPPER)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs across peppers and across keys', () => {
    expect(hashApiKey(key, PEPPER)).not.toBe(hashApiKey(key, OTHER_PEPPER));
    expect(hashApiKey(key, PEPPER)).not.toBe(hashApiKey(generateApiKey({ environment: 'live' }).key, PEPPER));
  });

  it('refuses a pepper shorter than 32 characters', () => {
    expect(() => hashApiKey(key, 'short-pepper')).toThrow(CryptoConfigError);
    expect(() => new ApiKeyHasher('short-pepper')).toThrow(CryptoConfigError);
  });
});

describe('ApiKeyHasher', () => {
  const hasher = new ApiKeyHasher(PEPPER);
  const key = generateApiKey({ environment: 'test' }).key;

  it('hashes like hashApiKey and matches only the same key', () => {
    const stored = hasher.hash(key);
    expect(stored).toBe(hashApiKey(key, PEPPER));
    expect(hasher.matches(key, stored)).toBe(true);
    expect(hasher.matches(generateApiKey({ environment: 'test' }).key, stored)).toBe(false);
    expect(new ApiKeyHasher(OTHER_PEPPER).matches(key, stored)).toBe(false);
  });

  it('answers false for a malformed stored hash or key', () => {
    expect(hasher.matches(key, 'not-a-hash')).toBe(false);
    expect(hasher.matches(undefined as unknown as string, hasher.hash(key))).toBe(false);
  });

  it('does not reveal its pepper when serialised', () => {
    expect(JSON.stringify(hasher)).toBe('{}');
  });
});

describe('displayPrefix', () => {
  it('refuses something that is not an API key', () => {
    expect(() => displayPrefix('hello')).toThrow(TypeError);
  });
});
