import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');

/** The five deployable apps; apps.spec.ts proves the list matches the workspace's `type:app` projects. */
export const APPS = ['gcp-token', 'llm-proxy', 'api-key-manager', 'auth-manager', 'executor-auth'] as const;
export type AppName = (typeof APPS)[number];

export function repoPath(...segments: string[]): string {
  return join(WORKSPACE_ROOT, ...segments);
}

export function readRepoFile(path: string): string {
  return readFileSync(repoPath(path), 'utf8');
}

/** A repository file's text, or undefined when it does not exist: what the checkers get to look files up. */
export function readRepoFileIfExists(path: string): string | undefined {
  const full = repoPath(path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

/** Every directory under `root` (inclusive) holding a file called `name`, relative to the workspace, sorted. */
export function directoriesWith(root: string, name: string): string[] {
  const found: string[] = [];
  const walk = (directory: string) => {
    const entries = readdirSync(directory, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && entry.name === name))
      found.push(relative(WORKSPACE_ROOT, directory));
    for (const entry of entries) if (entry.isDirectory()) walk(join(directory, entry.name));
  };
  walk(root);
  return found.sort();
}

/** The port an app listens on by default: `defaultPort` in apps/<app>/src/config/env.ts. */
export function appDefaultPort(app: string): number {
  const source = readRepoFile(`apps/${app}/src/config/env.ts`);
  const match = /defaultPort:\s*(\d+)/.exec(source);
  if (!match?.[1]) throw new Error(`apps/${app}/src/config/env.ts: no defaultPort found`);
  return Number(match[1]);
}
