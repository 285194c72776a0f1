export { freePort } from './lib/free-port';
export { WORKSPACE_ROOT, builtAppEntry, runAppToExit, startApp, type AppProcess, type AppRun } from './lib/app-process';
export { expectStandardEndpoints } from './lib/standard-endpoints';
export { describeAppBoot, type AppBootExpectations } from './lib/describe-app-boot';
export { startRedisServer, type RedisServerProcess } from './lib/redis-server';
export { AZURITE_ACCOUNT_KEY, AzuriteServer, type AzuriteOptions, type AzuritePorts } from './lib/azurite-server';
export { SHARED_AZURITE_VARIABLE, sharedAzurite } from './lib/shared-azurite';
export { POSTGRES, createTestDatabase, type TestDatabase } from './lib/test-database';
export {
  Browser,
  DEV_IDP_SCRIPT,
  DevIdp,
  type DevIdpSettings,
  type IdpClient,
  type IdpEvent,
  type SignedIn,
} from './lib/dev-idp';
export { FakeGoogle, type FakeGoogleMode, type GoogleTokenGrant } from './lib/fake-google';
export { FakeOpenAi, type FakeOpenAiMode, type UpstreamChatRequest } from './lib/fake-openai';
export { IssuedTokens } from './lib/issued-tokens';
export { FakeLoginApi, type LoginAttempt, type LoginFault } from './lib/fake-login';
export { FakePlatformApi, type PlatformRequest } from './lib/fake-platform';
export {
  ApiKeyManagerUnderTest,
  eventually,
  type GenerateKeyRequest,
  type ManagedKeyUsage,
  type ManagedTestKey,
} from './lib/api-key-manager';
export { postOversized, type OversizedAnswer } from './lib/oversized-request';
export { LocalServer, readRequestBody, sendJson } from './lib/local-http-server';
