import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { hasCredentialedUrl, isSecretName } from './secret-names';
import { type Violation, violation } from './violation';

/** The backing services the suite's compose file must run beside the apps. */
export const BACKING_SERVICES = ['postgres', 'redis', 'azurite', 'keycloak'] as const;
const REALM_IMPORT_DIRECTORY = '/opt/keycloak/data/import/';

type Mapping = Readonly<Record<string, unknown>>;

export interface ComposeTarget {
  /** Relative to the workspace: `docker-compose.yml` (its directory is the compose project directory). */
  readonly file: string;
  /** The parsed file, YAML merge keys (`<<: *app`) applied. */
  readonly compose: unknown;
  readonly envExampleFile: string;
  readonly envExample: string;
  readonly apps: readonly string[];
  /** A workspace file's text, or undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
}

export interface EnvExampleEntry {
  readonly name: string;
  /** 1-based. */
  readonly line: number;
  readonly commented: boolean;
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The compose specification's JSON schema, as dclint ships it (node_modules/dclint/schemas/compose.schema.json).
 * Its `$schema` says https://json-schema.org/draft-07/schema, a spelling of draft-07 Ajv does not know by that
 * name, so it is dropped: Ajv's default dialect is draft-07.
 */
export function loadComposeSchema(): object {
  const schemaFile = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  delete schema['$schema'];
  return schema;
}

export function checkComposeSchema(file: string, compose: unknown, schema: object): Violation[] {
  const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((error) => {
    const extra = (error.params as Record<string, unknown>)['additionalProperty'];
    return violation(
      'compose/schema',
      file,
      `does not match the compose specification: ${error.instancePath || '/'} ${error.message ?? 'is invalid'}${extra ? ` (${String(extra)})` : ''}`,
    );
  });
}

export function parseEnvExample(text: string): EnvExampleEntry[] {
  const lines = text.split(/\r?\n/);
  return lines.flatMap((line, index) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (!match?.[1]) return [];
    const previous = index > 0 ? (lines[index - 1] ?? '').trim() : '';
    return [{ name: match[1], line: index + 1, commented: previous.startsWith('#') }];
  });
}

/** Every variable compose interpolates (`${VAR}`, `${VAR:-default}`, `$VAR`; `$$` is a literal dollar). */
export function interpolatedVariables(value: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown) => {
    if (typeof node === 'string') {
      for (const match of node.replace(/\$\$/g, '').matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g))
        if (match[1]) names.add(match[1]);
    } else if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (isMapping(node)) {
      Object.values(node).forEach(visit);
    }
  };
  visit(value);
  return names;
}

/** `${VAR}`, `${VAR:?message}` or `${VAR:-}`: the whole value comes from the environment, with no literal default. */
function isPureInterpolation(value: string): boolean {
  return (
    /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*|:?-)?\}$/.test(value) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)
  );
}

function environmentOf(service: Mapping): [string, string][] {
  const environment = service['environment'];
  if (Array.isArray(environment)) {
    return environment.map((entry) => {
      const [name = '', ...rest] = String(entry).split('=');
      return [name, rest.join('=')];
    });
  }
  return isMapping(environment)
    ? Object.entries(environment).map(([name, value]) => [name, value === null ? '' : String(value)])
    : [];
}

function checkServices(file: string, services: Mapping, apps: readonly string[]): Violation[] {
  const found: Violation[] = [];
  for (const name of [...BACKING_SERVICES, ...apps]) {
    if (!isMapping(services[name]))
      found.push(violation('compose/services', file, `must define the service ${name}`));
  }
  for (const [name, service] of Object.entries(services)) {
    if (!isMapping(service)) continue;
    const healthcheck = service['healthcheck'];
    const test = isMapping(healthcheck) ? healthcheck['test'] : undefined;
    const disabled =
      !isMapping(healthcheck) ||
      healthcheck['disable'] === true ||
      test === undefined ||
      (Array.isArray(test) && test[0] === 'NONE');
    if (disabled)
      found.push(violation('compose/healthcheck', `${file}: service ${name}`, 'must have a healthcheck'));
  }
  for (const app of apps) {
    const service = services[app];
    if (!isMapping(service)) continue;
    const subject = `${file}: service ${app}`;
    const build = service['build'];
    const context = isMapping(build) ? build['context'] : build;
    const dockerfile = isMapping(build) ? build['dockerfile'] : undefined;
    if (
      typeof context !== 'string' ||
      posix.normalize(context) !== '.' ||
      dockerfile !== `apps/${app}/Dockerfile`
    ) {
      found.push(
        violation(
          'compose/app-build',
          subject,
          `must build from apps/${app}/Dockerfile with the repository root as context`,
        ),
      );
    }
    const dependsOn = service['depends_on'];
    const unhealthy = Array.isArray(dependsOn)
      ? dependsOn.map(String)
      : isMapping(dependsOn)
        ? Object.entries(dependsOn)
            .filter(([, entry]) => !isMapping(entry) || entry['condition'] !== 'service_healthy')
            .map(([name]) => name)
        : [];
    if (unhealthy.length > 0) {
      found.push(
        violation(
          'compose/depends-on-healthy',
          subject,
          `depends_on ${unhealthy.join(', ')} must use condition: service_healthy`,
        ),
      );
    }
  }
  return found;
}

function checkSecrets(file: string, services: Mapping): Violation[] {
  const found: Violation[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!isMapping(service)) continue;
    for (const [variable, value] of environmentOf(service)) {
      const secretLiteral = isSecretName(variable) && value !== '' && !isPureInterpolation(value);
      if (secretLiteral || (!isPureInterpolation(value) && hasCredentialedUrl(value))) {
        found.push(
          violation(
            'compose/secret-literal',
            `${file}: service ${name}`,
            `environment ${variable} must come from .env as \${VAR}, not a literal value`,
          ),
        );
      }
    }
  }
  return found;
}

function checkEnvExample(target: ComposeTarget, entries: readonly EnvExampleEntry[]): Violation[] {
  const listed = new Set(entries.map((entry) => entry.name));
  const found: Violation[] = [];
  for (const name of [...interpolatedVariables(target.compose)].sort()) {
    if (!listed.has(name)) {
      found.push(
        violation(
          'compose/env-example-listed',
          target.file,
          `interpolates \${${name}}, which ${target.envExampleFile} does not list`,
        ),
      );
    }
  }
  for (const entry of entries) {
    if (!entry.commented) {
      found.push(
        violation(
          'compose/env-example-comment',
          `${target.envExampleFile}:${entry.line}`,
          `${entry.name} needs a comment line above it`,
        ),
      );
    }
  }
  return found;
}

/** A bind mount's host path when it is mounted into Keycloak's import directory. */
function realmMount(volume: unknown): string | undefined {
  if (typeof volume === 'string') {
    const [source, target] = volume.split(':');
    return source && target?.startsWith(REALM_IMPORT_DIRECTORY) ? source : undefined;
  }
  if (
    isMapping(volume) &&
    typeof volume['source'] === 'string' &&
    String(volume['target']).startsWith(REALM_IMPORT_DIRECTORY)
  ) {
    return volume['source'];
  }
  return undefined;
}

function realmProblem(text: string | undefined): string | undefined {
  if (text === undefined) return 'does not exist';
  let realm: unknown;
  try {
    realm = JSON.parse(text);
  } catch {
    return 'is not valid JSON';
  }
  if (!isMapping(realm)) return 'is not a realm object';
  const clients = Array.isArray(realm['clients']) ? realm['clients'] : [];
  if (!clients.some((client) => isMapping(client) && client['clientId'] === 'auth-manager'))
    return 'has no client auth-manager';
  const users = Array.isArray(realm['users']) ? realm['users'] : [];
  const testUser = users.some(
    (user) =>
      isMapping(user) &&
      user['serviceAccountClientId'] === undefined &&
      Array.isArray(user['credentials']) &&
      user['credentials'].some((credential) => isMapping(credential) && credential['type'] === 'password'),
  );
  return testUser ? undefined : 'has no test user with a password';
}

function checkKeycloak(file: string, services: Mapping, readFile: ComposeTarget['readFile']): Violation[] {
  const keycloak = services['keycloak'];
  if (!isMapping(keycloak)) return [];
  const subject = `${file}: service keycloak`;
  const command = keycloak['command'];
  const commandText = Array.isArray(command) ? command.join(' ') : String(command ?? '');
  const volumes = Array.isArray(keycloak['volumes']) ? keycloak['volumes'] : [];
  const realmFile = volumes.map(realmMount).find((source) => source !== undefined);
  if (!/--import-realm\b/.test(commandText) || !realmFile) {
    return [
      violation(
        'compose/keycloak-realm',
        subject,
        `must run with --import-realm and mount a realm file into ${REALM_IMPORT_DIRECTORY}`,
      ),
    ];
  }
  const path = posix.normalize(posix.join(posix.dirname(file), realmFile));
  const problem = realmProblem(readFile(path));
  return problem ? [violation('compose/keycloak-realm', subject, `the realm file ${path} ${problem}`)] : [];
}

/** The compose rules beyond the schema: services, builds, health, secrets, .env.example and the Keycloak realm. */
export function checkCompose(target: ComposeTarget): Violation[] {
  const compose = isMapping(target.compose) ? target.compose : {};
  const services = isMapping(compose['services']) ? compose['services'] : {};
  return [
    ...checkServices(target.file, services, target.apps),
    ...checkSecrets(target.file, services),
    ...checkEnvExample(target, parseEnvExample(target.envExample)),
    ...checkKeycloak(target.file, services, target.readFile),
  ];
}
