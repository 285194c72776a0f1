import { env, z } from '@auth-platform/config';
import { ApiKeysClient, type ApiKeysClientOptions } from './api-keys-client';

/** The two variables every app that accepts managed keys reads; spread into its `defineEnv({ shape })`. */
export const apiKeyManagerEnvShape = {
  /** api-key-manager's base URL, e.g. `http://api-key-manager:8003`. */
  API_KEY_MANAGER_URL: env.httpUrl().optional(),
  /** One of the manager's VERIFY_API_KEYS (or API_KEY_MANAGER_SERVICE_KEY_FILE). */
  API_KEY_MANAGER_SERVICE_KEY: env.string().optional(),
};

/** Spread into `defineEnv({ secrets })`: the service key may come from `_FILE` and is never shown. */
export const API_KEY_MANAGER_SECRETS = ['API_KEY_MANAGER_SERVICE_KEY'] as const;

export interface ApiKeyManagerEnv {
  readonly API_KEY_MANAGER_URL?: string;
  readonly API_KEY_MANAGER_SERVICE_KEY?: string;
}

/**
 * The rule the two variables keep together (both set, or neither), for an app's schema:
 * `{ ...spec, schema: spec.schema.superRefine(checkApiKeyManagerEnv) }`. The message names the variable only.
 */
export function checkApiKeyManagerEnv(values: ApiKeyManagerEnv, ctx: z.RefinementCtx): void {
  const url = values.API_KEY_MANAGER_URL !== undefined;
  const key = values.API_KEY_MANAGER_SERVICE_KEY !== undefined;
  if (url && !key) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEY_MANAGER_SERVICE_KEY'],
      message: 'is required when API_KEY_MANAGER_URL is set',
    });
  }
  if (key && !url) {
    ctx.addIssue({
      code: 'custom',
      path: ['API_KEY_MANAGER_URL'],
      message: 'is required when API_KEY_MANAGER_SERVICE_KEY is set',
    });
  }
}

export type ApiKeysClientTuning = Omit<ApiKeysClientOptions, 'baseUrl' | 'serviceKey'>;

/** A client for the configured manager, or null when neither variable is set (managed keys are off). */
export function createApiKeysClient(
  values: ApiKeyManagerEnv,
  tuning: ApiKeysClientTuning = {},
): ApiKeysClient | null {
  const { API_KEY_MANAGER_URL: baseUrl, API_KEY_MANAGER_SERVICE_KEY: serviceKey } = values;
  if (baseUrl === undefined && serviceKey === undefined) return null;
  if (baseUrl === undefined || serviceKey === undefined) {
    throw new TypeError('API_KEY_MANAGER_URL and API_KEY_MANAGER_SERVICE_KEY must be set together');
  }
  return new ApiKeysClient({ ...tuning, baseUrl, serviceKey });
}
