import { generateKeyPairSync } from 'node:crypto';
import { loadEnv } from '@auth-platform/config';
import { gcpTokenEnv } from './env';

const serviceAccountJson = JSON.stringify({
  type: 'service_account',
  client_email: 'sa@p.iam.gserviceaccount.com',
  private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

describe('gcp-token env', () => {
  it('listens on 8001 and allows the cloud-platform scope by default', () => {
    const { values } = loadEnv(gcpTokenEnv, {});
    expect(values.PORT).toBe(8001);
    expect(values.ALLOWED_SCOPES).toEqual(['https://www.googleapis.com/auth/cloud-platform']);
    expect(values.TOKEN_REFRESH_MARGIN_SECONDS).toBe(300);
    expect(values.TOKEN_RATE_LIMIT_PER_MINUTE).toBe(600);
  });

  it('accepts API_KEYS as a comma-separated list in place of API_KEY', () => {
    const loaded = loadEnv(gcpTokenEnv, { NODE_ENV: 'production', API_KEYS: 'old, new', SERVICE_ACCOUNT_JSON: serviceAccountJson });
    expect(loaded.values.API_KEYS).toEqual(['old', 'new']);
    expect(loaded.missingCredentials).toEqual([]);
  });

  it('waits for the API key and the service account in development', () => {
    expect(loadEnv(gcpTokenEnv, {}).missingCredentials).toEqual([
      'API_KEY (or API_KEYS or API_KEY_MANAGER_URL)',
      'SERVICE_ACCOUNT_JSON (or GOOGLE_APPLICATION_CREDENTIALS)',
    ]);
  });

  it('takes managed keys from api-key-manager in place of static keys, the service key never shown', () => {
    const loaded = loadEnv(gcpTokenEnv, {
      NODE_ENV: 'production',
      SERVICE_ACCOUNT_JSON: serviceAccountJson,
      API_KEY_MANAGER_URL: 'http://api-key-manager:8003',
      API_KEY_MANAGER_SERVICE_KEY: 'service-key-for-gcp-token',
    });
    expect(loaded.missingCredentials).toEqual([]);
    expect(JSON.stringify(loaded.redacted)).not.toContain('service-key-for-gcp-token');
  });

  it('refuses the service key without API_KEY_MANAGER_URL', () => {
    expect(() => loadEnv(gcpTokenEnv, { API_KEY_MANAGER_SERVICE_KEY: 'service-key-for-gcp-token' })).toThrow(
      'API_KEY_MANAGER_URL is required when API_KEY_MANAGER_SERVICE_KEY is set',
    );
  });

  it("treats the seed's ENVIRONMENT=production as production", () => {
    expect(() => loadEnv(gcpTokenEnv, { ENVIRONMENT: 'production' })).toThrow('API_KEY (or API_KEYS or API_KEY_MANAGER_URL) is required when NODE_ENV=production');
  });

  it('never shows the keys or the service account in the redacted view', () => {
    const { redacted } = loadEnv(gcpTokenEnv, { API_KEY: 'k-123', SERVICE_ACCOUNT_JSON: serviceAccountJson });
    expect(JSON.stringify(redacted)).not.toMatch(/k-123|PRIVATE KEY|sa@p/);
  });
});
