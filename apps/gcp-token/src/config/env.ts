import { API_KEY_MANAGER_SECRETS, apiKeyManagerEnvShape, checkApiKeyManagerEnv } from '@auth-platform/api-keys-client';
import { defineEnv, env, z } from '@auth-platform/config';
import { ServiceAccountError, loadServiceAccount } from './service-account';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** Parsed and checked at boot: a bad key file stops the app with the seed's message and the reason. */
const serviceAccount = () =>
  env.string().transform((value, ctx) => {
    try {
      return loadServiceAccount(value);
    } catch (error) {
      if (!(error instanceof ServiceAccountError)) throw error;
      ctx.addIssue({ code: 'custom', message: `is invalid: Service account credentials not configured properly: ${error.message}` });
      return z.NEVER;
    }
  });

const spec = defineEnv({
  app: 'gcp-token',
  defaultPort: 8001,
  shape: {
    API_KEY: env.string().optional(),
    API_KEYS: env.list().optional(),
    SERVICE_ACCOUNT_JSON: serviceAccount().optional(),
    GOOGLE_APPLICATION_CREDENTIALS: serviceAccount().optional(),
    ALLOWED_SCOPES: env.list().prefault(CLOUD_PLATFORM),
    TOKEN_REFRESH_MARGIN_SECONDS: env.int({ min: 0, max: 3000 }).prefault('300'),
    GOOGLE_TOKEN_TIMEOUT_MS: env.int({ min: 100, max: 60_000 }).prefault('10000'),
    ALLOWED_TARGET_SERVICE_ACCOUNTS: env.list().prefault(''),
    IMPERSONATION_MAX_LIFETIME_SECONDS: env.int({ min: 1, max: 43_200 }).prefault('3600'),
    IAM_CREDENTIALS_ENDPOINT: env.httpUrl().prefault('https://iamcredentials.googleapis.com'),
    TOKEN_RATE_LIMIT_PER_MINUTE: env.int({ min: 1, max: 1_000_000 }).prefault('600'),
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    // Managed keys from api-key-manager (scope gcp-token:mint), beside the static ones.
    ...apiKeyManagerEnvShape,
  },
  // GOOGLE_APPLICATION_CREDENTIALS is a path, but its parsed value holds the private key: never shown.
  secrets: ['API_KEY', 'API_KEYS', 'SERVICE_ACCOUNT_JSON', 'GOOGLE_APPLICATION_CREDENTIALS', 'REDIS_URL', ...API_KEY_MANAGER_SECRETS],
  credentials: [
    { names: ['API_KEY', 'API_KEYS', 'API_KEY_MANAGER_URL'] },
    { names: ['SERVICE_ACCOUNT_JSON', 'GOOGLE_APPLICATION_CREDENTIALS'] },
  ],
});

export const gcpTokenEnv = { ...spec, schema: spec.schema.superRefine(checkApiKeyManagerEnv) };

export type GcpTokenEnv = z.output<typeof gcpTokenEnv.schema>;
