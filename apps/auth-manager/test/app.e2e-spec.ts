import { describeAppBoot } from '@auth-platform/testing';

describeAppBoot('auth-manager', {
  waitsFor: 'KEYCLOAK_ISSUER (or KEYCLOAK_SERVER_URL)',
  credentials: {
    KEYCLOAK_ISSUER: 'http://127.0.0.1:1/realms/dev',
    KEYCLOAK_CLIENT_ID: 'auth-manager',
    KEYCLOAK_CLIENT_SECRET: 'client-secret',
    AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: '0'.repeat(64),
  },
});
