import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '@auth-platform/config';
import { executorAuthEnv } from './env';

const login = {
  API_AUTH_URL: 'https://auth.example.test/portalservice/api/v1/getAuthToken',
  API_AUTH_EMAIL: 'service-user@example.test',
  API_AUTH_PASSWORD: 'pw-987',
  API_EXECUTOR_BASE_URL: 'https://platform.example.test/paasservice',
  EXECUTOR_API_KEYS: 'caller-key',
};

const profile = (overrides: Record<string, unknown> = {}) => ({
  auth_url: 'https://eu.example.test/login',
  email: 'eu-user@example.test',
  password: 'eu-secret-123',
  base_url: 'https://eu.example.test/api',
  ...overrides,
});

function without<T extends Record<string, unknown>>(object: T, name: keyof T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => key !== name));
}

function problemsOf(source: Record<string, string>): string {
  try {
    loadEnv(executorAuthEnv, source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the environment to be rejected');
}

describe('executor-auth env', () => {
  it("keeps the seed's timeout and retry defaults", () => {
    const { values } = loadEnv(executorAuthEnv, {});
    expect(values.PORT).toBe(8005);
    expect(values.API_EXECUTOR_TIMEOUT).toBe(30);
    expect(values.API_EXECUTOR_MAX_RETRIES).toBe(3);
    expect(values.API_AUTH_TOKEN_TTL_SECONDS).toBe(3600);
    expect(values.API_EXECUTOR_ALLOWED_PATHS).toEqual([]);
    expect(values.API_EXECUTOR_MAX_RESPONSE_BYTES).toBe(10 * 1024 * 1024);
  });

  it('accepts a static API_AUTH_TOKEN in place of login credentials', () => {
    const loaded = loadEnv(executorAuthEnv, {
      NODE_ENV: 'production',
      API_AUTH_TOKEN: 't',
      API_EXECUTOR_BASE_URL: login.API_EXECUTOR_BASE_URL,
      EXECUTOR_API_KEYS: 'k',
    });
    expect(loaded.missingCredentials).toEqual([]);
  });

  it('names each missing login variable in production', () => {
    expect(() =>
      loadEnv(executorAuthEnv, { NODE_ENV: 'production', API_AUTH_URL: login.API_AUTH_URL }),
    ).toThrow(
      /API_AUTH_EMAIL \(or API_AUTH_TOKEN or EXECUTOR_PROFILES\) is required.*API_AUTH_PASSWORD \(or API_AUTH_TOKEN or EXECUTOR_PROFILES\) is required.*API_EXECUTOR_BASE_URL \(or EXECUTOR_PROFILES\) is required.*EXECUTOR_API_KEYS is required/,
    );
  });

  it('waits in development for the login variables, the API root and the callers’ keys', () => {
    expect(loadEnv(executorAuthEnv, {}).missingCredentials).toEqual([
      'API_AUTH_URL (or API_AUTH_TOKEN or EXECUTOR_PROFILES)',
      'API_AUTH_EMAIL (or API_AUTH_TOKEN or EXECUTOR_PROFILES)',
      'API_AUTH_PASSWORD (or API_AUTH_TOKEN or EXECUTOR_PROFILES)',
      'API_EXECUTOR_BASE_URL (or EXECUTOR_PROFILES)',
      'EXECUTOR_API_KEYS',
    ]);
    expect(loadEnv(executorAuthEnv, login).missingCredentials).toEqual([]);
  });

  it('parses EXECUTOR_API_KEYS and API_EXECUTOR_ALLOWED_PATHS as lists', () => {
    const { values } = loadEnv(executorAuthEnv, {
      ...login,
      EXECUTOR_API_KEYS: 'old, new',
      API_EXECUTOR_ALLOWED_PATHS: '/api/v1/iks, /api/v1/clusters/',
    });
    expect(values.EXECUTOR_API_KEYS).toEqual(['old', 'new']);
    expect(values.API_EXECUTOR_ALLOWED_PATHS).toEqual(['/api/v1/iks', '/api/v1/clusters/']);
  });

  it('refuses allowed path prefixes that are not in normal form', () => {
    const message = problemsOf({
      ...login,
      API_EXECUTOR_ALLOWED_PATHS: '/api, api/v1, /a/../b, /a//b, /a/%2e, /a?x',
    });
    expect(message).toContain('API_EXECUTOR_ALLOWED_PATHS has prefixes not in normal form');
    expect(message).toContain('api/v1, /a/../b, /a//b, /a/%2e, /a?x');
  });

  it('refuses a base URL with a query, fragment or credentials, and a login URL that is not http(s)', () => {
    expect(
      problemsOf({ ...login, API_EXECUTOR_BASE_URL: 'https://platform.example.test/api?x=1' }),
    ).toContain('API_EXECUTOR_BASE_URL must not have a query');
    expect(problemsOf({ ...login, API_EXECUTOR_BASE_URL: 'https://u:p@platform.example.test/' })).toContain(
      'API_EXECUTOR_BASE_URL must not carry a user name or password',
    );
    expect(problemsOf({ ...login, API_AUTH_URL: 'ftp://auth.example.test/login' })).toContain(
      'API_AUTH_URL must be an http(s) URL',
    );
  });

  it('refuses a static token next to login credentials, since which one wins would be a guess', () => {
    expect(problemsOf({ ...login, API_AUTH_TOKEN: 'static' })).toContain(
      'API_AUTH_TOKEN is set together with API_AUTH_EMAIL/API_AUTH_PASSWORD',
    );
  });

  it('reads API_AUTH_PASSWORD from API_AUTH_PASSWORD_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'executor-auth-')), 'password');
    writeFileSync(file, 'from-a-file\n');
    const rest = without(login, 'API_AUTH_PASSWORD') as Record<string, string>;
    expect(loadEnv(executorAuthEnv, { ...rest, API_AUTH_PASSWORD_FILE: file }).values.API_AUTH_PASSWORD).toBe(
      'from-a-file',
    );
  });

  it('never shows the password, the token, the callers’ keys or the profiles', () => {
    const plain = loadEnv(executorAuthEnv, { ...login, EXECUTOR_API_KEYS: 'caller-key-555' }).redacted;
    const profiles = loadEnv(executorAuthEnv, {
      EXECUTOR_PROFILES: JSON.stringify({ eu: profile() }),
    }).redacted;
    expect(JSON.stringify([plain, profiles])).not.toMatch(/pw-987|caller-key-555|eu-secret-123/);
    expect(JSON.stringify(loadEnv(executorAuthEnv, { API_AUTH_TOKEN: 'tok-321' }).redacted)).not.toContain(
      'tok-321',
    );
  });

  describe('EXECUTOR_PROFILES', () => {
    it('parses profiles, reading password_file, and stands in for the default profile', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'executor-auth-')), 'us-password');
      writeFileSync(file, 'us-secret-456\n');
      const us = without(
        profile({ auth_url: 'https://us.example.test/login', base_url: 'https://us.example.test/' }),
        'password',
      );
      const loaded = loadEnv(executorAuthEnv, {
        EXECUTOR_API_KEYS: 'k',
        EXECUTOR_PROFILES: JSON.stringify({
          eu: profile({ allowed_paths: ['/v1/iks'] }),
          us: { ...us, password_file: file },
        }),
      });
      expect(loaded.missingCredentials).toEqual([]);
      expect(loaded.values.EXECUTOR_PROFILES).toEqual({
        eu: {
          authUrl: 'https://eu.example.test/login',
          email: 'eu-user@example.test',
          password: 'eu-secret-123',
          baseUrl: 'https://eu.example.test/api',
          allowedPaths: ['/v1/iks'],
        },
        us: {
          authUrl: 'https://us.example.test/login',
          email: 'eu-user@example.test',
          password: 'us-secret-456',
          baseUrl: 'https://us.example.test/',
        },
      });
    });

    it('names every problem by profile and field, without quoting a value', () => {
      const noPassword = without(profile(), 'password');
      const message = problemsOf({
        EXECUTOR_PROFILES: JSON.stringify({
          eu: profile({ base_url: 'https://eu.example.test/api?token=abc', extra: 1 }),
          us: { ...noPassword },
          ap: profile({ password_file: '/no/such/file' }),
          'Bad Name': profile(),
          cn: 'https://cn.example.test',
          in: profile({ email: '', auth_url: 'mailto:x' }),
          sa: { ...noPassword, password_file: '/no/such/password' },
        }),
      });
      expect(message).toContain('EXECUTOR_PROFILES profile "eu": base_url must not have a query');
      expect(message).toContain('profile "eu": has unknown fields extra');
      expect(message).toContain('profile "us": set exactly one of password and password_file');
      expect(message).toContain('profile "ap": set exactly one of password and password_file');
      expect(message).toContain('has a profile name that is not 1-63 lower-case letters');
      expect(message).toContain('profile "cn": must be an object');
      expect(message).toContain('profile "in": auth_url must be an http(s) URL');
      expect(message).toContain('profile "in": email must not be empty');
      expect(message).toContain(
        'profile "sa": password_file names a file that cannot be read (/no/such/password: ENOENT)',
      );
      expect(message).not.toMatch(/eu-secret-123|token=abc/);
    });

    it('reports invalid JSON by position only', () => {
      const message = problemsOf({ EXECUTOR_PROFILES: '{"eu": {"password": "eu-secret-123",' });
      expect(message).toMatch(/EXECUTOR_PROFILES is not valid JSON/);
      expect(message).not.toContain('eu-secret-123');
      expect(problemsOf({ EXECUTOR_PROFILES: '{}' })).toContain(
        'EXECUTOR_PROFILES must define at least one profile',
      );
    });

    it('refuses a "default" profile next to the plain variables, and a half-configured default profile', () => {
      expect(problemsOf({ ...login, EXECUTOR_PROFILES: JSON.stringify({ default: profile() }) })).toContain(
        'EXECUTOR_PROFILES defines a "default" profile, and so do API_AUTH_URL, API_AUTH_EMAIL, API_AUTH_PASSWORD, API_EXECUTOR_BASE_URL',
      );
      const message = problemsOf({
        API_AUTH_URL: login.API_AUTH_URL,
        EXECUTOR_PROFILES: JSON.stringify({ eu: profile() }),
      });
      expect(message).toContain('API_AUTH_EMAIL is required for the default profile (API_AUTH_URL set)');
      expect(message).toContain('API_EXECUTOR_BASE_URL is required for the default profile');
    });
  });
});
