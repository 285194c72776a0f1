import { loadEnv } from '@auth-platform/config';
import { gcpTokenEnv } from './env';

describe('gcp-token env', () => {
  it('listens on 8001 by default', () => {
    expect(loadEnv(gcpTokenEnv, {}).values.PORT).toBe(8001);
  });

  it('accepts API_KEYS as a comma-separated list in place of API_KEY', () => {
    const loaded = loadEnv(gcpTokenEnv, { NODE_ENV: 'production', API_KEYS: 'old, new', GOOGLE_APPLICATION_CREDENTIALS: '/sa.json' });
    expect(loaded.values.API_KEYS).toEqual(['old', 'new']);
    expect(loaded.missingCredentials).toEqual([]);
  });

  it('waits for the API key and the service account in development', () => {
    expect(loadEnv(gcpTokenEnv, {}).missingCredentials).toEqual([
      'API_KEY (or API_KEYS)',
      'SERVICE_ACCOUNT_JSON (or GOOGLE_APPLICATION_CREDENTIALS)',
    ]);
  });

  it('never shows the keys or the service account in the redacted view', () => {
    const { redacted } = loadEnv(gcpTokenEnv, { API_KEY: 'k-123', SERVICE_ACCOUNT_JSON: '{"private_key":"pk"}' });
    expect(JSON.stringify(redacted)).not.toMatch(/k-123|pk/);
  });
});
