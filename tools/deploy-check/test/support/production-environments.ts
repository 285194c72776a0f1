import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { AzuriteServer, type TestDatabase, createTestDatabase, freePort } from '@auth-platform/testing';
import type { AppName } from '../../src/repo';

const REDIS = { host: '127.0.0.1', port: 6379 } as const;

/** What one app needs to start with NODE_ENV=production, and what to stop after. */
export interface ProductionEnvironment {
  readonly env: Readonly<Record<string, string>>;
  dispose(): Promise<void>;
}

const secret = (bytes = 24) => randomBytes(bytes).toString('hex');

/** A URL on this machine where nothing listens: outside calls fail at once instead of reaching the internet. */
async function nowhere(path: string): Promise<string> {
  return `http://127.0.0.1:${await freePort()}${path}`;
}

/** Redis answers PING, or the suite fails saying where it expected it. */
export function requireRedis(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(REDIS);
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new Error(
          `Redis is required at ${REDIS.host}:${REDIS.port} and ${reason} (start it, or docker compose up -d redis)`,
        ),
      );
    };
    socket.setTimeout(3000, () => fail('did not answer within 3 s'));
    socket.once('error', (error) => fail(`is not reachable: ${error.message}`));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString().startsWith('+PONG')) resolve();
      else fail(`answered ${JSON.stringify(data.toString().trim())} to PING`);
    });
  });
}

async function gcpToken(): Promise<ProductionEnvironment> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccount = {
    type: 'service_account',
    project_id: 'deploy-check',
    private_key_id: secret(8),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'deploy-check@deploy-check.iam.gserviceaccount.com',
    token_uri: await nowhere('/token'),
  };
  return {
    env: {
      API_KEYS: secret(),
      SERVICE_ACCOUNT_JSON: JSON.stringify(serviceAccount),
      REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`,
      IAM_CREDENTIALS_ENDPOINT: await nowhere(''),
    },
    dispose: async () => undefined,
  };
}

async function llmProxy(): Promise<ProductionEnvironment> {
  return {
    env: {
      API_KEY_SERVER_PRODUCT_KEYS: JSON.stringify({ demo: secret() }),
      API_KEY_SERVER_CLIENT_HMAC_SECRETS: JSON.stringify({ 'deploy-check': secret() }),
      API_KEY_SERVER_ADMIN_KEY: secret(),
      API_KEY_SERVER_OPENAI_BASE_URL: await nowhere('/v1/chat/completions'),
      API_KEY_SERVER_REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`,
      API_KEY_SERVER_REDIS_PREFIX: `deploy-check-${secret(4)}`,
    },
    dispose: async () => undefined,
  };
}

async function apiKeyManager(): Promise<ProductionEnvironment> {
  const azurite = new AzuriteServer();
  await azurite.start();
  return {
    env: {
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      ADMIN_API_KEY: secret(),
      API_KEY_HASH_PEPPER: secret(32),
      VERIFY_API_KEYS: secret(),
      REDIS_URL: `redis://${REDIS.host}:${REDIS.port}`,
    },
    dispose: () => azurite.dispose(),
  };
}

async function authManager(): Promise<ProductionEnvironment> {
  const database: TestDatabase = await createTestDatabase('deploy_check');
  return {
    env: {
      DATABASE_URL: database.url,
      // Plain http is accepted in production on a loopback address only; nothing answers there, so the app is
      // live but not ready, which is all this suite asks.
      KEYCLOAK_ISSUER: await nowhere('/realms/deploy-check'),
      KEYCLOAK_CLIENT_ID: 'auth-manager',
      KEYCLOAK_CLIENT_SECRET: secret(),
      AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: secret(32),
      STATE_TOKEN_SECRET: randomBytes(32).toString('base64'),
      AUTH_MANAGER_API_KEYS: secret(),
    },
    dispose: () => database.drop(),
  };
}

async function executorAuth(): Promise<ProductionEnvironment> {
  return {
    env: {
      API_AUTH_URL: await nowhere('/portalservice/api/v1/getAuthToken'),
      API_AUTH_EMAIL: 'svc-deploy-check@example.com',
      API_AUTH_PASSWORD: secret(),
      API_EXECUTOR_BASE_URL: await nowhere('/paasservice'),
      EXECUTOR_API_KEYS: secret(),
    },
    dispose: async () => undefined,
  };
}

/** The smallest production configuration of each app (its README's "required when NODE_ENV=production"). */
export const PRODUCTION_ENVIRONMENTS: Readonly<Record<AppName, () => Promise<ProductionEnvironment>>> = {
  'gcp-token': gcpToken,
  'llm-proxy': llmProxy,
  'api-key-manager': apiKeyManager,
  'auth-manager': authManager,
  'executor-auth': executorAuth,
};
