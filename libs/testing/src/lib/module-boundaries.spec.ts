import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './app-process';

/** Lints a would-be file through the workspace's real ESLint config, as `npm run lint` would. */
function lintAs(filePath: string, source: string): { code: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [join(WORKSPACE_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', filePath],
    { cwd: WORKSPACE_ROOT, input: source, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', NX_DAEMON: 'false' } },
  );
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('module boundaries (ESLint, @nx/enforce-module-boundaries)', () => {
  it("fails when an app imports another app's file", () => {
    const result = lintAs('apps/llm-proxy/src/leak.ts', "export { gcpTokenEnv } from '../../gcp-token/src/config/env';\n");
    expect(result.code).toBe(1);
    expect(result.output).toContain('@nx/enforce-module-boundaries');
  });

  it('fails when a lib imports a lib by a relative path instead of its barrel', () => {
    const result = lintAs('libs/platform/src/lib/leak.ts', "export { loadEnv } from '../../../config/src/lib/load-env';\n");
    expect(result.code).toBe(1);
    expect(result.output).toContain('@nx/enforce-module-boundaries');
  });

  it('fails when a shared lib imports the test helpers', () => {
    const result = lintAs('libs/config/src/lib/leak.ts', "export { freePort } from '@auth-platform/testing';\n");
    expect(result.code).toBe(1);
    expect(result.output).toContain('@nx/enforce-module-boundaries');
  });

  it('passes when an app imports a shared lib through its alias', () => {
    const result = lintAs('apps/llm-proxy/src/fine.ts', "export { loadEnv } from '@auth-platform/config';\n");
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
