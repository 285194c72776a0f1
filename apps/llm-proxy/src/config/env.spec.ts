import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '@auth-platform/config';
import { llmProxyEnv } from './env';

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

describe('llm-proxy env', () => {
  it("keeps the seed's defaults", () => {
    const { values } = loadEnv(llmProxyEnv, {});
    expect(values.PORT).toBe(8002);
    expect(values.API_KEY_SERVER_OPENAI_BASE_URL).toBe('https://api.openai.com/v1/chat/completions');
    expect(values.API_KEY_SERVER_REDIS_PREFIX).toBe('api-key-server');
    expect(values.API_KEY_SERVER_HMAC_CLOCK_TOLERANCE_SECONDS).toBe(300);
    expect(values.API_KEY_SERVER_MAX_TOKENS).toBe(2048);
    expect(values.API_KEY_SERVER_RATE_LIMIT_CAPACITY).toBe(10);
    expect(values.API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND).toBe(5);
    expect(values.API_KEY_SERVER_DAILY_QUOTA).toBe(200_000);
    expect(values.API_KEY_SERVER_DAILY_TOKEN_QUOTA).toBeUndefined();
  });

  it("gives the issue's defaults to the new variables", () => {
    const { values } = loadEnv(llmProxyEnv, {});
    expect(values.API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS).toBe(60);
    expect(values.API_KEY_SERVER_JWT_MAX_LIFETIME_SECONDS).toBe(3600);
    expect(values.API_KEY_SERVER_JWT_PRODUCT_CLAIM).toBe('product');
    expect(values.API_KEY_SERVER_MIN_TEMPERATURE).toBe(0);
    expect(values.API_KEY_SERVER_MAX_TEMPERATURE).toBe(2);
    expect(values.API_KEY_SERVER_UPSTREAM_TIMEOUT_SECONDS).toBe(60);
    expect(values.API_KEY_SERVER_ALLOWED_MODELS).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('parses the JSON maps and lists, fractional refill rates and audiences', () => {
    const { values } = loadEnv(llmProxyEnv, {
      API_KEY_SERVER_PRODUCT_KEYS: '{"product-a":"sk-a"}',
      API_KEY_SERVER_ALLOWED_MODELS: '["gpt-4o-mini"]',
      API_KEY_SERVER_CLIENT_PRODUCTS: '{"desktop":["product-a"]}',
      API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '0.5',
      API_KEY_SERVER_JWT_AUDIENCE: 'llm-proxy, other',
      API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ 'kid-1': rsaPem }),
    });
    expect(values.API_KEY_SERVER_PRODUCT_KEYS).toEqual({ 'product-a': 'sk-a' });
    expect(values.API_KEY_SERVER_ALLOWED_MODELS).toEqual(['gpt-4o-mini']);
    expect(values.API_KEY_SERVER_CLIENT_PRODUCTS).toEqual({ desktop: ['product-a'] });
    expect(values.API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND).toBe(0.5);
    expect(values.API_KEY_SERVER_JWT_AUDIENCE).toEqual(['llm-proxy', 'other']);
  });

  it('stops on a malformed product key map without echoing it', () => {
    expect(() => loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"product-a": sk-live-123}' })).toThrow(
      /API_KEY_SERVER_PRODUCT_KEYS is not valid JSON/,
    );
    expect(() =>
      loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"product-a": sk-live-123}' }),
    ).not.toThrow(/sk-live-123/);
  });

  it('names a JWT public key that is not an RSA key in PEM form', () => {
    expect(() =>
      loadEnv(llmProxyEnv, {
        API_KEY_SERVER_JWT_PUBLIC_KEYS: JSON.stringify({ good: rsaPem, 'kid-ec': ecPem }),
      }),
    ).toThrow('API_KEY_SERVER_JWT_PUBLIC_KEYS has a key "kid-ec" that is not an RSA public key in PEM form');
    expect(() => loadEnv(llmProxyEnv, { API_KEY_SERVER_JWT_PUBLIC_KEYS: '{"kid-1":"MIIBIjANBg"}' })).toThrow(
      /"kid-1" that is not an RSA/,
    );
  });

  it('lists every bad number by name, never by value', () => {
    let message = '';
    try {
      loadEnv(llmProxyEnv, {
        API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: '0',
        API_KEY_SERVER_DAILY_QUOTA: 'lots',
        API_KEY_SERVER_MAX_TEMPERATURE: '2.x',
        API_KEY_SERVER_ADMIN_KEY: 'short-9876',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND must be a number above 0');
    expect(message).toContain('API_KEY_SERVER_DAILY_QUOTA must be a whole number');
    expect(message).toContain('API_KEY_SERVER_MAX_TEMPERATURE must be a number');
    expect(message).toContain('API_KEY_SERVER_ADMIN_KEY must be at least 16 characters');
    expect(message).not.toMatch(/lots|2\.x|short-9876/);
  });

  it('refuses a temperature range whose minimum is above its maximum', () => {
    expect(() =>
      loadEnv(llmProxyEnv, { API_KEY_SERVER_MIN_TEMPERATURE: '1.5', API_KEY_SERVER_MAX_TEMPERATURE: '1' }),
    ).toThrow('API_KEY_SERVER_MIN_TEMPERATURE must not be above API_KEY_SERVER_MAX_TEMPERATURE');
  });

  it('needs one client authentication scheme besides the upstream keys', () => {
    const loaded = loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"p":"k"}' });
    expect(loaded.missingCredentials).toEqual([
      'API_KEY_SERVER_JWT_PUBLIC_KEYS (or API_KEY_SERVER_JWKS_URL or API_KEY_SERVER_CLIENT_HMAC_SECRETS or API_KEY_MANAGER_URL)',
    ]);
  });

  it('takes managed keys from api-key-manager as the client scheme, the service key never shown', () => {
    const loaded = loadEnv(llmProxyEnv, {
      API_KEY_SERVER_PRODUCT_KEYS: '{"p":"k"}',
      API_KEY_MANAGER_URL: 'http://api-key-manager:8003',
      API_KEY_MANAGER_SERVICE_KEY: 'service-key-for-llm-proxy',
    });
    expect(loaded.missingCredentials).toEqual([]);
    expect(loaded.values.API_KEY_MANAGER_URL).toBe('http://api-key-manager:8003');
    expect(JSON.stringify(loaded.redacted)).not.toContain('service-key-for-llm-proxy');
  });

  it('refuses API_KEY_MANAGER_URL without its service key', () => {
    expect(() => loadEnv(llmProxyEnv, { API_KEY_MANAGER_URL: 'http://api-key-manager:8003' })).toThrow(
      'API_KEY_MANAGER_SERVICE_KEY is required when API_KEY_MANAGER_URL is set',
    );
  });

  it('reads secrets from _FILE and never shows them, the admin key and the Redis URL included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-proxy-env-'));
    writeFileSync(join(dir, 'keys.json'), '{"product-a":"sk-from-file-123"}\n');
    const loaded = loadEnv(llmProxyEnv, {
      API_KEY_SERVER_PRODUCT_KEYS_FILE: join(dir, 'keys.json'),
      API_KEY_SERVER_CLIENT_HMAC_SECRETS: '{"desktop":"hmac-secret-456"}',
      API_KEY_SERVER_ADMIN_KEY: 'admin-key-789-0123456',
      API_KEY_SERVER_REDIS_URL: 'redis://:redis-pass-42@127.0.0.1:6379/0',
    });
    expect(loaded.values.API_KEY_SERVER_PRODUCT_KEYS).toEqual({ 'product-a': 'sk-from-file-123' });
    expect(JSON.stringify(loaded.redacted)).not.toMatch(
      /sk-from-file-123|hmac-secret-456|admin-key-789|redis-pass-42/,
    );
  });
});
