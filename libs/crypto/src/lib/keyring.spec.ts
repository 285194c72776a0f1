import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { CryptoConfigError, DecryptionError, DecryptionErrorCode } from './crypto.exception';
import { Keyring, keyFingerprint, keyIdOf, keyringFromHex } from './keyring';

const KEY_A = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const KEY_B = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const KEY_C = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

const rotated = new Keyring({ current: { id: 'k2', key: KEY_B }, previous: [{ id: 'k1', key: KEY_A }] });
const original = new Keyring({ current: { id: 'k1', key: KEY_A } });

function decryptionErrorOf(action: () => unknown): DecryptionError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error('expected a DecryptionError');
}

function configErrorOf(action: () => unknown): CryptoConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoConfigError);
    return error as CryptoConfigError;
  }
  throw new Error('expected a CryptoConfigError');
}

function partsOf(ciphertext: string) {
  const [version, keyId, iv, tag, data] = ciphertext.split('.') as [string, string, string, string, string];
  return { version, keyId, iv, tag, data };
}

function flipBit(base64url: string, bit: number): string {
  const bytes = Buffer.from(base64url, 'base64url');
  bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
  return bytes.toString('base64url');
}

describe('Keyring', () => {
  describe('encrypt and decrypt', () => {
    it.each([
      ['an ASCII token', '1//0gRefreshTokenValue-abc_123'],
      ['an empty string', ''],
      ['non-ASCII text', 'naïve 東京 🔐'],
      ['a long value', 'x'.repeat(100_000)],
    ])('round-trips %s', (_name, plaintext) => {
      expect(rotated.decrypt(rotated.encrypt(plaintext))).toBe(plaintext);
      expect(rotated.decrypt(rotated.encrypt(plaintext, 'row-42'), 'row-42')).toBe(plaintext);
    });

    it('writes v1.<keyId>.<iv>.<tag>.<data> with a 96-bit IV and a 128-bit tag, under the current key', () => {
      const ciphertext = rotated.encrypt('secret-value');
      expect(ciphertext).toMatch(/^v1\.k2\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
      const { iv, tag, data } = partsOf(ciphertext);
      expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
      expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
      expect(Buffer.from(data, 'base64url')).toHaveLength('secret-value'.length);
      expect(ciphertext).not.toContain('secret-value');
    });

    it('uses a fresh IV for every message, so equal plaintexts give different ciphertexts', () => {
      const ivs = new Set(Array.from({ length: 1000 }, () => partsOf(rotated.encrypt('same')).iv));
      expect(ivs.size).toBe(1000);
    });

    it('decrypts ciphertexts under a previous key', () => {
      const old = original.encrypt('from before the rotation', 'user-7');
      expect(rotated.decrypt(old, 'user-7')).toBe('from before the rotation');
    });

    it('treats absent and empty associated data as the same', () => {
      expect(rotated.decrypt(rotated.encrypt('v'), '')).toBe('v');
      expect(rotated.decrypt(rotated.encrypt('v', ''))).toBe('v');
    });

    it('refuses plaintext or associated data with a lone surrogate, which UTF-8 cannot carry', () => {
      expect(() => rotated.encrypt('bad \uD800 text')).toThrow(TypeError);
      expect(() => rotated.encrypt('ok', 'row-\uDC00')).toThrow(TypeError);
    });
  });

  describe('tampering', () => {
    const plaintext = 'refresh-token-0123456789';
    const sample = rotated.encrypt(plaintext, 'row-1');
    const parts = partsOf(sample);

    it.each(['iv', 'tag', 'data'] as const)('detects every single-bit flip of the %s', (field) => {
      const bits = Buffer.from(parts[field], 'base64url').length * 8;
      let rejected = 0;
      for (let bit = 0; bit < bits; bit++) {
        const edited = Object.values({ ...parts, [field]: flipBit(parts[field], bit) }).join('.');
        const error = decryptionErrorOf(() => rotated.decrypt(edited, 'row-1'));
        expect(error.code).toBe(DecryptionErrorCode.AUTHENTICATION_FAILED);
        rejected++;
      }
      expect(rejected).toBe(bits);
    });

    it('rejects every single-character substitution anywhere in the ciphertext text', () => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
      const accepted: string[] = [];
      let tried = 0;
      for (let position = 0; position < sample.length; position++) {
        for (const replacement of alphabet) {
          if (replacement === sample[position]) continue;
          const edited = sample.slice(0, position) + replacement + sample.slice(position + 1);
          try {
            rotated.decrypt(edited, 'row-1');
            accepted.push(edited);
          } catch (error) {
            if (!(error instanceof DecryptionError)) throw error;
          }
          tried++;
        }
      }
      expect(accepted).toEqual([]);
      expect(tried).toBe(sample.length * (alphabet.length - 1));
    });

    it("fails when decrypted with another row's associated data", () => {
      const error = decryptionErrorOf(() => rotated.decrypt(sample, 'row-2'));
      expect(error.code).toBe(DecryptionErrorCode.AUTHENTICATION_FAILED);
      expect(decryptionErrorOf(() => rotated.decrypt(sample)).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
      const unbound = rotated.encrypt(plaintext);
      expect(decryptionErrorOf(() => rotated.decrypt(unbound, 'row-1')).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
    });

    it('fails when the key id is edited to another key the ring holds', () => {
      const edited = sample.replace(/^v1\.k2\./, 'v1.k1.');
      const error = decryptionErrorOf(() => rotated.decrypt(edited, 'row-1'));
      expect(error.code).toBe(DecryptionErrorCode.AUTHENTICATION_FAILED);
      expect(error.keyId).toBe('k1');
    });

    it('fails when the key id is edited to another id for the same key, since the id is authenticated', () => {
      const aliases = new Keyring({
        current: { id: 'k2', key: KEY_B },
        previous: [{ id: 'alias', key: KEY_B }],
      });
      const edited = sample.replace(/^v1\.k2\./, 'v1.alias.');
      expect(decryptionErrorOf(() => aliases.decrypt(edited, 'row-1')).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
    });

    it('names the unknown key id in an UNKNOWN_KEY error', () => {
      const error = decryptionErrorOf(() => original.decrypt(rotated.encrypt(plaintext, 'row-1'), 'row-1'));
      expect(error.code).toBe(DecryptionErrorCode.UNKNOWN_KEY);
      expect(error.keyId).toBe('k2');
      expect(error.message).toContain('"k2"');
    });

    it('reports an edited version as unsupported, or as malformed when it is not a version', () => {
      expect(decryptionErrorOf(() => rotated.decrypt(sample.replace(/^v1/, 'v2'), 'row-1')).code).toBe(
        DecryptionErrorCode.UNSUPPORTED_VERSION,
      );
      expect(decryptionErrorOf(() => rotated.decrypt(sample.replace(/^v1/, 'x1'), 'row-1')).code).toBe(
        DecryptionErrorCode.MALFORMED,
      );
    });

    it.each([
      ['an empty string', ''],
      ['a missing part', `v1.k2.${parts.iv}.${parts.tag}`],
      ['an extra part', `${sample}.AAAA`],
      ['a truncated tag', `v1.k2.${parts.iv}.${parts.tag.slice(0, 16)}.${parts.data}`],
      ['a short IV', `v1.k2.${parts.iv.slice(0, 11)}.${parts.tag}.${parts.data}`],
      ['padding in base64url', `v1.k2.${parts.iv}.${parts.tag}==.${parts.data}`],
      ['standard base64 characters', `v1.k2.${parts.iv}.${parts.tag}.${parts.data}+/`],
      ['a bad key id', `v1.k 2.${parts.iv}.${parts.tag}.${parts.data}`],
      ['plain text', 'not encrypted at all'],
    ])('rejects %s as MALFORMED', (_name, ciphertext) => {
      expect(decryptionErrorOf(() => rotated.decrypt(ciphertext, 'row-1')).code).toBe(
        DecryptionErrorCode.MALFORMED,
      );
    });

    it('rejects a value that is not a string as MALFORMED', () => {
      expect(decryptionErrorOf(() => rotated.decrypt(undefined as unknown as string)).code).toBe(
        DecryptionErrorCode.MALFORMED,
      );
    });

    it('never puts plaintext or key material in an error message', () => {
      const messages = [
        decryptionErrorOf(() => rotated.decrypt(sample, 'row-2')).message,
        decryptionErrorOf(() => original.decrypt(sample, 'row-1')).message,
        decryptionErrorOf(() => rotated.decrypt(sample.slice(0, -2), 'row-1')).message,
      ];
      for (const message of messages) {
        expect(message).not.toContain(plaintext);
        expect(message).not.toContain(KEY_A);
        expect(message).not.toContain(KEY_B);
        expect(message).not.toContain(parts.data);
      }
    });
  });

  describe('configuration', () => {
    it.each([
      ['too short', KEY_A.slice(0, 62), 'it has 62 characters'],
      ['too long', `${KEY_A}00`, 'it has 66 characters'],
      ['not hex', `${KEY_A.slice(0, 63)}g`, 'characters other than 0-9 and a-f'],
      ['base64 instead of hex', Buffer.from(KEY_A, 'hex').toString('base64'), 'it has 44 characters'],
    ])('refuses a key that is %s, naming the key id but not the key', (_name, key, detail) => {
      const error = configErrorOf(
        () => new Keyring({ current: { id: 'k1', key: KEY_B }, previous: [{ id: 'old', key }] }),
      );
      expect(error.keyId).toBe('old');
      expect(error.message).toContain('key "old" must be 64 hex characters');
      expect(error.message).toContain(detail);
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain(key.slice(0, 8));
    });

    it('refuses a key id outside [A-Za-z0-9_-]{1,32} without echoing it, since it may be a misplaced key', () => {
      for (const id of ['', 'has.dot', 'has space', 'x'.repeat(33), KEY_A]) {
        const error = configErrorOf(() => new Keyring({ current: { id, key: KEY_A } }));
        expect(error.message).toContain('the id of the current key must be 1-32 characters');
        if (id !== '') expect(error.message).not.toContain(id);
      }
      expect(
        configErrorOf(
          () => new Keyring({ current: { id: 'ok', key: KEY_A }, previous: [{ id: 'a.b', key: KEY_B }] }),
        ).message,
      ).toContain('previous key #1');
    });

    it('refuses a key id used twice', () => {
      const error = configErrorOf(
        () => new Keyring({ current: { id: 'k1', key: KEY_A }, previous: [{ id: 'k1', key: KEY_B }] }),
      );
      expect(error.message).toContain('"k1" is used twice');
    });

    it('refuses a keyring without a current key', () => {
      expect(() => new Keyring(undefined as unknown as { current: { id: string; key: string } })).toThrow(
        CryptoConfigError,
      );
    });

    it('lists its key ids, current first', () => {
      expect(rotated.currentKeyId).toBe('k2');
      expect(rotated.keyIds).toEqual(['k2', 'k1']);
    });

    it('shows no key material when inspected or serialised', () => {
      const views = [
        inspect(rotated, { depth: 10, showHidden: true }),
        JSON.stringify(rotated),
        String(rotated),
      ];
      for (const view of views) {
        expect(view).not.toContain(KEY_A);
        expect(view).not.toContain(KEY_B);
        expect(view).not.toContain(Buffer.from(KEY_A, 'hex').toString('base64'));
      }
      expect(JSON.parse(JSON.stringify(rotated))).toEqual({ currentKeyId: 'k2', keyIds: ['k2', 'k1'] });
    });
  });

  describe('rewrap', () => {
    it('moves a ciphertext from an old key to the current key, still bound to the same associated data', () => {
      const old = original.encrypt('vault-token', 'row-9');
      expect(keyIdOf(old)).toBe('k1');
      expect(rotated.needsRewrap(old)).toBe(true);

      const rewrapped = rotated.rewrap(old, 'row-9');
      expect(keyIdOf(rewrapped)).toBe('k2');
      expect(rotated.needsRewrap(rewrapped)).toBe(false);
      expect(rotated.decrypt(rewrapped, 'row-9')).toBe('vault-token');
      expect(decryptionErrorOf(() => rotated.decrypt(rewrapped, 'row-10')).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
      const withoutOldKey = new Keyring({ current: { id: 'k2', key: KEY_B } });
      expect(withoutOldKey.decrypt(rewrapped, 'row-9')).toBe('vault-token');
    });

    it('returns a ciphertext already under the current key unchanged, after authenticating it', () => {
      const current = rotated.encrypt('vault-token', 'row-9');
      expect(rotated.rewrap(current, 'row-9')).toBe(current);
      expect(decryptionErrorOf(() => rotated.rewrap(current, 'row-8')).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
    });

    it('refuses to rewrap with the wrong associated data', () => {
      const old = original.encrypt('vault-token', 'row-9');
      expect(decryptionErrorOf(() => rotated.rewrap(old, 'row-1')).code).toBe(
        DecryptionErrorCode.AUTHENTICATION_FAILED,
      );
    });
  });

  describe('keyIdOf', () => {
    it('reads the key id without decrypting, and refuses anything else as MALFORMED', () => {
      expect(keyIdOf(rotated.encrypt('x'))).toBe('k2');
      expect(decryptionErrorOf(() => keyIdOf('v1.only-two')).code).toBe(DecryptionErrorCode.MALFORMED);
    });
  });

  describe('keyringFromHex', () => {
    const fingerprint = (hex: string) =>
      createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex').slice(0, 8);

    it('names a single env key by its fingerprint', () => {
      const keyring = keyringFromHex(KEY_A);
      expect(keyring.currentKeyId).toBe(fingerprint(KEY_A));
      expect(keyFingerprint(KEY_A)).toBe(fingerprint(KEY_A));
      expect(keyFingerprint(KEY_A.toUpperCase())).toBe(fingerprint(KEY_A));
      expect(keyring.decrypt(keyring.encrypt('x', 'r'), 'r')).toBe('x');
    });

    it('takes previous keys as a list, named by fingerprint, dropping copies of the current key', () => {
      const keyring = keyringFromHex(KEY_B, [KEY_A, KEY_B, KEY_C, KEY_A.toUpperCase()]);
      expect(keyring.keyIds).toEqual([fingerprint(KEY_B), fingerprint(KEY_A), fingerprint(KEY_C)]);
      const old = keyringFromHex(KEY_A).encrypt('before', 'r');
      expect(keyring.decrypt(old, 'r')).toBe('before');
      expect(keyIdOf(keyring.rewrap(old, 'r'))).toBe(fingerprint(KEY_B));
    });

    it('takes previous keys as a record of id to key, and a named current key', () => {
      const keyring = keyringFromHex({ id: 'main', key: KEY_B }, { legacy: KEY_A });
      expect(keyring.keyIds).toEqual(['main', 'legacy']);
      expect(keyringFromHex({ id: 'main', key: KEY_B }, [KEY_B, KEY_A]).keyIds).toEqual([
        'main',
        fingerprint(KEY_A),
      ]);
    });

    it('decrypts what a keyring with the same fingerprint ids wrote, across restarts', () => {
      const before = keyringFromHex(KEY_A).encrypt('persisted', 'r');
      expect(keyringFromHex(KEY_B, [KEY_A]).decrypt(before, 'r')).toBe('persisted');
    });

    it('names a bad key by its position, without echoing it', () => {
      const bad = 'zz'.repeat(32);
      const current = configErrorOf(() => keyringFromHex(bad));
      expect(current.message).toContain('current key must be 64 hex characters');
      const previous = configErrorOf(() => keyringFromHex(KEY_A, [KEY_B, bad]));
      expect(previous.message).toContain('previous key #2');
      const named = configErrorOf(() => keyringFromHex(KEY_A, { legacy: bad }));
      expect(named.keyId).toBe('legacy');
      for (const error of [current, previous, named]) expect(error.message).not.toContain(bad);
    });
  });

  describe('properties', () => {
    const text = fc.string({ unit: 'binary', maxLength: 300 });

    it('round-trips any plaintext with any associated data', () => {
      fc.assert(
        fc.property(text, text, (plaintext, aad) => {
          expect(rotated.decrypt(rotated.encrypt(plaintext, aad), aad)).toBe(plaintext);
        }),
        { numRuns: 300 },
      );
    });

    it('fails for any other associated data', () => {
      fc.assert(
        fc.property(text, text, text, (plaintext, aad, otherAad) => {
          fc.pre(aad !== otherAad);
          const ciphertext = rotated.encrypt(plaintext, aad);
          expect(() => rotated.decrypt(ciphertext, otherAad)).toThrow(DecryptionError);
        }),
        { numRuns: 300 },
      );
    });

    it('throws only DecryptionError for any string given as a ciphertext', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 120 }), (candidate) => {
          expect(() => rotated.decrypt(`v1.k2.${candidate}`)).toThrow(DecryptionError);
          expect(() => rotated.decrypt(candidate)).toThrow(DecryptionError);
        }),
        { numRuns: 500 },
      );
    });
  });
});
