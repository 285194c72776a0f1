import { type EnvSpec, defineEnv, env, z } from '@auth-platform/config';
import { keycloakAdminBaseUrl, keycloakIssuer } from './keycloak';

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const MIN_API_KEY_LENGTH = 16;

const vaultKey = () => env.string().regex(HEX_KEY, { error: 'must be 64 hex characters (32 bytes)' });

const previousVaultKeys = () =>
  env.list().refine((keys) => keys.every((key) => HEX_KEY.test(key)), {
    error: 'must be a comma-separated list of keys of 64 hex characters (32 bytes) each',
  });

const apiKeys = () =>
  env.list().refine((keys) => keys.length > 0 && keys.every((key) => key.length >= MIN_API_KEY_LENGTH), {
    error: `must be a comma-separated list of keys of at least ${MIN_API_KEY_LENGTH} characters each`,
  });

const base = defineEnv({
  app: 'auth-manager',
  defaultPort: 8004,
  shape: {
    DATABASE_URL: env.url(['postgres', 'postgresql']).optional(),
    AUTH_MANAGER_DB_POOL_SIZE: env.int({ min: 1, max: 100 }).prefault('10'),
    AUTH_MANAGER_EMBEDDED_DB_DIR: env.string().prefault('.data/auth-manager'),
    KEYCLOAK_SERVER_URL: env.httpUrl().optional(),
    KEYCLOAK_REALM: env
      .string()
      .regex(/^[A-Za-z0-9._~-]+$/, { error: 'must be a realm name (letters, digits, . _ ~ -)' })
      .optional(),
    KEYCLOAK_ISSUER: env.httpUrl().optional(),
    KEYCLOAK_CLIENT_ID: env.string().optional(),
    KEYCLOAK_CLIENT_SECRET: env.string().optional(),
    KEYCLOAK_REDIRECT_URI: env.httpUrl().optional(),
    KEYCLOAK_ADMIN_CLIENT_ID: env.string().optional(),
    KEYCLOAK_ADMIN_CLIENT_SECRET: env.string().optional(),
    AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY: vaultKey().optional(),
    AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS: previousVaultKeys().prefault(''),
    STATE_TOKEN_SECRET: env
      .string()
      .min(32, { error: 'must be at least 32 characters (e.g. from `openssl rand -base64 32`)' })
      .optional(),
    AUTH_MANAGER_API_KEYS: apiKeys().optional(),
    AUTH_MANAGER_ACCESS_TOKEN_MIN_VALIDITY_SECONDS: env.int({ min: 0, max: 3600 }).prefault('30'),
    AUTH_MANAGER_PROVIDER_TIMEOUT_SECONDS: env.int({ min: 1, max: 120 }).prefault('10'),
    AUTH_MANAGER_OFFLINE_STATE_TTL_SECONDS: env.int({ min: 60, max: 3600 }).prefault('600'),
  },
  secrets: [
    'DATABASE_URL',
    'KEYCLOAK_CLIENT_SECRET',
    'KEYCLOAK_ADMIN_CLIENT_SECRET',
    'AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY',
    'AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS',
    'STATE_TOKEN_SECRET',
    'AUTH_MANAGER_API_KEYS',
  ],
  credentials: [
    { names: ['KEYCLOAK_ISSUER', 'KEYCLOAK_SERVER_URL'] },
    { names: ['KEYCLOAK_CLIENT_ID'] },
    { names: ['KEYCLOAK_CLIENT_SECRET'] },
    { names: ['AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY'] },
    { names: ['STATE_TOKEN_SECRET'] },
    { names: ['AUTH_MANAGER_API_KEYS'] },
  ],
});

type Values = z.output<typeof base.schema>;

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** https, or http to this machine (a sidecar or a local stand-in): tokens never cross a network in clear. */
export function isSecureIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return url.protocol === 'https:' || LOOPBACK_HOSTS.test(url.hostname);
}

/** Rules that involve several variables; each message names the variable and never quotes a value. */
function checkCombinations(values: Values, ctx: z.RefinementCtx): void {
  const problem = (variable: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [variable], message });
  const production = values.NODE_ENV === 'production';
  if (production && !values.DATABASE_URL) {
    problem(
      'DATABASE_URL',
      'is required when NODE_ENV=production (the embedded database is for development only)',
    );
  }
  if (values.KEYCLOAK_SERVER_URL && !values.KEYCLOAK_REALM) {
    problem('KEYCLOAK_REALM', 'is required with KEYCLOAK_SERVER_URL (the issuer is <server>/realms/<realm>)');
  }
  if (values.KEYCLOAK_REALM && !values.KEYCLOAK_SERVER_URL && !values.KEYCLOAK_ISSUER) {
    problem('KEYCLOAK_SERVER_URL', 'is required with KEYCLOAK_REALM');
  }
  if (values.KEYCLOAK_ISSUER && values.KEYCLOAK_SERVER_URL && values.KEYCLOAK_REALM) {
    const derived = keycloakIssuer({
      KEYCLOAK_SERVER_URL: values.KEYCLOAK_SERVER_URL,
      KEYCLOAK_REALM: values.KEYCLOAK_REALM,
    });
    if (derived?.replace(/\/+$/, '') !== values.KEYCLOAK_ISSUER.replace(/\/+$/, '')) {
      problem('KEYCLOAK_ISSUER', 'does not match KEYCLOAK_SERVER_URL + KEYCLOAK_REALM; set one or the other');
    }
  }
  const issuer = keycloakIssuer(values);
  if (production && issuer && !isSecureIssuer(issuer)) {
    problem(
      values.KEYCLOAK_ISSUER ? 'KEYCLOAK_ISSUER' : 'KEYCLOAK_SERVER_URL',
      'must be an https URL when NODE_ENV=production (plain http only on a loopback address)',
    );
  }
  if (values.KEYCLOAK_ADMIN_CLIENT_ID && !values.KEYCLOAK_ADMIN_CLIENT_SECRET) {
    problem('KEYCLOAK_ADMIN_CLIENT_SECRET', 'is required with KEYCLOAK_ADMIN_CLIENT_ID');
  }
  if (values.KEYCLOAK_ADMIN_CLIENT_SECRET && !values.KEYCLOAK_ADMIN_CLIENT_ID) {
    problem('KEYCLOAK_ADMIN_CLIENT_ID', 'is required with KEYCLOAK_ADMIN_CLIENT_SECRET');
  }
  if (values.KEYCLOAK_ADMIN_CLIENT_ID && issuer && !keycloakAdminBaseUrl(values)) {
    problem(
      'KEYCLOAK_ADMIN_CLIENT_ID',
      'needs a Keycloak issuer of the form <server>/realms/<realm> for the admin API',
    );
  }
  if (
    values.AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS.length > 0 &&
    !values.AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY
  ) {
    problem(
      'AUTH_MANAGER_TOKEN_VAULT_PREVIOUS_KEYS',
      'needs AUTH_MANAGER_TOKEN_VAULT_ENCRYPTION_KEY (the current key)',
    );
  }
}

export const authManagerEnv = {
  ...base,
  schema: base.schema.superRefine(checkCombinations),
} satisfies EnvSpec;

export type AuthManagerEnv = z.output<typeof authManagerEnv.schema>;
