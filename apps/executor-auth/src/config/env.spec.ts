import { loadEnv } from '@auth-platform/config';
import { executorAuthEnv } from './env';

describe('executor-auth env', () => {
  it("keeps the seed's timeout and retry defaults", () => {
    const { values } = loadEnv(executorAuthEnv, {});
    expect(values.PORT).toBe(8005);
    expect(values.API_EXECUTOR_TIMEOUT).toBe(30);
    expect(values.API_EXECUTOR_MAX_RETRIES).toBe(3);
  });

  it('accepts a static API_AUTH_TOKEN in place of login credentials', () => {
    expect(loadEnv(executorAuthEnv, { NODE_ENV: 'production', API_AUTH_TOKEN: 't' }).missingCredentials).toEqual([]);
  });

  it('names each missing login variable in production', () => {
    expect(() => loadEnv(executorAuthEnv, { NODE_ENV: 'production', API_AUTH_URL: 'https://auth.example.test/login' })).toThrow(
      /API_AUTH_EMAIL \(or API_AUTH_TOKEN\) is required.*API_AUTH_PASSWORD \(or API_AUTH_TOKEN\) is required/,
    );
  });

  it('never shows the password', () => {
    const { redacted } = loadEnv(executorAuthEnv, { API_AUTH_PASSWORD: 'pw-987' });
    expect(JSON.stringify(redacted)).not.toContain('pw-987');
  });
});
