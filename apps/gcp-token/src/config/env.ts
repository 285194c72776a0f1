import { defineEnv, env } from '@auth-platform/config';

export const gcpTokenEnv = defineEnv({
  app: 'gcp-token',
  defaultPort: 8001,
  shape: {
    API_KEY: env.string().optional(),
    API_KEYS: env.list().optional(),
    SERVICE_ACCOUNT_JSON: env.string().optional(),
    GOOGLE_APPLICATION_CREDENTIALS: env.string().optional(),
  },
  secrets: ['API_KEY', 'API_KEYS', 'SERVICE_ACCOUNT_JSON'],
  credentials: [{ names: ['API_KEY', 'API_KEYS'] }, { names: ['SERVICE_ACCOUNT_JSON', 'GOOGLE_APPLICATION_CREDENTIALS'] }],
});
