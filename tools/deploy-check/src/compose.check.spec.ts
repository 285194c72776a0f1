import { parse } from 'yaml';
import {
  type ComposeTarget,
  checkCompose,
  checkComposeSchema,
  interpolatedVariables,
  loadComposeSchema,
  parseEnvExample,
} from './compose.check';
import { APPS, readRepoFile, readRepoFileIfExists } from './repo';
import { messagesOf, rulesOf } from './violation';

type Service = Record<string, unknown>;
type Compose = { services: Record<string, Service> };

const COMPOSE_FILE = 'docker-compose.yml';
const ENV_EXAMPLE_FILE = '.env.example';
const REALM_FILE = 'deploy/keycloak/auth-platform-realm.json';

const schema = loadComposeSchema();
const composeText = readRepoFile(COMPOSE_FILE);
const envExample = readRepoFile(ENV_EXAMPLE_FILE);

function freshCompose(): Compose {
  return parse(composeText, { merge: true }) as Compose;
}

function target(compose: unknown, overrides: Partial<ComposeTarget> = {}): ComposeTarget {
  return {
    file: COMPOSE_FILE,
    compose,
    envExampleFile: ENV_EXAMPLE_FILE,
    envExample,
    apps: APPS,
    readFile: readRepoFileIfExists,
    ...overrides,
  };
}

function service(compose: Compose, name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`${COMPOSE_FILE} has no service ${name}`);
  return found;
}

function environment(compose: Compose, name: string): Record<string, string> {
  return service(compose, name)['environment'] as Record<string, string>;
}

function rulesBroken(compose: unknown, overrides: Partial<ComposeTarget> = {}): string[] {
  return rulesOf([
    ...checkComposeSchema(COMPOSE_FILE, compose, schema),
    ...checkCompose(target(compose, overrides)),
  ]);
}

function realmWith(change: (realm: { clients: { clientId: string }[]; users: unknown[] }) => void): string {
  const realm = JSON.parse(readRepoFile(REALM_FILE)) as { clients: { clientId: string }[]; users: unknown[] };
  change(realm);
  return JSON.stringify(realm);
}

describe('the repository docker-compose.yml and .env.example', () => {
  it('match the compose specification schema', () => {
    expect(messagesOf(checkComposeSchema(COMPOSE_FILE, freshCompose(), schema))).toEqual([]);
  });

  it('keep every compose rule', () => {
    expect(messagesOf(checkCompose(target(freshCompose())))).toEqual([]);
  });
});

describe('the compose rules, each broken on purpose', () => {
  const cases: readonly [string, string, (compose: Compose) => Partial<ComposeTarget> | void][] = [
    ['a misspelt service key', 'compose/schema', (c) => void (service(c, 'redis')['restrat'] = 'always')],
    ['no azurite service', 'compose/services', (c) => void delete c.services['azurite']],
    [
      'an app built from another Dockerfile',
      'compose/app-build',
      (c) => void (service(c, 'gcp-token')['build'] = { context: '.', dockerfile: 'Dockerfile' }),
    ],
    [
      'an app built from its own folder',
      'compose/app-build',
      (c) =>
        void (service(c, 'llm-proxy')['build'] = {
          context: 'apps/llm-proxy',
          dockerfile: 'apps/llm-proxy/Dockerfile',
        }),
    ],
    [
      'a service without a healthcheck',
      'compose/healthcheck',
      (c) => void delete service(c, 'redis')['healthcheck'],
    ],
    [
      'a disabled healthcheck',
      'compose/healthcheck',
      (c) => void (service(c, 'executor-auth')['healthcheck'] = { disable: true }),
    ],
    [
      'depends_on without a health condition',
      'compose/depends-on-healthy',
      (c) => void (service(c, 'llm-proxy')['depends_on'] = ['redis']),
    ],
    [
      'depends_on service_started',
      'compose/depends-on-healthy',
      (c) =>
        void (service(c, 'api-key-manager')['depends_on'] = { azurite: { condition: 'service_started' } }),
    ],
    [
      'a literal secret',
      'compose/secret-literal',
      (c) => void (environment(c, 'api-key-manager')['ADMIN_API_KEY'] = 'literal-admin-key-0123456789'),
    ],
    [
      'a secret with a literal default',
      'compose/secret-literal',
      (c) => void (environment(c, 'gcp-token')['API_KEYS'] = '${GCP_TOKEN_API_KEYS:-fallback-key}'),
    ],
    [
      'a password in a literal URL',
      'compose/secret-literal',
      (c) => void (environment(c, 'executor-auth')['UPSTREAM'] = 'https://svc:hunter2@platform.example.com'),
    ],
    [
      'a variable .env.example does not list',
      'compose/env-example-listed',
      (c) => void (environment(c, 'executor-auth')['LOG_FORMAT'] = '${LOG_FORMAT:-json}'),
    ],
    [
      'a variable removed from .env.example',
      'compose/env-example-listed',
      () => ({ envExample: envExample.replace(/^IMAGE_TAG=.*$/m, '') }),
    ],
    [
      'an .env.example variable without a comment',
      'compose/env-example-comment',
      () => ({ envExample: envExample.replace(/^# fatal, error.*\n/m, '') }),
    ],
    [
      'Keycloak not importing the realm',
      'compose/keycloak-realm',
      (c) => void (service(c, 'keycloak')['command'] = ['start-dev']),
    ],
    [
      'a realm file that does not exist',
      'compose/keycloak-realm',
      () => ({ readFile: (path) => (path === REALM_FILE ? undefined : readRepoFileIfExists(path)) }),
    ],
    [
      'a realm without the auth-manager client',
      'compose/keycloak-realm',
      () => ({
        readFile: (path) =>
          path === REALM_FILE
            ? realmWith(
                (realm) =>
                  (realm.clients = realm.clients.filter((client) => client.clientId !== 'auth-manager')),
              )
            : readRepoFileIfExists(path),
      }),
    ],
    [
      'a realm without a test user',
      'compose/keycloak-realm',
      () => ({
        readFile: (path) =>
          path === REALM_FILE ? realmWith((realm) => (realm.users = [])) : readRepoFileIfExists(path),
      }),
    ],
  ];

  it.each(cases)('%s breaks %s, and only it', (_name, rule, breakIt) => {
    const compose = freshCompose();
    const overrides = breakIt(compose) ?? {};
    expect(rulesBroken(compose, overrides)).toEqual([rule]);
  });
});

describe('parseEnvExample', () => {
  it('finds each variable, its line and whether a comment introduces it', () => {
    expect(parseEnvExample('# the port\nPORT=1\nNAME=x\n\n# quoted\nJSON=\'{"a":"b"}\'\n')).toEqual([
      { name: 'PORT', line: 2, commented: true },
      { name: 'NAME', line: 3, commented: false },
      { name: 'JSON', line: 6, commented: true },
    ]);
  });
});

describe('interpolatedVariables', () => {
  it('finds ${VAR}, ${VAR:-default}, nested defaults and $VAR, and skips $$', () => {
    expect(
      [
        ...interpolatedVariables({ a: ['${A}', '${B:-${C}}', '$D and $$E'], b: { c: '${F:?set it}' } }),
      ].sort(),
    ).toEqual(['A', 'B', 'C', 'D', 'F']);
  });
});
