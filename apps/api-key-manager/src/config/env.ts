import { defineEnv, env, z } from '@auth-platform/config';
import { StorageConnectionError, parseStorageConnection } from '../storage/storage-connection';

export type SasPermission = 'r' | 'a' | 'u' | 'd';

/** A table SAS_ALLOWED_TABLES lets keys ask SAS tokens for, and the most those tokens may do there. */
export interface SasTableRule {
  readonly table: string;
  readonly permissions: readonly SasPermission[];
}

const SAS_RULE = /^([A-Za-z][A-Za-z0-9]{2,62})(?::([raud]+))?$/;

/** `Orders,Customers:ra`: a table alone allows reading; after a colon, the permission letters (r, a, u, d). */
const sasTableRules = () =>
  env.list().transform((entries, ctx): SasTableRule[] => {
    const rules: SasTableRule[] = [];
    entries.forEach((entry, index) => {
      const match = SAS_RULE.exec(entry);
      const table = match?.[1];
      if (!match || table === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `entry #${index + 1} must be a table name (3-63 letters or digits, starting with a letter), optionally followed by :permissions from r, a, u, d`,
        });
        return;
      }
      const letters = [...new Set((match[2] ?? 'r').split(''))] as SasPermission[];
      rules.push({ table, permissions: letters });
    });
    return rules;
  });

/** Parsed at boot, so a malformed string stops the app with the reason (never the value, which holds the key). */
const storageConnection = () =>
  env.string().transform((value, ctx) => {
    try {
      return parseStorageConnection(value);
    } catch (error) {
      if (!(error instanceof StorageConnectionError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });

const hourMinute = () =>
  z
    .string({ error: 'is required' })
    .trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a UTC time of day as HH:MM (00:00-23:59)' })
    .transform((value) => {
      const [hours, minutes] = value.split(':').map(Number) as [number, number];
      return hours * 60 + minutes;
    });

const definition = defineEnv({
  app: 'api-key-manager',
  defaultPort: 8003,
  shape: {
    AZURE_STORAGE_CONNECTION_STRING: storageConnection().optional(),
    STORAGE_TABLE_PREFIX: env
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,40}$/, { error: 'must be 3-41 letters or digits, starting with a letter' })
      .prefault('apikeys'),
    ADMIN_API_KEY: env.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    VERIFY_API_KEYS: env.list().optional(),
    API_KEY_HASH_PEPPER: env.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    API_KEY_PREFIX: env
      .string()
      .regex(/^[a-z][a-z0-9]{1,15}$/, { error: 'must be 2-16 characters: a lowercase letter, then lowercase letters or digits' })
      .prefault('permas'),
    VERIFY_CACHE_TTL_MS: env.int({ min: 0, max: 4000 }).prefault('2000'),
    VERIFY_CACHE_MAX_ENTRIES: env.int({ min: 100, max: 10_000_000 }).prefault('100000'),
    USAGE_FLUSH_INTERVAL_MS: env.int({ min: 100, max: 300_000 }).prefault('5000'),
    USAGE_EXPORT_CONTAINER: env
      .string()
      .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, {
        error: 'must be a blob container name: 3-63 lowercase letters, digits or single hyphens, not starting or ending with a hyphen',
      })
      .prefault('api-key-usage'),
    USAGE_EXPORT_ENABLED: env.bool().prefault('true'),
    USAGE_EXPORT_AT_UTC: hourMinute().prefault('00:10'),
    SAS_ALLOWED_TABLES: sasTableRules().prefault(''),
    SAS_DEFAULT_TTL_SECONDS: env.int({ min: 60, max: 3600 }).prefault('900'),
    RATE_LIMIT_REQUESTS: env.int({ min: 1, max: 1_000_000 }).prefault('100'),
    RATE_LIMIT_WINDOW_MS: env.int({ min: 1000, max: 86_400_000 }).prefault('60000'),
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    STORAGE_TIMEOUT_MS: env.int({ min: 100, max: 60_000 }).prefault('2000'),
    MAX_RETRIES: env.int({ min: 0, max: 10 }).prefault('3'),
    RETRY_BACKOFF_MS: env.int({ min: 1, max: 10_000 }).prefault('100'),
    CIRCUIT_BREAKER_THRESHOLD: env.int({ min: 1, max: 1000 }).prefault('5'),
    CIRCUIT_BREAKER_TIMEOUT: env.int({ min: 1, max: 600 }).prefault('30'),
  },
  secrets: ['AZURE_STORAGE_CONNECTION_STRING', 'ADMIN_API_KEY', 'VERIFY_API_KEYS', 'API_KEY_HASH_PEPPER', 'REDIS_URL'],
  credentials: [{ names: ['ADMIN_API_KEY'] }, { names: ['API_KEY_HASH_PEPPER'] }],
});

/**
 * The connection string is required in production only: a development instance without one runs its own Azurite
 * (see LocalAzurite), so it is not a credential the instance waits for.
 */
export const apiKeyManagerEnv = {
  ...definition,
  schema: definition.schema.superRefine((values, ctx) => {
    if (values.NODE_ENV === 'production' && values.AZURE_STORAGE_CONNECTION_STRING === undefined) {
      ctx.addIssue({ code: 'custom', path: ['AZURE_STORAGE_CONNECTION_STRING'], message: 'is required when NODE_ENV=production' });
    }
  }),
};

export type ApiKeyManagerEnv = z.output<typeof apiKeyManagerEnv.schema>;
