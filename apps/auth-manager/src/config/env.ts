import { defineEnv, env } from '@auth-platform/config';

export const authManagerEnv = defineEnv({
  app: 'auth-manager',
  defaultPort: 8004,
  shape: {
    DATABASE_URL: env.url(['postgres', 'postgresql']).optional(),
    KEYCLOAK_SERVER_URL: env.httpUrl().optional(),
    KEYCLOAK_REALM: env.string().optional(),
    KEYCLOAK_ISSUER: env.httpUrl().optional(),
    KEYCLOAK_CLIENT_ID: env.string().optional(),
    KEYCLOAK_CLIENT_SECRET: env.string().optional(),
    KEYCLOAK_REDIRECT_URI: env.httpUrl().optional(),
    AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: env
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex characters (32 bytes)' })
      .optional(),
    STATE_TOKEN_SECRET: env.string().optional(),
  },
  secrets: ['DATABASE_URL', 'KEYCLOAK_CLIENT_SECRET', 'AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY', 'STATE_TOKEN_SECRET'],
  credentials: [
    { names: ['KEYCLOAK_ISSUER', 'KEYCLOAK_SERVER_URL'] },
    { names: ['KEYCLOAK_CLIENT_ID'] },
    { names: ['KEYCLOAK_CLIENT_SECRET'] },
    { names: ['AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY'] },
  ],
});
