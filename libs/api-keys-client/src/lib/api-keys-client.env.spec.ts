import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { EnvValidationError, defineEnv, loadEnv } from '@auth-platform/config';
import { ApiKeysClient } from './api-keys-client';
import { ApiKeyManagerFailure } from './api-keys-client.exception';
import {
  API_KEY_MANAGER_SECRETS,
  apiKeyManagerEnvShape,
  checkApiKeyManagerEnv,
  createApiKeysClient,
} from './api-keys-client.env';
import { API_KEYS_CLIENT, apiKeysClientProvider } from './api-keys-client.provider';

const SERVICE_KEY = 'env-spec-service-key-91d0';

const demo = defineEnv({
  app: 'demo',
  defaultPort: 8009,
  shape: { ...apiKeyManagerEnvShape },
  secrets: [...API_KEY_MANAGER_SECRETS],
});
const demoEnv = { ...demo, schema: demo.schema.superRefine(checkApiKeyManagerEnv) };

function problemsOf(source: Record<string, string>): string {
  try {
    loadEnv(demoEnv, source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvValidationError);
    return (error as Error).message;
  }
  throw new Error('the environment was accepted');
}

describe('API_KEY_MANAGER_* variables', () => {
  it('reads both, the service key also from API_KEY_MANAGER_SERVICE_KEY_FILE, and redacts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'akc-env-'));
    try {
      writeFileSync(join(dir, 'service-key'), `${SERVICE_KEY}\n`);
      const loaded = loadEnv(demoEnv, {
        API_KEY_MANAGER_URL: 'http://api-key-manager:8003',
        API_KEY_MANAGER_SERVICE_KEY_FILE: join(dir, 'service-key'),
      });
      expect(loaded.values.API_KEY_MANAGER_URL).toBe('http://api-key-manager:8003');
      expect(loaded.values.API_KEY_MANAGER_SERVICE_KEY).toBe(SERVICE_KEY);
      expect(JSON.stringify(loaded.redacted)).not.toContain(SERVICE_KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts neither (managed keys off)', () => {
    expect(loadEnv(demoEnv, {}).values.API_KEY_MANAGER_URL).toBeUndefined();
  });

  it('names the missing half, never the value given', () => {
    expect(problemsOf({ API_KEY_MANAGER_SERVICE_KEY: SERVICE_KEY })).toBe(
      'demo: invalid configuration: API_KEY_MANAGER_URL is required when API_KEY_MANAGER_SERVICE_KEY is set',
    );
    expect(problemsOf({ API_KEY_MANAGER_URL: 'http://manager' })).toBe(
      'demo: invalid configuration: API_KEY_MANAGER_SERVICE_KEY is required when API_KEY_MANAGER_URL is set',
    );
    expect(
      problemsOf({ API_KEY_MANAGER_URL: 'manager:8003', API_KEY_MANAGER_SERVICE_KEY: SERVICE_KEY }),
    ).toBe('demo: invalid configuration: API_KEY_MANAGER_URL must be an http(s) URL');
  });

  it('makes a client only when both are set', async () => {
    expect(createApiKeysClient({})).toBeNull();
    expect(() => createApiKeysClient({ API_KEY_MANAGER_URL: 'http://manager' })).toThrow(
      'API_KEY_MANAGER_URL and API_KEY_MANAGER_SERVICE_KEY must be set together',
    );
    const client = createApiKeysClient({
      API_KEY_MANAGER_URL: 'http://manager',
      API_KEY_MANAGER_SERVICE_KEY: SERVICE_KEY,
    });
    expect(client).toBeInstanceOf(ApiKeysClient);
    await client?.close();
  });
});

@Injectable()
class ManagedKeyConsumer {
  constructor(@Inject(API_KEYS_CLIENT) readonly keys: ApiKeysClient | null) {}
}

async function moduleWith(values: Record<string, string>) {
  return Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        skipProcessEnv: true,
        load: [() => values],
      }),
    ],
    providers: [apiKeysClientProvider({ timeoutMs: 500 }), ManagedKeyConsumer],
  }).compile();
}

describe('apiKeysClientProvider', () => {
  it('provides the configured client and closes it when the app shuts down', async () => {
    const app = await moduleWith({
      API_KEY_MANAGER_URL: 'http://127.0.0.1:9',
      API_KEY_MANAGER_SERVICE_KEY: SERVICE_KEY,
    });
    const keys = app.get(ManagedKeyConsumer).keys;
    expect(keys).toBeInstanceOf(ApiKeysClient);
    await app.close();
    await expect(keys?.verify('permas_test_x')).rejects.toMatchObject({
      reason: ApiKeyManagerFailure.CLOSED,
    });
  });

  it('provides null when the manager is not configured', async () => {
    const app = await moduleWith({});
    expect(app.get(ManagedKeyConsumer).keys).toBeNull();
    await app.close();
  });
});
