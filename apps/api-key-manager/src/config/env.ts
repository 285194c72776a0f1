import { defineEnv, env } from '@auth-platform/config';

export const apiKeyManagerEnv = defineEnv({
  app: 'api-key-manager',
  defaultPort: 8003,
  shape: {
    AZURE_STORAGE_CONNECTION_STRING: env.string().optional(),
    ADMIN_API_KEY: env.string().optional(),
    VERIFY_API_KEYS: env.list().optional(),
    API_KEY_HASH_PEPPER: env.string().optional(),
    API_KEY_PREFIX: env.string().prefault('permas'),
    RATE_LIMIT_REQUESTS: env.int({ min: 1, max: 1_000_000 }).prefault('100'),
    RATE_LIMIT_WINDOW_MS: env.int({ min: 1000, max: 86_400_000 }).prefault('60000'),
  },
  secrets: ['AZURE_STORAGE_CONNECTION_STRING', 'ADMIN_API_KEY', 'VERIFY_API_KEYS', 'API_KEY_HASH_PEPPER'],
  credentials: [{ names: ['AZURE_STORAGE_CONNECTION_STRING'] }, { names: ['ADMIN_API_KEY'] }, { names: ['API_KEY_HASH_PEPPER'] }],
});
