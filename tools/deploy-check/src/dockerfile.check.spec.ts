import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildContextSources, checkDockerfile, runtimeRecipe } from './dockerfile.check';
import {
  type DockerignoreTarget,
  checkDockerignore,
  isIgnored,
  parseDockerignore,
} from './dockerignore.check';
import { APPS, appDefaultPort, readRepoFile, repoPath } from './repo';
import { messagesOf, rulesOf } from './violation';

const dockerfileOf = (app: string) => `apps/${app}/Dockerfile`;

describe('the repository Dockerfiles', () => {
  it.each(APPS)('apps/%s/Dockerfile keeps every rule', (app) => {
    const file = dockerfileOf(app);
    expect(messagesOf(checkDockerfile(readRepoFile(file), { file, app, port: appDefaultPort(app) }))).toEqual(
      [],
    );
  });

  it.each(APPS)('apps/%s/Dockerfile says how its runtime stage installs and starts the app', (app) => {
    const recipe = runtimeRecipe(readRepoFile(dockerfileOf(app)), dockerfileOf(app));
    expect(recipe.install.slice(0, 3)).toEqual(['npm', 'ci', '--omit=dev']);
    expect(recipe.cmd).toEqual(['node', 'main.js']);
    expect(recipe.env).toMatchObject({ NODE_ENV: 'production', PORT: String(appDefaultPort(app)) });
  });
});

describe('the Dockerfile rules, each broken on purpose in apps/gcp-token/Dockerfile', () => {
  const file = dockerfileOf('gcp-token');
  const original = readRepoFile(file);
  const runtimeFrom = /^FROM (\S+) AS runtime$/m;
  const target = { file, app: 'gcp-token', port: appDefaultPort('gcp-token') };

  /** Replaces exactly one occurrence, so a case never silently stops breaking anything. */
  const replaceOnce = (text: string, search: string | RegExp, replacement: string) => {
    const count =
      typeof search === 'string'
        ? text.split(search).length - 1
        : (text.match(new RegExp(search, `${search.flags.replace('g', '')}g`)) ?? []).length;
    if (count !== 1) throw new Error(`${String(search)} occurs ${count} times in ${file}`);
    return text.replace(search, replacement);
  };
  const runtimeStage = (text: string) => text.slice(text.search(runtimeFrom));

  const cases: readonly [string, string, () => string][] = [
    [
      'a single stage',
      'dockerfile/multi-stage',
      () => runtimeStage(original).replace(/--from=build \/workspace\//g, ''),
    ],
    [
      'a build stage that builds another app',
      'dockerfile/nx-build',
      () => replaceOnce(original, 'nx build gcp-token', 'nx build llm-proxy'),
    ],
    [
      'a runtime image without an exact version',
      'dockerfile/base-image-pinned',
      () => replaceOnce(original, runtimeFrom, 'FROM node:24-trixie-slim AS runtime'),
    ],
    [
      'an odd (non-LTS) Node major',
      'dockerfile/base-image-lts',
      () => replaceOnce(original, runtimeFrom, 'FROM node:23.11.1-slim AS runtime'),
    ],
    [
      'a full (not slim) Node image',
      'dockerfile/base-image-lts',
      () => replaceOnce(original, runtimeFrom, 'FROM node:24.22.3-trixie AS runtime'),
    ],
    [
      'sources copied into the runtime stage',
      'dockerfile/runtime-copies',
      () => replaceOnce(original, 'USER node', 'COPY apps/gcp-token/src ./src\nUSER node'),
    ],
    [
      'the build stage node_modules copied',
      'dockerfile/runtime-copies',
      () =>
        replaceOnce(
          original,
          'USER node',
          'COPY --from=build /workspace/node_modules ./node_modules\nUSER node',
        ),
    ],
    [
      'dev dependencies installed',
      'dockerfile/production-install',
      () => replaceOnce(original, ' --omit=dev', ''),
    ],
    [
      'NODE_ENV development',
      'dockerfile/node-env',
      () => replaceOnce(original, 'NODE_ENV=production', 'NODE_ENV=development'),
    ],
    ['running as root', 'dockerfile/user', () => replaceOnce(original, 'USER node\n', '')],
    [
      'a healthcheck on another path',
      'dockerfile/healthcheck',
      () => replaceOnce(original, "'/health/live'", "'/health'"),
    ],
    [
      'a shell-form CMD',
      'dockerfile/cmd-exec-form',
      () => replaceOnce(original, 'CMD ["node", "main.js"]', 'CMD node main.js'),
    ],
    [
      'no revision label',
      'dockerfile/oci-labels',
      () => replaceOnce(original, /^\s*org\.opencontainers\.image\.revision=.*\n/m, ''),
    ],
    [
      'another app title',
      'dockerfile/oci-labels',
      () => replaceOnce(original, 'image.title="gcp-token"', 'image.title="token"'),
    ],
    ['another port exposed', 'dockerfile/expose', () => replaceOnce(original, 'EXPOSE 8001', 'EXPOSE 8080')],
    [
      'ENV PORT unlike the exposed port',
      'dockerfile/expose',
      () => replaceOnce(original, 'PORT=8001', 'PORT=3000'),
    ],
  ];

  it('the unbroken file passes', () => {
    expect(rulesOf(checkDockerfile(original, target))).toEqual([]);
  });

  it.each(cases)('%s breaks %s, and only it', (_name, rule, breakIt) => {
    expect(rulesOf(checkDockerfile(breakIt(), target))).toEqual([rule]);
  });
});

/** What the Dockerfiles COPY from the context, as files: each source itself, and for a folder a few files inside. */
function buildInputs(): string[] {
  const sources = [...new Set(APPS.flatMap((app) => buildContextSources(readRepoFile(dockerfileOf(app)))))];
  return sources.flatMap((source) => {
    const full = repoPath(source);
    if (!existsSync(full) || !statSync(full).isDirectory()) return [source];
    const inside = readdirSync(full, { recursive: true, encoding: 'utf8' })
      .filter((path) => !path.split('/').includes('node_modules') && statSync(join(full, path)).isFile())
      .slice(0, 20);
    return [source, ...inside.map((path) => `${source}/${path}`)];
  });
}

describe('.dockerignore', () => {
  const file = '.dockerignore';
  const original = readRepoFile(file);
  const target: DockerignoreTarget = {
    file,
    buildInputs: buildInputs(),
    projectDirectories: [...APPS.map((app) => `apps/${app}`), 'libs/config'],
  };

  it('the repository file keeps every rule', () => {
    expect(messagesOf(checkDockerignore(original, target))).toEqual([]);
  });

  it.each([
    ['.env inside an app let in', 'dockerignore/excludes', original.replace(/^\*\*\/\.env$/m, '')],
    ['node_modules of a lib let in', 'dockerignore/excludes', original.replace(/^\*\*\/node_modules$/m, '')],
    ['.git let in', 'dockerignore/excludes', `${original}\n!.git\n`],
    ['libs left out of the context', 'dockerignore/build-inputs', `${original}\nlibs\n`],
  ])('%s breaks %s, and only it', (_name, rule, text) => {
    expect(text).not.toBe(original);
    expect(rulesOf(checkDockerignore(text, target))).toEqual([rule]);
  });

  it('matches as Docker does: the last matching pattern wins, parents count, ** spans folders', () => {
    const patterns = parseDockerignore('*\n!apps/\n**/node_modules\n!apps/keep/node_modules\n');
    expect(isIgnored(patterns, 'README.md')).toBe(true);
    expect(isIgnored(patterns, 'apps/a/src/main.ts')).toBe(false);
    expect(isIgnored(patterns, 'apps/a/node_modules/x/index.js')).toBe(true);
    expect(isIgnored(patterns, 'apps/keep/node_modules/x.js')).toBe(false);
  });
});
