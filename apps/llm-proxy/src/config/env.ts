import { defineEnv, env, z } from '@auth-platform/config';

const stringMap = z.record(z.string().min(1), z.string().min(1));

export const llmProxyEnv = defineEnv({
  app: 'llm-proxy',
  defaultPort: 8002,
  shape: {
    API_KEY_SERVER_PRODUCT_KEYS: env.json(stringMap, 'a JSON object of product id to upstream API key').optional(),
    API_KEY_SERVER_JWT_PUBLIC_KEYS: env.json(stringMap, 'a JSON object of kid to PEM public key').optional(),
    API_KEY_SERVER_JWKS_URL: env.httpUrl().optional(),
    API_KEY_SERVER_CLIENT_HMAC_SECRETS: env.json(stringMap, 'a JSON object of client id to HMAC secret').optional(),
    API_KEY_SERVER_ALLOWED_MODELS: env
      .json(z.array(z.string().min(1)).min(1), 'a non-empty JSON list of model names')
      .prefault('["gpt-4o","gpt-4o-mini"]'),
    API_KEY_SERVER_MAX_TOKENS: env.int({ min: 1, max: 1_000_000 }).prefault('2048'),
    API_KEY_SERVER_OPENAI_BASE_URL: env.httpUrl().prefault('https://api.openai.com/v1/chat/completions'),
    API_KEY_SERVER_REDIS_URL: env.url(['redis', 'rediss']).optional(),
    API_KEY_SERVER_REDIS_PREFIX: env.string().prefault('api-key-server'),
    API_KEY_SERVER_HMAC_CLOCK_TOLERANCE_SECONDS: env.int({ min: 1, max: 3600 }).prefault('300'),
  },
  secrets: ['API_KEY_SERVER_PRODUCT_KEYS', 'API_KEY_SERVER_CLIENT_HMAC_SECRETS'],
  credentials: [
    { names: ['API_KEY_SERVER_PRODUCT_KEYS'] },
    { names: ['API_KEY_SERVER_JWT_PUBLIC_KEYS', 'API_KEY_SERVER_JWKS_URL', 'API_KEY_SERVER_CLIENT_HMAC_SECRETS'] },
  ],
});
