import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { EnvSpec } from './env-spec';
import { type LoadedEnv, type RawEnv, loadEnv } from './load-env';

/** Injection token for the app's LoadedEnv (values, missing credentials, redacted view). */
export const LOADED_ENV = Symbol('LOADED_ENV');

const memo = new WeakMap<EnvSpec, { fingerprint: string; loaded: LoadedEnv }>();

function fingerprint(spec: EnvSpec, source: RawEnv): string {
  const names = Object.keys(spec.schema.shape).concat(spec.secrets.map((name) => `${name}_FILE`));
  return JSON.stringify(names.map((name) => source[name] ?? null));
}

/**
 * Loads the env for a spec once per distinct environment: the bootstrap's early check, the ConfigService and
 * the LOADED_ENV provider all share one validated result.
 */
export function resolveEnv<S extends EnvSpec>(spec: S, source: RawEnv = process.env): LoadedEnv {
  const key = fingerprint(spec, source);
  const cached = memo.get(spec);
  if (cached?.fingerprint === key) return cached.loaded;
  const loaded = loadEnv(spec, source) as LoadedEnv;
  memo.set(spec, { fingerprint: key, loaded });
  return loaded;
}

@Module({})
export class AppConfigModule {
  /**
   * Global config for an app: `ConfigService` (from @nestjs/config) answers with validated, typed values only,
   * never raw process.env, and LOADED_ENV gives the missing credentials and the redacted view.
   */
  static forRoot(spec: EnvSpec): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          cache: true,
          load: [() => resolveEnv(spec).values],
        }),
      ],
      providers: [{ provide: LOADED_ENV, useFactory: () => resolveEnv(spec) }],
      exports: [LOADED_ENV],
    };
  }
}
