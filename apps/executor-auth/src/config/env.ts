import { readFileSync } from 'node:fs';
import { defineEnv, env, z } from '@auth-platform/config';
import { baseUrlProblem, isNormalPathPrefix, platformUrlProblem } from './platform-url';

export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** One upstream platform of EXECUTOR_PROFILES, with password_file already read. */
export interface ProfileSettings {
  readonly authUrl: string;
  readonly email: string;
  readonly password: string;
  readonly baseUrl: string;
  readonly allowedPaths?: readonly string[];
}

const text = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`),
    })
    .min(1, { error: `${what} must not be empty` });
const url = (what: string, problem: (value: string) => string | undefined) =>
  text(what).superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: 'custom', message: `${what} ${found}` });
  });

const allowedPathList = z
  .array(z.string({ error: 'allowed_paths must be a list of path prefixes' }), {
    error: 'allowed_paths must be a list of path prefixes',
  })
  .superRefine((prefixes, ctx) => {
    const bad = prefixes.filter((prefix) => !isNormalPathPrefix(prefix));
    if (bad.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: `allowed_paths has prefixes not in normal form: ${bad.join(', ')}`,
      });
  });

const profileEntry = z
  .object(
    {
      auth_url: url('auth_url', platformUrlProblem),
      email: text('email'),
      password: text('password').optional(),
      password_file: text('password_file').optional(),
      base_url: url('base_url', baseUrlProblem),
      allowed_paths: allowedPathList.optional(),
    },
    { error: 'must be an object' },
  )
  .strict();

const EXPECTED_PROFILES =
  'a JSON object of profile name to {auth_url, email, password or password_file, base_url}';

function readPasswordFile(file: string): { password?: string; problem?: string } {
  try {
    const password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    return password === '' ? { problem: `password_file names an empty file (${file})` } : { password };
  } catch (error) {
    return {
      problem: `password_file names a file that cannot be read (${file}: ${(error as NodeJS.ErrnoException).code ?? 'read error'})`,
    };
  }
}

/** Each problem names the profile and the field, never a value (the entries hold passwords). */
function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.code === 'unrecognized_keys' ? `has unknown fields ${issue.keys.join(', ')}` : issue.message;
}

/** EXECUTOR_PROFILES: name → {auth_url, email, password | password_file, base_url, allowed_paths?}. */
const executorProfiles = () =>
  env
    .json(z.record(z.string(), z.unknown()), EXPECTED_PROFILES)
    .transform((entries, ctx): Record<string, ProfileSettings> => {
      const profiles: Record<string, ProfileSettings> = {};
      const problems: string[] = [];
      if (Object.keys(entries).length === 0) problems.push('must define at least one profile');
      for (const [name, entry] of Object.entries(entries)) {
        if (!PROFILE_NAME.test(name)) {
          problems.push(
            'has a profile name that is not 1-63 lower-case letters, digits, "-" or "_" (starting with a letter or digit)',
          );
          continue;
        }
        const parsed = profileEntry.safeParse(entry);
        if (!parsed.success) {
          problems.push(...parsed.error.issues.map((issue) => `profile "${name}": ${describeIssue(issue)}`));
          continue;
        }
        const { auth_url, email, password, password_file, base_url, allowed_paths } = parsed.data;
        if ((password === undefined) === (password_file === undefined)) {
          problems.push(`profile "${name}": set exactly one of password and password_file`);
          continue;
        }
        const secret = password_file === undefined ? { password } : readPasswordFile(password_file);
        if (secret.password === undefined) {
          problems.push(`profile "${name}": ${secret.problem ?? 'password is missing'}`);
          continue;
        }
        profiles[name] = {
          authUrl: auth_url,
          email,
          password: secret.password,
          baseUrl: base_url,
          allowedPaths: allowed_paths,
        };
      }
      // The config loader keeps one message per variable, so every profile's problems go into one.
      if (problems.length > 0) ctx.addIssue({ code: 'custom', message: problems.join('; ') });
      return profiles;
    });

const platformUrl = (problem: (value: string) => string | undefined) =>
  env.httpUrl().superRefine((value, ctx) => {
    const found = problem(value);
    if (found && found !== 'must be an http(s) URL') ctx.addIssue({ code: 'custom', message: found });
  });

const allowedPaths = () =>
  env.list().superRefine((prefixes, ctx) => {
    const bad = prefixes.filter((prefix) => !isNormalPathPrefix(prefix));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `has prefixes not in normal form (a '/' path without '.', '..', '//', '%', '?' or '#'): ${bad.join(', ')}`,
      });
    }
  });

/** The variables that make up the default profile; setting any of them declares one. */
export const DEFAULT_PROFILE_VARIABLES = [
  'API_AUTH_URL',
  'API_AUTH_EMAIL',
  'API_AUTH_PASSWORD',
  'API_AUTH_TOKEN',
  'API_EXECUTOR_BASE_URL',
] as const;

const spec = defineEnv({
  app: 'executor-auth',
  defaultPort: 8005,
  shape: {
    API_AUTH_URL: platformUrl(platformUrlProblem).optional(),
    API_AUTH_EMAIL: env.string().optional(),
    API_AUTH_PASSWORD: env.string().optional(),
    API_AUTH_TOKEN: env.string().optional(),
    API_AUTH_TOKEN_TTL_SECONDS: env.int({ min: 5, max: 30 * 86_400 }).prefault('3600'),
    API_EXECUTOR_BASE_URL: platformUrl(baseUrlProblem).optional(),
    API_EXECUTOR_ALLOWED_PATHS: allowedPaths().prefault(''),
    API_EXECUTOR_TIMEOUT: env.int({ min: 1, max: 600 }).prefault('30'),
    API_EXECUTOR_MAX_RETRIES: env.int({ min: 0, max: 10 }).prefault('3'),
    API_EXECUTOR_MAX_RESPONSE_BYTES: env
      .int({ min: 1024, max: 100 * 1024 * 1024 })
      .prefault(String(10 * 1024 * 1024)),
    API_EXECUTOR_MAX_CONNECTIONS: env.int({ min: 1, max: 10_000 }).prefault('128'),
    EXECUTOR_API_KEYS: env.list().optional(),
    EXECUTOR_PROFILES: executorProfiles().optional(),
  },
  secrets: ['API_AUTH_PASSWORD', 'API_AUTH_TOKEN', 'EXECUTOR_API_KEYS', 'EXECUTOR_PROFILES'],
  // A static API_AUTH_TOKEN (the seed's migration mode) stands in for the login credentials, and EXECUTOR_PROFILES
  // for the whole default profile.
  credentials: [
    { names: ['API_AUTH_URL', 'API_AUTH_TOKEN', 'EXECUTOR_PROFILES'] },
    { names: ['API_AUTH_EMAIL', 'API_AUTH_TOKEN', 'EXECUTOR_PROFILES'] },
    { names: ['API_AUTH_PASSWORD', 'API_AUTH_TOKEN', 'EXECUTOR_PROFILES'] },
    { names: ['API_EXECUTOR_BASE_URL', 'EXECUTOR_PROFILES'] },
    { names: ['EXECUTOR_API_KEYS'] },
  ],
});

type SpecValues = z.output<typeof spec.schema>;

/** What the default profile still lacks, given the variables that are set. */
export function defaultProfileMissing(
  values: Pick<SpecValues, (typeof DEFAULT_PROFILE_VARIABLES)[number]>,
): string[] {
  const needed =
    values.API_AUTH_TOKEN !== undefined
      ? ['API_EXECUTOR_BASE_URL']
      : ['API_AUTH_URL', 'API_AUTH_EMAIL', 'API_AUTH_PASSWORD', 'API_EXECUTOR_BASE_URL'];
  return needed.filter((name) => values[name as (typeof DEFAULT_PROFILE_VARIABLES)[number]] === undefined);
}

export const executorAuthEnv = {
  ...spec,
  schema: spec.schema.superRefine((values, ctx) => {
    if (
      values.API_AUTH_TOKEN !== undefined &&
      (values.API_AUTH_EMAIL !== undefined || values.API_AUTH_PASSWORD !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['API_AUTH_TOKEN'],
        message:
          'is set together with API_AUTH_EMAIL/API_AUTH_PASSWORD: keep API_AUTH_TOKEN alone for a static token, or remove it to log in',
      });
    }
    const profiles = values.EXECUTOR_PROFILES;
    const declared = DEFAULT_PROFILE_VARIABLES.filter((name) => values[name] !== undefined);
    if (!profiles || declared.length === 0) return;
    if (profiles['default']) {
      ctx.addIssue({
        code: 'custom',
        path: ['EXECUTOR_PROFILES'],
        message: `defines a "default" profile, and so do ${declared.join(', ')}: keep only one of them`,
      });
      return;
    }
    // Without EXECUTOR_PROFILES a missing variable is a missing credential (not ready, or exit in production);
    // with it, the credential rules are satisfied, so a half-configured default profile is caught here.
    for (const name of defaultProfileMissing(values)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `is required for the default profile (${declared.join(', ')} set)`,
      });
    }
  }),
};

export type ExecutorAuthEnv = z.output<typeof executorAuthEnv.schema>;
