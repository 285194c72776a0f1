import { loadEnv } from '@auth-platform/config';
import { executorAuthEnv } from '../config/env';
import { resolvePlatformProfiles } from './platform-profile';

const login = {
  API_AUTH_URL: 'https://auth.example.test/login',
  API_AUTH_EMAIL: 'service-user@example.test',
  API_AUTH_PASSWORD: 'pw',
  API_EXECUTOR_BASE_URL: 'https://platform.example.test/paasservice/',
  API_EXECUTOR_ALLOWED_PATHS: '/api/v1/iks',
};

const resolve = (source: Record<string, string>) =>
  resolvePlatformProfiles(loadEnv(executorAuthEnv, source).values);

describe('resolvePlatformProfiles', () => {
  it('forms the default profile from the plain variables, splitting the API root', () => {
    const { profiles, defaultMissing } = resolve(login);
    expect(defaultMissing).toEqual([]);
    expect(profiles.get('default')).toMatchObject({
      name: 'default',
      credentials: {
        kind: 'login',
        authUrl: login.API_AUTH_URL,
        email: login.API_AUTH_EMAIL,
        password: 'pw',
      },
      origin: 'https://platform.example.test',
      basePath: '/paasservice',
      allowedPaths: ['/api/v1/iks'],
      hints: { credentials: 'check API_AUTH_EMAIL and API_AUTH_PASSWORD' },
    });
  });

  it('uses a static API_AUTH_TOKEN when that is what is configured', () => {
    const { profiles } = resolve({
      API_AUTH_TOKEN: 'static',
      API_EXECUTOR_BASE_URL: 'https://platform.example.test',
    });
    expect(profiles.get('default')).toMatchObject({
      credentials: { kind: 'static', token: 'static' },
      basePath: '',
    });
  });

  it('adds the named profiles, which inherit API_EXECUTOR_ALLOWED_PATHS unless they set allowed_paths', () => {
    const { profiles } = resolve({
      ...login,
      EXECUTOR_PROFILES: JSON.stringify({
        eu: {
          auth_url: 'https://eu.example.test/login',
          email: 'e',
          password: 'p',
          base_url: 'https://eu.example.test',
        },
        us: {
          auth_url: 'https://us.example.test/login',
          email: 'u',
          password: 'q',
          base_url: 'https://us.example.test/v2',
          allowed_paths: ['/items/'],
        },
      }),
    });
    expect([...profiles.keys()]).toEqual(['default', 'eu', 'us']);
    expect(profiles.get('eu')).toMatchObject({
      origin: 'https://eu.example.test',
      basePath: '',
      allowedPaths: ['/api/v1/iks'],
    });
    expect(profiles.get('us')).toMatchObject({ basePath: '/v2', allowedPaths: ['/items/'] });
    expect(profiles.get('us')?.hints.credentials).toBe(
      'check the email and password of profile "us" in EXECUTOR_PROFILES',
    );
  });

  it('has no default profile while it is only partly configured, and says what it lacks', () => {
    const { profiles, defaultMissing } = resolve({
      API_AUTH_URL: login.API_AUTH_URL,
      API_AUTH_EMAIL: login.API_AUTH_EMAIL,
    });
    expect(profiles.size).toBe(0);
    expect(defaultMissing).toEqual(['API_AUTH_PASSWORD', 'API_EXECUTOR_BASE_URL']);
    expect(resolve({}).defaultMissing).toEqual([]);
  });
});
