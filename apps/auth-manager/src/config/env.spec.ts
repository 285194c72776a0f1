import { type RawEnv, loadEnv } from '@auth-platform/config';
import { authManagerEnv, isSecureIssuer } from './env';
import { keycloakAdminBaseUrl, keycloakIssuer } from './keycloak';

const KEY = 'ab'.repeat(32);

function problemsOf(source: RawEnv): string {
  try {
    loadEnv(authManagerEnv, source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the environment to be rejected');
}

const complete = {
  KEYCLOAK_ISSUER: 'https://sso.example.org/realms/dev',
  KEYCLOAK_CLIENT_ID: 'auth-manager',
  KEYCLOAK_CLIENT_SECRET: 'client-secret',
  AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: KEY,
  STATE_TOKEN_SECRET: 's'.repeat(44),
  AUTH_MANAGER_API_KEYS: 'caller-key-0123456789',
};

describe('auth-manager env', () => {
  it('accepts a 64-hex-character vault key', () => {
    expect(
      loadEnv(authManagerEnv, { AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: KEY }).values
        .AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY,
    ).toBe(KEY);
  });

  it('refuses a vault key of the wrong length without printing it', () => {
    const message = problemsOf({ AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: 'deadbeef' });
    expect(message).toContain('AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY must be 64 hex characters (32 bytes)');
    expect(message).not.toContain('deadbeef');
  });

  it("accepts the seed's upper-case log levels", () => {
    expect(loadEnv(authManagerEnv, { LOG_LEVEL: 'WARNING' }).values.LOG_LEVEL).toBe('warn');
    expect(loadEnv(authManagerEnv, { LOG_LEVEL: 'DEBUG' }).values.LOG_LEVEL).toBe('debug');
  });

  it('takes the issuer from KEYCLOAK_SERVER_URL as well as KEYCLOAK_ISSUER', () => {
    const loaded = loadEnv(authManagerEnv, {
      KEYCLOAK_SERVER_URL: 'http://keycloak:8080',
      KEYCLOAK_REALM: 'dev',
    });
    expect(loaded.missingCredentials).not.toContain('KEYCLOAK_ISSUER (or KEYCLOAK_SERVER_URL)');
  });

  it('has working defaults for a developer machine and lists what it waits for', () => {
    const loaded = loadEnv(authManagerEnv, {});
    expect(loaded.values).toMatchObject({
      PORT: 8004,
      AUTH_MANAGER_DB_POOL_SIZE: 10,
      AUTH_MANAGER_EMBEDDED_DB_DIR: '.data/auth-manager',
      AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: [],
      AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS: 30,
      AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS: 10,
      AUTH_MANAGER_OFFLINE_STATE_TTL_SECONDS: 600,
    });
    expect(loaded.missingCredentials).toEqual([
      'KEYCLOAK_ISSUER (or KEYCLOAK_SERVER_URL)',
      'KEYCLOAK_CLIENT_ID',
      'KEYCLOAK_CLIENT_SECRET',
      'AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY',
      'STATE_TOKEN_SECRET',
      'AUTH_MANAGER_API_KEYS',
    ]);
    expect(loadEnv(authManagerEnv, complete).missingCredentials).toEqual([]);
  });

  it('parses previous vault keys and caller keys as lists, and hides them', () => {
    const loaded = loadEnv(authManagerEnv, {
      ...complete,
      AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: `${'cd'.repeat(32)}, ${'ef'.repeat(32)}`,
      AUTH_MANAGER_API_KEYS: 'key-one-0123456789, key-two-0123456789',
    });
    expect(loaded.values.AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS).toEqual(['cd'.repeat(32), 'ef'.repeat(32)]);
    expect(loaded.values.AUTH_MANAGER_API_KEYS).toEqual(['key-one-0123456789', 'key-two-0123456789']);
    const shown = JSON.stringify(loaded.redacted);
    for (const secret of [
      'cd'.repeat(32),
      'key-one-0123456789',
      KEY,
      'client-secret',
      complete.STATE_TOKEN_SECRET,
    ])
      expect(shown).not.toContain(secret);
  });

  it('refuses weak or malformed secrets, naming each variable and no value', () => {
    const message = problemsOf({
      AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: KEY,
      AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: 'not-a-key',
      STATE_TOKEN_SECRET: 'too-short-secret',
      AUTH_MANAGER_API_KEYS: 'short,also-short',
    });
    expect(message).toContain(
      'AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS must be a comma-separated list of keys of 64 hex characters',
    );
    expect(message).toContain('STATE_TOKEN_SECRET must be at least 32 characters');
    expect(message).toContain(
      'AUTH_MANAGER_API_KEYS must be a comma-separated list of keys of at least 16 characters each',
    );
    for (const value of ['not-a-key', 'too-short-secret', 'also-short']) expect(message).not.toContain(value);
  });

  it('checks the variables that go together', () => {
    expect(problemsOf({ KEYCLOAK_SERVER_URL: 'http://keycloak:8080' })).toContain(
      'KEYCLOAK_REALM is required with KEYCLOAK_SERVER_URL',
    );
    expect(problemsOf({ KEYCLOAK_REALM: 'dev' })).toContain(
      'KEYCLOAK_SERVER_URL is required with KEYCLOAK_REALM',
    );
    expect(
      problemsOf({
        KEYCLOAK_ISSUER: 'http://a/realms/x',
        KEYCLOAK_SERVER_URL: 'http://b',
        KEYCLOAK_REALM: 'x',
      }),
    ).toContain('KEYCLOAK_ISSUER does not match KEYCLOAK_SERVER_URL + KEYCLOAK_REALM');
    expect(
      loadEnv(authManagerEnv, {
        KEYCLOAK_ISSUER: 'http://kc/realms/x/',
        KEYCLOAK_SERVER_URL: 'http://kc/',
        KEYCLOAK_REALM: 'x',
      }).values.KEYCLOAK_REALM,
    ).toBe('x');
    expect(problemsOf({ KEYCLOAK_ADMIN_CLIENT_ID: 'admin' })).toContain(
      'KEYCLOAK_ADMIN_CLIENT_SECRET is required with KEYCLOAK_ADMIN_CLIENT_ID',
    );
    expect(problemsOf({ KEYCLOAK_ADMIN_CLIENT_SECRET: 'x' })).toContain(
      'KEYCLOAK_ADMIN_CLIENT_ID is required with KEYCLOAK_ADMIN_CLIENT_SECRET',
    );
    expect(
      problemsOf({
        KEYCLOAK_ISSUER: 'https://login.example.com',
        KEYCLOAK_ADMIN_CLIENT_ID: 'a',
        KEYCLOAK_ADMIN_CLIENT_SECRET: 'b',
      }),
    ).toContain('KEYCLOAK_ADMIN_CLIENT_ID needs a Keycloak issuer of the form <server>/realms/<realm>');
    expect(problemsOf({ AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: 'cd'.repeat(32) })).toContain(
      'AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS needs AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY',
    );
  });

  it('requires DATABASE_URL and an https (or loopback) issuer in production', () => {
    const production = { ...complete, NODE_ENV: 'production' };
    expect(problemsOf(production)).toContain('DATABASE_URL is required when NODE_ENV=production');
    const withDatabase = { ...production, DATABASE_URL: 'postgres://vault:pw@db:5432/vault' };
    expect(loadEnv(authManagerEnv, withDatabase).production).toBe(true);
    expect(problemsOf({ ...withDatabase, KEYCLOAK_ISSUER: 'http://sso.example.org/realms/dev' })).toContain(
      'KEYCLOAK_ISSUER must be an https URL when NODE_ENV=production',
    );
    expect(
      loadEnv(authManagerEnv, { ...withDatabase, KEYCLOAK_ISSUER: 'http://127.0.0.1:8080/realms/dev' })
        .production,
    ).toBe(true);
  });

  it('tells https and loopback issuers from the rest', () => {
    expect(isSecureIssuer('https://sso.example.org/realms/a')).toBe(true);
    expect(isSecureIssuer('http://localhost:8080/realms/a')).toBe(true);
    expect(isSecureIssuer('http://127.0.0.1:8080/realms/a')).toBe(true);
    expect(isSecureIssuer('http://[::1]:8080/realms/a')).toBe(true);
    expect(isSecureIssuer('http://keycloak:8080/realms/a')).toBe(false);
    expect(isSecureIssuer('http://127.0.0.1.example.org/realms/a')).toBe(false);
  });
});

describe('Keycloak locations', () => {
  it('derives the issuer from the server and realm, or takes KEYCLOAK_ISSUER as given', () => {
    expect(keycloakIssuer({ KEYCLOAK_SERVER_URL: 'https://kc.example.org/', KEYCLOAK_REALM: 'dev' })).toBe(
      'https://kc.example.org/realms/dev',
    );
    expect(keycloakIssuer({ KEYCLOAK_ISSUER: 'https://idp.example.org/tenant' })).toBe(
      'https://idp.example.org/tenant',
    );
    expect(keycloakIssuer({ KEYCLOAK_SERVER_URL: 'https://kc.example.org' })).toBeUndefined();
  });

  it("finds the realm's admin API from either form, and none for a provider that is not Keycloak", () => {
    expect(
      keycloakAdminBaseUrl({ KEYCLOAK_SERVER_URL: 'https://kc.example.org/auth/', KEYCLOAK_REALM: 'dev' }),
    ).toBe('https://kc.example.org/auth/admin/realms/dev');
    expect(keycloakAdminBaseUrl({ KEYCLOAK_ISSUER: 'https://kc.example.org/auth/realms/dev' })).toBe(
      'https://kc.example.org/auth/admin/realms/dev',
    );
    expect(keycloakAdminBaseUrl({ KEYCLOAK_ISSUER: 'https://accounts.example.org' })).toBeUndefined();
  });
});
