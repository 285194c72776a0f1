import * as crypto from './index';

describe('@auth-platform/crypto public API', () => {
  it('exports the functions, classes and module, and none of the internals', () => {
    expect(Object.keys(crypto).sort()).toEqual(
      [
        'ApiKeyHasher',
        'CRYPTO_OPTIONS',
        'CryptoConfigError',
        'CryptoModule',
        'DecryptionError',
        'DecryptionErrorCode',
        'HmacSha256',
        'Keyring',
        'SecretSet',
        'StateTokenSigner',
        'canonicalRequest',
        'checkTimestamp',
        'constantTimeEqual',
        'createStateToken',
        'displayPrefix',
        'generateApiKey',
        'hashApiKey',
        'hmacSha256Hex',
        'keyFingerprint',
        'keyIdOf',
        'keyringFromHex',
        'parseApiKey',
        'sha256Hex',
        'signRequest',
        'verifyHmacHex',
        'verifyHmacSha256Hex',
        'verifyRequestSignature',
        'verifyStateToken',
      ].sort(),
    );
  });

  it('works end to end through the barrel', () => {
    const keyring = crypto.keyringFromHex('ab'.repeat(32));
    expect(keyring.decrypt(keyring.encrypt('hello', 'row-1'), 'row-1')).toBe('hello');
    const { key } = crypto.generateApiKey({ environment: 'test' });
    expect(crypto.parseApiKey(key).ok).toBe(true);
  });
});
