import { loadEnv } from '@auth-platform/config';
import { apiKeyManagerEnv } from './env';

describe('api-key-manager env', () => {
  it("keeps the seed's rate-limit defaults and key prefix", () => {
    const { values } = loadEnv(apiKeyManagerEnv, {});
    expect(values.PORT).toBe(8003);
    expect(values.RATE_LIMIT_REQUESTS).toBe(100);
    expect(values.RATE_LIMIT_WINDOW_MS).toBe(60_000);
    expect(values.API_KEY_PREFIX).toBe('permas');
  });

  it('requires storage, the admin key and the hash pepper in production', () => {
    expect(() => loadEnv(apiKeyManagerEnv, { NODE_ENV: 'production' })).toThrow(
      /AZURE_STORAGE_CONNECTION_STRING is required.*ADMIN_API_KEY is required.*API_KEY_HASH_PEPPER is required/,
    );
  });

  it('hides the connection string, which embeds the account key', () => {
    const { redacted } = loadEnv(apiKeyManagerEnv, { AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=abc123==' });
    expect(JSON.stringify(redacted)).not.toContain('abc123');
  });
});
