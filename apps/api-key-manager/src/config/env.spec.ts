import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvValidationError, loadEnv } from '@auth-platform/config';
import { apiKeyManagerEnv } from './env';

const PEPPER = 'p'.repeat(32);

function problemsOf(source: Record<string, string>): string {
  try {
    loadEnv(apiKeyManagerEnv, source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvValidationError);
    return (error as Error).message;
  }
  throw new Error('expected the environment to be rejected');
}

describe('api-key-manager env', () => {
  it("keeps the seed's rate-limit defaults and key prefix", () => {
    const { values } = loadEnv(apiKeyManagerEnv, {});
    expect(values.PORT).toBe(8003);
    expect(values.RATE_LIMIT_REQUESTS).toBe(100);
    expect(values.RATE_LIMIT_WINDOW_MS).toBe(60_000);
    expect(values.API_KEY_PREFIX).toBe('permas');
  });

  it('defaults the cache, usage, export, SAS and resilience settings', () => {
    const { values } = loadEnv(apiKeyManagerEnv, {});
    expect(values).toMatchObject({
      STORAGE_TABLE_PREFIX: 'apikeys',
      VERIFY_CACHE_TTL_MS: 2000,
      VERIFY_CACHE_MAX_ENTRIES: 100_000,
      USAGE_FLUSH_INTERVAL_MS: 5000,
      USAGE_EXPORT_CONTAINER: 'api-key-usage',
      USAGE_EXPORT_ENABLED: true,
      USAGE_EXPORT_AT_UTC: 10,
      SAS_ALLOWED_TABLES: [],
      SAS_DEFAULT_TTL_SECONDS: 900,
      STORAGE_TIMEOUT_MS: 2000,
      MAX_RETRIES: 3,
      RETRY_BACKOFF_MS: 100,
      CIRCUIT_BREAKER_THRESHOLD: 5,
      CIRCUIT_BREAKER_TIMEOUT: 30,
    });
  });

  it('requires storage, the admin key and the hash pepper in production', () => {
    expect(() => loadEnv(apiKeyManagerEnv, { NODE_ENV: 'production' })).toThrow(
      /AZURE_STORAGE_CONNECTION_STRING is required.*ADMIN_API_KEY is required.*API_KEY_HASH_PEPPER is required/,
    );
  });

  it('waits for the admin key and the pepper in development, and runs its own Azurite instead of waiting for storage', () => {
    expect(loadEnv(apiKeyManagerEnv, {}).missingCredentials).toEqual(['ADMIN_API_KEY', 'API_KEY_HASH_PEPPER']);
  });

  it('hides the connection string, which embeds the account key', () => {
    const { redacted, values } = loadEnv(apiKeyManagerEnv, { AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acme;AccountKey=abc123==' });
    expect(values.AZURE_STORAGE_CONNECTION_STRING).toMatchObject({ accountName: 'acme', tableEndpoint: 'https://acme.table.core.windows.net' });
    expect(JSON.stringify(redacted)).not.toContain('abc123');
  });

  it('stops at boot on a malformed connection string, saying why and never quoting it', () => {
    const message = problemsOf({ AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acme;AccountKey=s3cr3t value' });
    expect(message).toContain('AZURE_STORAGE_CONNECTION_STRING has an AccountKey that is not base64');
    expect(message).not.toContain('s3cr3t');
  });

  it('reads the secrets from <NAME>_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'akm-env-'));
    writeFileSync(join(dir, 'pepper'), `${PEPPER}\n`);
    writeFileSync(join(dir, 'admin'), 'admin-key-from-a-file');
    const { values } = loadEnv(apiKeyManagerEnv, { API_KEY_HASH_PEPPER_FILE: join(dir, 'pepper'), ADMIN_API_KEY_FILE: join(dir, 'admin') });
    expect(values.API_KEY_HASH_PEPPER).toBe(PEPPER);
    expect(values.ADMIN_API_KEY).toBe('admin-key-from-a-file');
  });

  it('refuses a short pepper or admin key, a bad prefix and a cache TTL that would break the 5 s revocation promise', () => {
    const message = problemsOf({ API_KEY_HASH_PEPPER: 'short-pepper', ADMIN_API_KEY: 'short', API_KEY_PREFIX: 'Permas!', VERIFY_CACHE_TTL_MS: '9000' });
    expect(message).toContain('API_KEY_HASH_PEPPER must be at least 32 characters');
    expect(message).toContain('ADMIN_API_KEY must be at least 16 characters');
    expect(message).toContain('API_KEY_PREFIX must be 2-16 characters');
    expect(message).toContain('VERIFY_CACHE_TTL_MS must be a whole number between 0 and 4000');
    expect(message).not.toContain('short-pepper');
  });

  it('parses SAS_ALLOWED_TABLES as tables with read by default and explicit permission letters', () => {
    const { values } = loadEnv(apiKeyManagerEnv, { SAS_ALLOWED_TABLES: 'Orders, Customers:raud, Events:rr' });
    expect(values.SAS_ALLOWED_TABLES).toEqual([
      { table: 'Orders', permissions: ['r'] },
      { table: 'Customers', permissions: ['r', 'a', 'u', 'd'] },
      { table: 'Events', permissions: ['r'] },
    ]);
    expect(problemsOf({ SAS_ALLOWED_TABLES: 'Orders,bad-name:rw' })).toContain(
      'SAS_ALLOWED_TABLES entry #2 must be a table name (3-63 letters or digits, starting with a letter), optionally followed by :permissions from r, a, u, d',
    );
  });

  it('reads the export time as HH:MM UTC and names a bad container', () => {
    expect(loadEnv(apiKeyManagerEnv, { USAGE_EXPORT_AT_UTC: '02:30' }).values.USAGE_EXPORT_AT_UTC).toBe(150);
    const message = problemsOf({ USAGE_EXPORT_AT_UTC: '25:00', USAGE_EXPORT_CONTAINER: 'Usage_Exports' });
    expect(message).toContain('USAGE_EXPORT_AT_UTC must be a UTC time of day as HH:MM');
    expect(message).toContain('USAGE_EXPORT_CONTAINER must be a blob container name');
  });
});
