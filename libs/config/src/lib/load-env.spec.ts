import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { env } from './env-fields';
import { defineEnv } from './env-spec';
import { EnvValidationError, loadEnv } from './load-env';
import { REDACTED } from './redact';

const spec = defineEnv({
  app: 'demo',
  defaultPort: 8009,
  shape: {
    API_KEY: env.string().optional(),
    API_KEYS: env.list().optional(),
    UPSTREAM_KEYS: env.json(z.record(z.string(), z.string().min(1)), 'a JSON object of product id to key').optional(),
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    TIMEOUT_SECONDS: env.int({ min: 1, max: 300 }).prefault('30'),
  },
  secrets: ['API_KEY', 'UPSTREAM_KEYS'],
  credentials: [{ names: ['API_KEY', 'API_KEYS'] }],
});

function problemsOf(source: Record<string, string>): string {
  try {
    loadEnv(spec, source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvValidationError);
    return (error as Error).message;
  }
  throw new Error('expected the environment to be rejected');
}

describe('loadEnv', () => {
  it('applies defaults and parses typed values', () => {
    const loaded = loadEnv(spec, { API_KEY: 'k1', PORT: '9000', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(loaded.values.PORT).toBe(9000);
    expect(loaded.values.TIMEOUT_SECONDS).toBe(30);
    expect(loaded.values.NODE_ENV).toBe('development');
    expect(loaded.values.LOG_LEVEL).toBe('info');
    expect(loaded.values.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(loaded.missingCredentials).toEqual([]);
  });

  it('uses the default port of the app when PORT is unset', () => {
    expect(loadEnv(spec, {}).values.PORT).toBe(8009);
  });

  it('names every invalid variable in one message and never prints a value', () => {
    const message = problemsOf({ PORT: 'abc', TIMEOUT_SECONDS: '9999', REDIS_URL: 'http://secret-host-xyz', LOG_LEVEL: 'loud' });
    expect(message).toContain('PORT must be a port number');
    expect(message).toContain('TIMEOUT_SECONDS must be a whole number between 1 and 300');
    expect(message).toContain('REDIS_URL must be a URL with scheme redis or rediss');
    expect(message).toContain('LOG_LEVEL must be one of');
    expect(message).not.toContain('abc');
    expect(message).not.toContain('secret-host-xyz');
    expect(message).not.toContain('loud');
  });

  it('reports malformed JSON by position without quoting the input', () => {
    const message = problemsOf({ UPSTREAM_KEYS: '{"product-a": sk-live-secret}' });
    expect(message).toMatch(/UPSTREAM_KEYS is not valid JSON( \(syntax error at position \d+\))?; expected a JSON object/);
    expect(message).not.toContain('sk-live-secret');
  });

  it('gives the position of a JSON syntax error when the parser knows it', () => {
    expect(problemsOf({ UPSTREAM_KEYS: '{' })).toContain('UPSTREAM_KEYS is not valid JSON (syntax error at position 1)');
  });

  it('rejects JSON of the wrong shape', () => {
    expect(problemsOf({ UPSTREAM_KEYS: '["a","b"]' })).toContain('UPSTREAM_KEYS must be a JSON object of product id to key');
    expect(loadEnv(spec, { UPSTREAM_KEYS: '{"p":"k"}' }).values.UPSTREAM_KEYS).toEqual({ p: 'k' });
  });

  it("accepts the gcp-token seed's ENVIRONMENT when NODE_ENV is unset", () => {
    expect(loadEnv(spec, { ENVIRONMENT: 'production', API_KEY: 'k' }).production).toBe(true);
    expect(loadEnv(spec, { ENVIRONMENT: 'production', NODE_ENV: 'development' }).production).toBe(false);
    expect(problemsOf({ ENVIRONMENT: 'staging' })).toContain('ENVIRONMENT must be one of development, production, test');
  });

  it('treats an empty variable as unset', () => {
    expect(loadEnv(spec, { PORT: '', API_KEY: '' }).values.PORT).toBe(8009);
  });

  describe('credentials for outside services', () => {
    it('lets a development instance start and lists what it waits for', () => {
      const loaded = loadEnv(spec, { NODE_ENV: 'development' });
      expect(loaded.missingCredentials).toEqual(['API_KEY (or API_KEYS)']);
    });

    it('stops a production instance, naming the variable', () => {
      expect(problemsOf({ NODE_ENV: 'production' })).toContain('API_KEY (or API_KEYS) is required when NODE_ENV=production');
    });

    it('is satisfied by any one of the alternatives', () => {
      expect(loadEnv(spec, { NODE_ENV: 'production', API_KEYS: 'a,b' }).missingCredentials).toEqual([]);
    });

    it('stops even a development instance when a value is malformed', () => {
      expect(problemsOf({ NODE_ENV: 'development', UPSTREAM_KEYS: '{' })).toContain('UPSTREAM_KEYS is not valid JSON');
    });
  });

  describe('<NAME>_FILE secrets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-spec-'));

    it('reads the secret from the file, without its trailing newline', () => {
      const file = join(dir, 'api-key');
      writeFileSync(file, 'from-file\n');
      expect(loadEnv(spec, { API_KEY_FILE: file }).values.API_KEY).toBe('from-file');
    });

    it('reads JSON secrets from files too', () => {
      const file = join(dir, 'upstream-keys.json');
      writeFileSync(file, '{"product-a":"sk-1"}\n');
      expect(loadEnv(spec, { UPSTREAM_KEYS_FILE: file }).values.UPSTREAM_KEYS).toEqual({ 'product-a': 'sk-1' });
    });

    it('names an unreadable file', () => {
      expect(problemsOf({ API_KEY_FILE: join(dir, 'missing') })).toMatch(/API_KEY_FILE names a file that cannot be read \(.*ENOENT\)/);
    });

    it('refuses an empty file', () => {
      const file = join(dir, 'empty');
      writeFileSync(file, '');
      expect(problemsOf({ API_KEY_FILE: file })).toContain('API_KEY_FILE names an empty file');
    });

    it('refuses a secret given both ways', () => {
      const file = join(dir, 'both');
      writeFileSync(file, 'x');
      expect(problemsOf({ API_KEY: 'y', API_KEY_FILE: file })).toContain('API_KEY and API_KEY_FILE are both set');
    });

    it('counts a file-provided credential as present in production', () => {
      const file = join(dir, 'prod-key');
      writeFileSync(file, 'k');
      expect(loadEnv(spec, { NODE_ENV: 'production', API_KEY_FILE: file }).missingCredentials).toEqual([]);
    });
  });

  describe('redacted view', () => {
    it('hides secrets and URL passwords and keeps the rest', () => {
      const loaded = loadEnv(spec, {
        API_KEY: 'super-secret-key',
        UPSTREAM_KEYS: '{"p":"sk-secret"}',
        REDIS_URL: 'redis://:redis-pass@cache.internal:6379/0',
        PORT: '8010',
      });
      const dump = JSON.stringify(loaded.redacted);
      expect(loaded.redacted['API_KEY']).toBe(REDACTED);
      expect(loaded.redacted['UPSTREAM_KEYS']).toBe(REDACTED);
      expect(loaded.redacted['PORT']).toBe(8010);
      expect(loaded.redacted['REDIS_URL']).toContain('cache.internal');
      expect(dump).not.toContain('super-secret-key');
      expect(dump).not.toContain('sk-secret');
      expect(dump).not.toContain('redis-pass');
    });
  });
});
