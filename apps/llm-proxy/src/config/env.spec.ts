import { loadEnv } from '@auth-platform/config';
import { llmProxyEnv } from './env';

describe('llm-proxy env', () => {
  it("keeps the seed's defaults", () => {
    const { values } = loadEnv(llmProxyEnv, {});
    expect(values.PORT).toBe(8002);
    expect(values.API_KEY_SERVER_OPENAI_BASE_URL).toBe('https://api.openai.com/v1/chat/completions');
    expect(values.API_KEY_SERVER_REDIS_PREFIX).toBe('api-key-server');
    expect(values.API_KEY_SERVER_HMAC_CLOCK_TOLERANCE_SECONDS).toBe(300);
    expect(values.API_KEY_SERVER_MAX_TOKENS).toBe(2048);
  });

  it('parses the JSON maps and lists', () => {
    const { values } = loadEnv(llmProxyEnv, {
      API_KEY_SERVER_PRODUCT_KEYS: '{"product-a":"sk-a"}',
      API_KEY_SERVER_ALLOWED_MODELS: '["gpt-4o-mini"]',
    });
    expect(values.API_KEY_SERVER_PRODUCT_KEYS).toEqual({ 'product-a': 'sk-a' });
    expect(values.API_KEY_SERVER_ALLOWED_MODELS).toEqual(['gpt-4o-mini']);
  });

  it('stops on a malformed product key map without echoing it', () => {
    expect(() => loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"product-a": sk-live-123}' })).toThrow(
      /API_KEY_SERVER_PRODUCT_KEYS is not valid JSON/,
    );
    expect(() => loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"product-a": sk-live-123}' })).not.toThrow(/sk-live-123/);
  });

  it('needs one client authentication scheme besides the upstream keys', () => {
    const loaded = loadEnv(llmProxyEnv, { API_KEY_SERVER_PRODUCT_KEYS: '{"p":"k"}' });
    expect(loaded.missingCredentials).toEqual([
      'API_KEY_SERVER_JWT_PUBLIC_KEYS (or API_KEY_SERVER_JWKS_URL or API_KEY_SERVER_CLIENT_HMAC_SECRETS)',
    ]);
  });
});
