import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, type AppName } from '../src/repo';
import { type InstalledApp, inLanes, installLikeTheImage, startLikeTheImage } from './support/image-runtime';
import { PRODUCTION_ENVIRONMENTS, requireRedis } from './support/production-environments';

/**
 * Each built app as its image runs it: the package.json and lockfile Nx generated, installed with production
 * dependencies only (the Dockerfile's own npm command) into a folder outside the workspace, then the Dockerfile's
 * CMD with NODE_ENV=production. A dependency missing from the generated package.json fails here, not in a cluster.
 */
describe('each app boots from its production install, as its image runs it', () => {
  // npm ci is the slow part: two apps install at a time while the earlier ones boot.
  const installs = inLanes(APPS, 2, installLikeTheImage);

  beforeAll(() => requireRedis());

  afterAll(async () => {
    const settled = await Promise.allSettled(installs.values());
    for (const result of settled) if (result.status === 'fulfilled') result.value.remove();
  });

  // Run first, while executor-auth's install is still there: proves a require the install cannot satisfy fails,
  // rather than being satisfied from the workspace's node_modules.
  it('a package missing from the production install stops the boot', async () => {
    const installed: InstalledApp = await (installs.get('executor-auth') ??
      installLikeTheImage('executor-auth'));
    const environment = await PRODUCTION_ENVIRONMENTS['executor-auth']();
    const present = join(installed.directory, 'node_modules', '@nestjs', 'core');
    const hidden = join(installed.directory, 'node_modules', '@nestjs', '.core-hidden');
    renameSync(present, hidden);
    try {
      await expect(startLikeTheImage(installed, environment.env)).rejects.toThrow(
        /Cannot find module '@nestjs\/core'/,
      );
    } finally {
      renameSync(hidden, present);
      await environment.dispose();
    }
  });

  it.each(APPS)('%s answers /health/live, then exits 0 on SIGTERM', async (app: AppName) => {
    const installed: InstalledApp = await (installs.get(app) ?? installLikeTheImage(app));
    const environment = await PRODUCTION_ENVIRONMENTS[app]();
    try {
      expect(installed.imageEnv['NODE_ENV']).toBe('production');
      const running = await startLikeTheImage(installed, environment.env);
      const code = await running.stop();
      if (code !== 0) throw new Error(`${app} exited ${code} on SIGTERM:\n${running.output()}`);
    } finally {
      await environment.dispose();
      installed.remove();
    }
  });
});
