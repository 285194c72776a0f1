import { loadEnv } from '@auth-platform/config';
import { authManagerEnv } from './env';

describe('auth-manager env', () => {
  it('accepts a 64-hex-character vault key', () => {
    const key = 'ab'.repeat(32);
    expect(loadEnv(authManagerEnv, { AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: key }).values.AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY).toBe(key);
  });

  it('refuses a vault key of the wrong length without printing it', () => {
    const attempt = () => loadEnv(authManagerEnv, { AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: 'deadbeef' });
    expect(attempt).toThrow('AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY must be 64 hex characters (32 bytes)');
    expect(attempt).not.toThrow(/deadbeef/);
  });

  it("accepts the seed's upper-case log levels", () => {
    expect(loadEnv(authManagerEnv, { LOG_LEVEL: 'WARNING' }).values.LOG_LEVEL).toBe('warn');
    expect(loadEnv(authManagerEnv, { LOG_LEVEL: 'DEBUG' }).values.LOG_LEVEL).toBe('debug');
  });

  it('takes the issuer from KEYCLOAK_SERVER_URL as well as KEYCLOAK_ISSUER', () => {
    const loaded = loadEnv(authManagerEnv, { KEYCLOAK_SERVER_URL: 'http://keycloak:8080', KEYCLOAK_REALM: 'dev' });
    expect(loaded.missingCredentials).not.toContain('KEYCLOAK_ISSUER (or KEYCLOAK_SERVER_URL)');
  });
});
