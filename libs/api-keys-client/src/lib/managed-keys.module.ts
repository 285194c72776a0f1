import { type DynamicModule, Module } from '@nestjs/common';
import type { ApiKeysClientTuning } from './api-keys-client.env';
import { API_KEYS_CLIENT, apiKeysClientProvider } from './api-keys-client.provider';
import { ManagedKeyUsageHook } from './managed-keys';

/**
 * Managed keys for an app: the client from API_KEY_MANAGER_URL and API_KEY_MANAGER_SERVICE_KEY (null when neither
 * is set) as API_KEYS_CLIENT, and the hook that counts responses to requests marked by countManagedKeyUse.
 */
@Module({})
export class ManagedKeysModule {
  static forRoot(tuning: ApiKeysClientTuning = {}): DynamicModule {
    return {
      module: ManagedKeysModule,
      providers: [apiKeysClientProvider(tuning), ManagedKeyUsageHook],
      exports: [API_KEYS_CLIENT],
    };
  }
}
