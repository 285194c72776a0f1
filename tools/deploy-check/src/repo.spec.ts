import { readdirSync } from 'node:fs';
import { SHUTDOWN_DEFAULTS } from './manifests.check';
import { APPS, readRepoFile, readRepoFileIfExists, repoPath } from './repo';

describe('what the checks assume about the workspace', () => {
  it('APPS lists exactly the projects tagged type:app', () => {
    const apps = readdirSync(repoPath('apps'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .filter((app) =>
        (
          JSON.parse(readRepoFileIfExists(`apps/${app}/project.json`) ?? '{}') as { tags?: string[] }
        ).tags?.includes('type:app'),
      );
    expect([...apps].sort()).toEqual([...APPS].sort());
  });

  it('SHUTDOWN_DEFAULTS are the env spec defaults of libs/config', () => {
    const spec = readRepoFile('libs/config/src/lib/env-spec.ts');
    for (const [name, value] of Object.entries(SHUTDOWN_DEFAULTS)) {
      expect(spec).toMatch(new RegExp(`${name}: env\\.int\\([^)]*\\)\\.prefault\\('${value}'\\)`));
    }
  });
});
