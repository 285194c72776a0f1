import { createPublicKey } from 'node:crypto';
import { API_KEY_MANAGER_SECRETS, apiKeyManagerEnvShape, checkApiKeyManagerEnv } from '@auth-platform/api-keys-client';
import { defineEnv, env, z } from '@auth-platform/config';

const stringMap = z.record(z.string().min(1), z.string().min(1));
const productLists = z.record(z.string().min(1), z.array(z.string().min(1)));

/** A decimal number within bounds, with a message that never quotes the value. */
function decimal(options: { min: number; max: number; exclusiveMin?: boolean }) {
  const range = `${options.exclusiveMin ? 'above' : 'at least'} ${options.min} and at most ${options.max}`;
  return z
    .string({ error: 'is required' })
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, { error: `must be a number ${range}` })
    .transform(Number)
    .refine((n) => (options.exclusiveMin ? n > options.min : n >= options.min) && n <= options.max, {
      error: `must be a number ${range}`,
    });
}

/** kid → PEM, each checked at boot to be an RSA public key, so a pasted typo stops the app instead of every token. */
const publicKeyPems = () =>
  env.json(stringMap, 'a JSON object of kid to PEM public key').superRefine((keys, ctx) => {
    for (const [kid, pem] of Object.entries(keys)) {
      let type: string | undefined;
      try {
        type = createPublicKey(pem).asymmetricKeyType;
      } catch {
        type = undefined;
      }
      if (type !== 'rsa')
        ctx.addIssue({
          code: 'custom',
          message: `has a key "${kid}" that is not an RSA public key in PEM form`,
        });
    }
  });

const spec = defineEnv({
  app: 'llm-proxy',
  defaultPort: 8002,
  shape: {
    API_KEY_SERVER_PRODUCT_KEYS: env
      .json(stringMap, 'a JSON object of product id to upstream API key')
      .optional(),
    API_KEY_SERVER_JWT_PUBLIC_KEYS: publicKeyPems().optional(),
    API_KEY_SERVER_JWKS_URL: env.httpUrl().optional(),
    API_KEY_SERVER_JWT_CLOCK_TOLERANCE_SECONDS: env.int({ min: 0, max: 3600 }).prefault('60'),
    API_KEY_SERVER_JWT_ISSUER: env.string().optional(),
    API_KEY_SERVER_JWT_AUDIENCE: env.list().optional(),
    API_KEY_SERVER_JWT_MAX_LIFETIME_SECONDS: env.int({ min: 1, max: 31 * 86_400 }).prefault('3600'),
    API_KEY_SERVER_JWT_PRODUCT_CLAIM: env.string().prefault('product'),
    API_KEY_SERVER_CLIENT_HMAC_SECRETS: env
      .json(stringMap, 'a JSON object of client id to HMAC secret')
      .optional(),
    API_KEY_SERVER_CLIENT_PRODUCTS: env
      .json(productLists, 'a JSON object of client id to a list of product ids')
      .optional(),
    API_KEY_SERVER_HMAC_CLOCK_TOLERANCE_SECONDS: env.int({ min: 1, max: 3600 }).prefault('300'),
    API_KEY_SERVER_ALLOWED_MODELS: env
      .json(z.array(z.string().min(1)).min(1), 'a non-empty JSON list of model names')
      .prefault('["gpt-4o","gpt-4o-mini"]'),
    API_KEY_SERVER_MAX_TOKENS: env.int({ min: 1, max: 1_000_000 }).prefault('2048'),
    API_KEY_SERVER_MIN_TEMPERATURE: decimal({ min: 0, max: 100 }).prefault('0'),
    API_KEY_SERVER_MAX_TEMPERATURE: decimal({ min: 0, max: 100 }).prefault('2'),
    API_KEY_SERVER_OPENAI_BASE_URL: env.httpUrl().prefault('https://api.openai.com/v1/chat/completions'),
    API_KEY_SERVER_UPSTREAM_TIMEOUT_SECONDS: env.int({ min: 1, max: 3600 }).prefault('60'),
    API_KEY_SERVER_UPSTREAM_MAX_CONNECTIONS: env.int({ min: 1, max: 10_000 }).prefault('256'),
    API_KEY_SERVER_RATE_LIMIT_CAPACITY: env.int({ min: 1, max: 1_000_000_000 }).prefault('10'),
    API_KEY_SERVER_RATE_LIMIT_REFILL_PER_SECOND: decimal({
      min: 0,
      max: 1_000_000_000,
      exclusiveMin: true,
    }).prefault('5'),
    API_KEY_SERVER_DAILY_QUOTA: env.int({ min: 1, max: 1_000_000_000_000 }).prefault('200000'),
    API_KEY_SERVER_DAILY_TOKEN_QUOTA: env.int({ min: 1, max: 1_000_000_000_000 }).optional(),
    API_KEY_SERVER_REDIS_URL: env.url(['redis', 'rediss']).optional(),
    API_KEY_SERVER_REDIS_PREFIX: env.string().prefault('api-key-server'),
    API_KEY_SERVER_USAGE_RETENTION_DAYS: env.int({ min: 1, max: 3660 }).prefault('31'),
    API_KEY_SERVER_ADMIN_KEY: env.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    // Managed keys from api-key-manager (scope llm-proxy:chat), beside JWT and HMAC.
    ...apiKeyManagerEnvShape,
  },
  secrets: [
    'API_KEY_SERVER_PRODUCT_KEYS',
    'API_KEY_SERVER_CLIENT_HMAC_SECRETS',
    'API_KEY_SERVER_ADMIN_KEY',
    'API_KEY_SERVER_REDIS_URL',
    // Public keys are no secret, but a file (a Kubernetes secret volume) is the practical way to mount PEMs.
    'API_KEY_SERVER_JWT_PUBLIC_KEYS',
    ...API_KEY_MANAGER_SECRETS,
  ],
  credentials: [
    { names: ['API_KEY_SERVER_PRODUCT_KEYS'] },
    {
      names: [
        'API_KEY_SERVER_JWT_PUBLIC_KEYS',
        'API_KEY_SERVER_JWKS_URL',
        'API_KEY_SERVER_CLIENT_HMAC_SECRETS',
        'API_KEY_MANAGER_URL',
      ],
    },
  ],
});

export const llmProxyEnv = {
  ...spec,
  schema: spec.schema.superRefine((values, ctx) => {
    checkApiKeyManagerEnv(values, ctx);
    if (values.API_KEY_SERVER_MIN_TEMPERATURE > values.API_KEY_SERVER_MAX_TEMPERATURE) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_KEY_SERVER_MIN_TEMPERATURE'],
        message: 'must not be above API_KEY_SERVER_MAX_TEMPERATURE',
      });
    }
  }),
};

export type LlmProxyEnv = z.output<typeof llmProxyEnv.schema>;
