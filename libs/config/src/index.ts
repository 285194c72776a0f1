export { env, logLevel } from './lib/env-fields';
export { defineEnv, type BaseEnv, type CredentialRequirement, type EnvSpec, type EnvValues } from './lib/env-spec';
export { EnvValidationError, loadEnv, type EnvProblem, type LoadedEnv, type RawEnv } from './lib/load-env';
export { REDACTED, redactEnv } from './lib/redact';
export { AppConfigModule, LOADED_ENV, resolveEnv } from './lib/app-config.module';
export { z } from 'zod';
