import { z } from 'zod';
import { env, logLevel } from './env-fields';

/** A credential for a service outside the suite; satisfied when any one of `names` is set. */
export interface CredentialRequirement {
  readonly names: readonly [string, ...string[]];
}

export interface EnvSpec<S extends z.ZodRawShape = z.ZodRawShape> {
  readonly app: string;
  readonly schema: z.ZodObject<S>;
  /** Variables that may be given as `<NAME>_FILE` and are never shown. */
  readonly secrets: readonly string[];
  /** Required in production; in development the app starts and reports itself not ready until they are set. */
  readonly credentials: readonly CredentialRequirement[];
}

export type EnvValues<T extends EnvSpec> = z.output<T['schema']>;

/** The variables every app understands, with defaults that suit a developer's machine. */
function baseShape(defaultPort: number) {
  return {
    PORT: env.port().prefault(String(defaultPort)),
    NODE_ENV: env.oneOf(['development', 'production', 'test']).prefault('development'),
    LOG_LEVEL: logLevel().prefault('info'),
    CORS_ORIGINS: env.list().prefault(''),
    DOCS_ENABLED: env.bool().optional(),
    BODY_LIMIT_BYTES: env.int({ min: 1024, max: 100 * 1024 * 1024 }).prefault(String(1024 * 1024)),
    SHUTDOWN_DELAY_MS: env.int({ min: 0, max: 120_000 }).prefault('0'),
    SHUTDOWN_TIMEOUT_MS: env.int({ min: 100, max: 300_000 }).prefault('10000'),
  };
}

export type BaseEnv = z.output<z.ZodObject<ReturnType<typeof baseShape>>>;

export function defineEnv<S extends z.ZodRawShape>(definition: {
  app: string;
  defaultPort: number;
  shape: S;
  secrets?: readonly (keyof S & string)[];
  credentials?: readonly CredentialRequirement[];
}): EnvSpec<ReturnType<typeof baseShape> & S> {
  const shape = { ...baseShape(definition.defaultPort), ...definition.shape };
  return {
    app: definition.app,
    schema: z.object(shape),
    secrets: definition.secrets ?? [],
    credentials: definition.credentials ?? [],
  };
}
