import { Logger } from '@nestjs/common';
import { keyFingerprint, keyringFromHex } from '@auth-platform/crypto';
import { TokenCipher, tokenAssociatedData } from './token-cipher';
import { VaultErrorCode, VaultException } from './vault.exception';

const OLD = '11'.repeat(32);
const NEW = '22'.repeat(32);
const row = { id: '7d0c1a1e-1f0b-4c7e-9f5e-6d2c2b8a9e01', userId: 'alice' };

function codeOf(attempt: () => unknown): string | undefined {
  try {
    attempt();
  } catch (error) {
    return error instanceof VaultException ? error.code : `not a VaultException: ${String(error)}`;
  }
  return undefined;
}

describe('TokenCipher', () => {
  beforeAll(() => Logger.overrideLogger(false));
  const cipher = new TokenCipher(keyringFromHex(OLD));

  it('round-trips a token bound to its row, user and field', () => {
    const sealed = cipher.seal(row, 'refresh_token', 'refresh-token-value');
    expect(sealed).not.toContain('refresh-token-value');
    expect(sealed.startsWith(`v1.${keyFingerprint(OLD)}.`)).toBe(true);
    expect(cipher.open(row, 'refresh_token', sealed)).toBe('refresh-token-value');
    expect(cipher.seal(row, 'refresh_token', 'refresh-token-value')).not.toBe(sealed);
  });

  it('detects a change to any single character of a stored ciphertext', () => {
    const sealed = cipher.seal(row, 'refresh_token', 'a refresh token of some length, like a real one');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < sealed.length; i++) {
      const replacement = [...alphabet].find((c) => c !== sealed[i]) ?? 'A';
      const tampered = sealed.slice(0, i) + replacement + sealed.slice(i + 1);
      expect(codeOf(() => cipher.open(row, 'refresh_token', tampered))).toMatch(
        /^(TOKEN_INTEGRITY_CHECK_FAILED|VAULT_KEY_UNKNOWN)$/,
      );
    }
  });

  it('refuses a ciphertext moved to another row, user or field', () => {
    const sealed = cipher.seal(row, 'refresh_token', 'secret');
    expect(
      codeOf(() =>
        cipher.open({ ...row, id: 'c0ffee00-0000-4000-8000-000000000000' }, 'refresh_token', sealed),
      ),
    ).toBe(VaultErrorCode.TOKEN_INTEGRITY_CHECK_FAILED);
    expect(codeOf(() => cipher.open({ ...row, userId: 'mallory' }, 'refresh_token', sealed))).toBe(
      VaultErrorCode.TOKEN_INTEGRITY_CHECK_FAILED,
    );
    expect(codeOf(() => cipher.open(row, 'access_token', sealed))).toBe(
      VaultErrorCode.TOKEN_INTEGRITY_CHECK_FAILED,
    );
    expect(tokenAssociatedData(row, 'access_token')).toBe(`vault_tokens:${row.id}:alice:access_token`);
  });

  it('decrypts with a previous key, rewraps to the current one, and names a key it does not hold', () => {
    const old = cipher.seal(row, 'access_token', 'access');
    const rotated = new TokenCipher(keyringFromHex(NEW, [OLD]));
    expect(rotated.open(row, 'access_token', old)).toBe('access');
    const rewrapped = rotated.rewrap(row, 'access_token', old);
    expect(rotated.keyIdOf(rewrapped)).toBe(keyFingerprint(NEW));
    expect(rotated.rewrap(row, 'access_token', rewrapped)).toBe(rewrapped);
    const withoutOld = new TokenCipher(keyringFromHex(NEW));
    expect(() => withoutOld.open(row, 'access_token', old)).toThrow(
      `Stored token ${row.id} is encrypted under key ${keyFingerprint(OLD)}, which is not configured; add that key to AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS`,
    );
  });

  it('says the vault key is missing when none is configured', () => {
    const unconfigured = new TokenCipher(undefined);
    expect(unconfigured.configured).toBe(false);
    expect(codeOf(() => unconfigured.assertConfigured())).toBe(VaultErrorCode.VAULT_KEY_NOT_CONFIGURED);
    expect(codeOf(() => unconfigured.seal(row, 'refresh_token', 'x'))).toBe(
      VaultErrorCode.VAULT_KEY_NOT_CONFIGURED,
    );
  });
});
