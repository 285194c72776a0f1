import { DEFAULT_PROFILE_VARIABLES, type ExecutorAuthEnv, defaultProfileMissing } from '../config/env';

export const DEFAULT_PROFILE = 'default';

/** How a profile obtains its bearer token. */
export type ProfileCredentials =
  | { readonly kind: 'login'; readonly authUrl: string; readonly email: string; readonly password: string }
  | { readonly kind: 'static'; readonly token: string };

/** Which variables to check, in the words of the configuration the operator wrote. */
export interface ProfileHints {
  readonly credentials: string;
  readonly authUrl: string;
  readonly staticToken: string;
}

/** One upstream platform: where to log in, where its API lives and which paths callers may reach. */
export interface PlatformProfile {
  readonly name: string;
  readonly credentials: ProfileCredentials;
  /** Scheme, host and port of the platform API, e.g. `https://platform.example`. */
  readonly origin: string;
  /** The API root's path without a trailing '/', e.g. `/paasservice` (empty at the host root). */
  readonly basePath: string;
  /** Normalised path prefixes callers may reach; empty means everything under the API root. */
  readonly allowedPaths: readonly string[];
  readonly hints: ProfileHints;
}

/** The variables a profile is made of. */
export type ProfileVariables = Pick<
  ExecutorAuthEnv,
  (typeof DEFAULT_PROFILE_VARIABLES)[number] | 'API_EXECUTOR_ALLOWED_PATHS' | 'EXECUTOR_PROFILES'
>;

export interface PlatformProfiles {
  readonly profiles: ReadonlyMap<string, PlatformProfile>;
  /** What the default profile still lacks when it is only partly configured (development only). */
  readonly defaultMissing: readonly string[];
}

function apiRoot(baseUrl: string): { origin: string; basePath: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

function defaultProfile(values: ProfileVariables): PlatformProfile | undefined {
  const baseUrl = values.API_EXECUTOR_BASE_URL;
  if (defaultProfileMissing(values).length > 0 || baseUrl === undefined) return undefined;
  const token = values.API_AUTH_TOKEN;
  const credentials: ProfileCredentials =
    token !== undefined
      ? { kind: 'static', token }
      : {
          kind: 'login',
          authUrl: values.API_AUTH_URL ?? '',
          email: values.API_AUTH_EMAIL ?? '',
          password: values.API_AUTH_PASSWORD ?? '',
        };
  return {
    name: DEFAULT_PROFILE,
    credentials,
    ...apiRoot(baseUrl),
    allowedPaths: values.API_EXECUTOR_ALLOWED_PATHS,
    hints: {
      credentials: 'check API_AUTH_EMAIL and API_AUTH_PASSWORD',
      authUrl: 'check API_AUTH_URL',
      staticToken:
        'set a new API_AUTH_TOKEN, or API_AUTH_URL, API_AUTH_EMAIL and API_AUTH_PASSWORD to log in instead',
    },
  };
}

/** The default profile (from the plain variables) and the named ones of EXECUTOR_PROFILES. */
export function resolvePlatformProfiles(values: ProfileVariables): PlatformProfiles {
  const profiles = new Map<string, PlatformProfile>();
  const fallback = defaultProfile(values);
  if (fallback) profiles.set(fallback.name, fallback);
  for (const [name, settings] of Object.entries(values.EXECUTOR_PROFILES ?? {})) {
    const where = `profile "${name}" in EXECUTOR_PROFILES`;
    profiles.set(name, {
      name,
      credentials: {
        kind: 'login',
        authUrl: settings.authUrl,
        email: settings.email,
        password: settings.password,
      },
      ...apiRoot(settings.baseUrl),
      allowedPaths: settings.allowedPaths ?? values.API_EXECUTOR_ALLOWED_PATHS,
      hints: {
        credentials: `check the email and password of ${where}`,
        authUrl: `check auth_url of ${where}`,
        staticToken: `check ${where}`,
      },
    });
  }
  const declared = DEFAULT_PROFILE_VARIABLES.some((name) => values[name] !== undefined);
  return { profiles, defaultMissing: declared && !fallback ? defaultProfileMissing(values) : [] };
}
