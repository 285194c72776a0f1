import {
  FakeLoginApi,
  FakePlatformApi,
  describeAppBoot,
  runAppToExit,
  startApp,
} from '@auth-platform/testing';
import { errorOf, execute } from './support/executor-client';

const login = new FakeLoginApi();
const platform = new FakePlatformApi(login.tokens);
beforeAll(() => Promise.all([login.start(), platform.start()]));
afterAll(() => Promise.all([login.stop(), platform.stop()]));

// Ready means logged in: the credentials point at a local login API with the seed's contract.
describeAppBoot('executor-auth', {
  waitsFor: 'API_AUTH_URL (or API_AUTH_TOKEN or EXECUTOR_PROFILES)',
  credentials: () => ({
    API_AUTH_URL: login.loginUrl(),
    API_AUTH_EMAIL: login.email,
    API_AUTH_PASSWORD: login.password,
    API_EXECUTOR_BASE_URL: platform.baseUrl,
    EXECUTOR_API_KEYS: 'boot-key',
  }),
});

describe('executor-auth: configuration', () => {
  it('answers 503 naming what is missing while the default profile is only partly configured (development)', async () => {
    const partial = await startApp('executor-auth', {
      API_AUTH_URL: login.loginUrl({ app: 'partial' }),
      EXECUTOR_API_KEYS: 'k',
    });
    const bare = await startApp('executor-auth', { EXECUTOR_API_KEYS: 'k' });
    try {
      const waiting = await errorOf(await execute(partial, { method: 'GET', path: '/v1/ok' }, { key: 'k' }));
      expect(waiting).toMatchObject({
        status: 503,
        message:
          'The default profile is not configured yet: waiting for API_AUTH_EMAIL, API_AUTH_PASSWORD, API_EXECUTOR_BASE_URL',
      });
      const nothing = await errorOf(await execute(bare, { method: 'GET', path: '/v1/ok' }, { key: 'k' }));
      expect(nothing.status).toBe(503);
      expect(nothing.message).toContain('No platform is configured yet');
      expect(login.attempts.filter((attempt) => attempt.variant.includes('app=partial'))).toEqual([]);
    } finally {
      await Promise.all([partial.stop(), bare.stop()]);
    }
  });

  it('exits 1 on an invalid EXECUTOR_PROFILES, naming the profile and the field but never the password', async () => {
    const run = await runAppToExit('executor-auth', {
      EXECUTOR_PROFILES: JSON.stringify({
        eu: {
          auth_url: login.loginUrl(),
          email: login.email,
          password: 'profile-secret-42',
          base_url: 'ftp://platform.example.test',
        },
      }),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('EXECUTOR_PROFILES profile "eu": base_url must be an http(s) URL');
    expect(run.stderr + run.stdout).not.toContain('profile-secret-42');
  });
});
