import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { APPS } from './repo';

export type KustomizeBuild =
  { readonly ok: true; readonly objects: unknown[] } | { readonly ok: false; readonly error: string };

/** The overlays these checks cover, and what each must hold. */
export interface Overlay {
  /** Relative to the workspace, e.g. `k8s/overlays/prod/gcp-token`. */
  readonly directory: string;
  readonly apps: readonly string[];
  readonly production: boolean;
}

const KUBECTL_MISSING =
  'kubectl is required for `kubectl kustomize` and is not on PATH: install it (Debian: apt-get install kubernetes-client; .ci/run does it)';

/** An overlay directory: a per-app overlay holds that app, an environment's top-level overlay holds all five. */
export function describeOverlay(directory: string): Overlay {
  const name = basename(directory);
  const app = (APPS as readonly string[]).includes(name) ? name : undefined;
  const environment = app ? basename(dirname(directory)) : name;
  return { directory, apps: app ? [app] : [...APPS], production: environment === 'prod' };
}

/** `kubectl kustomize <directory>` run in `cwd`; its objects, or kubectl's error. Throws when kubectl is absent. */
export function kustomizeBuild(directory: string, cwd: string): KustomizeBuild {
  const result = spawnSync('kubectl', ['kustomize', directory], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw result.error;
  }
  if (result.status !== 0) return { ok: false, error: (result.stderr || result.stdout).trim() };
  const documents = parseAllDocuments(result.stdout);
  const objects: unknown[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    if (document.errors.length > 0)
      return { ok: false, error: `unparsable output: ${document.errors[0]?.message}` };
    const object: unknown = document.toJS();
    if (object !== null && object !== undefined) objects.push(object);
  }
  return { ok: true, objects };
}

/** `kubectl version --client` output, for messages; throws when kubectl is absent. */
export function kubectlVersion(): string {
  const result = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (result.error) {
    if ((result.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(KUBECTL_MISSING);
    throw result.error;
  }
  return result.stdout.trim();
}

/**
 * The overlays use kustomize's `labels` and inline `patches`, which kustomize 4.2+ understands. kubectl 1.20
 * (Debian bookworm's kubernetes-client) embeds kustomize 2.0.3 and says nothing about its version.
 */
export function kustomizeVersionProblem(versionOutput: string): string | undefined {
  const match = /Kustomize Version:\s*v?(\d+)\.(\d+)/.exec(versionOutput);
  if (!match)
    return `kubectl embeds a kustomize older than 4.2, which cannot build these overlays (${versionOutput.split('\n')[0]}); install kubectl 1.24 or newer`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 4 || (major === 4 && minor >= 2)
    ? undefined
    : `kubectl embeds kustomize ${major}.${minor}, older than 4.2, which cannot build these overlays; install kubectl 1.24 or newer`;
}
