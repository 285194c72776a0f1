import { type FactoryProvider, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ApiKeysClient } from './api-keys-client';
import { type ApiKeyManagerEnv, type ApiKeysClientTuning, createApiKeysClient } from './api-keys-client.env';

/** Injection token of the app's client: `@Inject(API_KEYS_CLIENT) keys: ApiKeysClient | null`. */
export const API_KEYS_CLIENT = Symbol('API_KEYS_CLIENT');

/**
 * Provides the client from API_KEY_MANAGER_URL and API_KEY_MANAGER_SERVICE_KEY (null when neither is set), logging
 * through Nest's Logger; Nest closes it on shutdown (pending usage is reported first).
 */
export function apiKeysClientProvider(
  tuning: ApiKeysClientTuning = {},
): FactoryProvider<ApiKeysClient | null> {
  return {
    provide: API_KEYS_CLIENT,
    inject: [ConfigService],
    useFactory: (config: ConfigService<ApiKeyManagerEnv, true>) =>
      createApiKeysClient(
        {
          API_KEY_MANAGER_URL: config.get('API_KEY_MANAGER_URL', { infer: true }),
          API_KEY_MANAGER_SERVICE_KEY: config.get('API_KEY_MANAGER_SERVICE_KEY', { infer: true }),
        },
        { logger: new Logger('ApiKeysClient'), ...tuning },
      ),
  };
}
