import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { BaseEnv, CredentialRequirement, EnvSpec } from './env-spec';
import { redactEnv } from './redact';

export type RawEnv = Readonly<Record<string, string | undefined>>;

export interface EnvProblem {
  readonly variable: string;
  readonly message: string;
}

export interface LoadedEnv<T = Record<string, unknown>> {
  readonly app: string;
  readonly values: T & BaseEnv;
  readonly production: boolean;
  /** Credentials a development instance is still waiting for, e.g. `API_KEY (or API_KEYS)`. */
  readonly missingCredentials: readonly string[];
  /** The effective configuration with every secret replaced, safe to log and to serve. */
  readonly redacted: Readonly<Record<string, unknown>>;
}

export class EnvValidationError extends Error {
  constructor(
    readonly app: string,
    readonly problems: readonly EnvProblem[],
  ) {
    super(`${app}: invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.name = 'EnvValidationError';
  }
}

function describeCredential(requirement: CredentialRequirement): string {
  const [first, ...others] = requirement.names;
  return others.length ? `${first} (or ${others.join(' or ')})` : first;
}

/** Reads `<NAME>_FILE` for each secret; an unset or empty variable counts as absent. */
function resolveRaw(spec: EnvSpec, source: RawEnv, problems: EnvProblem[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(spec.schema.shape)) {
    const value = source[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  for (const name of spec.secrets) {
    const file = source[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (raw[name] !== undefined) {
      problems.push({ variable: name, message: `and ${name}_FILE are both set; set only one` });
      continue;
    }
    try {
      const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (content === '') problems.push({ variable: `${name}_FILE`, message: `names an empty file (${file})` });
      else raw[name] = content;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      problems.push({ variable: `${name}_FILE`, message: `names a file that cannot be read (${file}: ${code})` });
    }
  }
  // The gcp-token seed named the environment ENVIRONMENT; honour it where NODE_ENV is not set.
  if (raw['NODE_ENV'] === undefined && source['ENVIRONMENT']) raw['NODE_ENV'] = source['ENVIRONMENT'];
  return raw;
}

/**
 * Validates the environment against an app's spec. Throws EnvValidationError naming every missing or invalid
 * variable; no message carries a value.
 */
export function loadEnv<S extends EnvSpec>(spec: S, source: RawEnv = process.env): LoadedEnv<z.output<S['schema']>> {
  const problems: EnvProblem[] = [];
  const raw = resolveRaw(spec, source, problems);
  const parsed = spec.schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      let variable = String(issue.path[0] ?? '(environment)');
      if (variable === 'NODE_ENV' && source['NODE_ENV'] === undefined) variable = 'ENVIRONMENT';
      if (!problems.some((p) => p.variable === variable)) problems.push({ variable, message: issue.message });
    }
  }
  const production = (parsed.success ? parsed.data['NODE_ENV'] : raw['NODE_ENV']?.toLowerCase()) === 'production';
  const missingCredentials = spec.credentials
    .filter((requirement) => requirement.names.every((name) => raw[name] === undefined))
    .map(describeCredential);
  if (production) {
    for (const credential of missingCredentials) {
      problems.push({ variable: credential, message: 'is required when NODE_ENV=production' });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new EnvValidationError(spec.app, problems);

  const values = parsed.data as z.output<S['schema']> & BaseEnv;
  return {
    app: spec.app,
    values,
    production,
    missingCredentials,
    redacted: redactEnv(values, spec.secrets),
  };
}
