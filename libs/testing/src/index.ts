export { freePort } from './lib/free-port';
export { WORKSPACE_ROOT, builtAppEntry, runAppToExit, startApp, type AppProcess, type AppRun } from './lib/app-process';
export { expectStandardEndpoints } from './lib/standard-endpoints';
export { describeAppBoot, type AppBootExpectations } from './lib/describe-app-boot';
export { startRedisServer, type RedisServerProcess } from './lib/redis-server';
export { AZURITE_ACCOUNT_KEY, AzuriteServer, type AzuriteOptions, type AzuritePorts } from './lib/azurite-server';
export { SHARED_AZURITE_VARIABLE, sharedAzurite } from './lib/shared-azurite';
