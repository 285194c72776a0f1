export {
  ApiKeysClient,
  type ApiKeysClientEvent,
  type ApiKeysClientLogger,
  type ApiKeysClientOptions,
  type ApiKeysClientStatus,
  type UsageFlushResult,
} from './lib/api-keys-client';
export {
  API_KEY_REFUSAL_CODES,
  refusalStatus,
  type ApiKeyRefusalCode,
  type ApiKeyVerification,
  type RefusedApiKey,
  type VerifiedApiKey,
  type VerifyApiKeyOptions,
} from './lib/api-key-verification';
export { ApiKeyManagerFailure, ApiKeyManagerUnavailableError } from './lib/api-keys-client.exception';
export {
  API_KEY_MANAGER_SECRETS,
  apiKeyManagerEnvShape,
  checkApiKeyManagerEnv,
  createApiKeysClient,
  type ApiKeyManagerEnv,
  type ApiKeysClientTuning,
} from './lib/api-keys-client.env';
export { API_KEYS_CLIENT, apiKeysClientProvider } from './lib/api-keys-client.provider';
export {
  ManagedKeyUsageHook,
  checkManagedKey,
  countManagedKeyUse,
  type ManagedKeyCheck,
  type ManagedKeyDecision,
} from './lib/managed-keys';
export { ManagedKeysModule } from './lib/managed-keys.module';
