export { CryptoConfigError, DecryptionError, DecryptionErrorCode } from './lib/crypto.exception';
export {
  Keyring,
  keyFingerprint,
  keyIdOf,
  keyringFromHex,
  type KeyringKey,
  type KeyringOptions,
} from './lib/keyring';
export {
  HmacSha256,
  SecretSet,
  constantTimeEqual,
  hmacSha256Hex,
  sha256Hex,
  verifyHmacHex,
  verifyHmacSha256Hex,
  type ByteInput,
} from './lib/hmac';
export {
  canonicalRequest,
  checkTimestamp,
  signRequest,
  verifyRequestSignature,
  type RequestToSign,
  type TimestampCheck,
  type TimestampCheckOptions,
  type TimestampRejection,
} from './lib/signed-request';
export {
  ApiKeyHasher,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  type ApiKeyEnvironment,
  type ApiKeyRejection,
  type GenerateApiKeyOptions,
  type GeneratedApiKey,
  type ParsedApiKey,
} from './lib/api-key';
export {
  StateTokenSigner,
  createStateToken,
  verifyStateToken,
  type CreateStateTokenOptions,
  type StateTokenRejection,
  type VerifiedStateToken,
  type VerifyStateTokenOptions,
} from './lib/state-token';
export {
  CRYPTO_OPTIONS,
  CryptoModule,
  type CryptoModuleAsyncOptions,
  type CryptoModuleOptions,
} from './lib/crypto.module';
