import { type AppProcess, runAppToExit, startApp } from './app-process';
import { expectStandardEndpoints } from './standard-endpoints';

export interface AppBootExpectations {
  /**
   * Credentials that make a development instance ready, or a function giving them once the spec's own
   * stand-ins (a fake token endpoint, ...) are running.
   */
  readonly credentials: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** A variable named in the not-ready message, and in the exit message in production, when credentials are absent. */
  readonly waitsFor: string;
}

/**
 * The boot contract every app keeps (ARCHITECTURE.md), run against the built app as a process: probes, metrics
 * and docs; not ready until its credentials are set; exit 1 naming the variable on bad config; drain on SIGTERM.
 */
export function describeAppBoot(app: string, expectations: AppBootExpectations): void {
  const credentials = () =>
    typeof expectations.credentials === 'function' ? expectations.credentials() : expectations.credentials;

  describe(`${app}: boot contract`, () => {
    let bare: AppProcess;

    beforeAll(async () => {
      bare = await startApp(app, { NODE_ENV: 'development' });
    });
    afterAll(async () => {
      await bare?.stop();
    });

    it('serves /health/live, /health/ready, /metrics, /openapi.json and /docs', async () => {
      await expectStandardEndpoints(bare.url);
    });

    it('starts without credentials in development but stays not ready and says what it waits for', async () => {
      const response = await fetch(`${bare.url}/health/ready`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { message: string };
      expect(body.message).toContain(`waiting for ${expectations.waitsFor}`);
    });

    it('is ready once its credentials are configured', async () => {
      const configured = await startApp(app, { NODE_ENV: 'development', ...credentials() });
      try {
        const response = await fetch(`${configured.url}/health/ready`);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ status: 'ok' });
      } finally {
        await configured.stop();
      }
    });

    it('exits 1 in production without its credentials, naming the variable', async () => {
      const run = await runAppToExit(app, { NODE_ENV: 'production' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(expectations.waitsFor);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });

    it('exits 1 on PORT=abc with a message naming PORT and not the value', async () => {
      const run = await runAppToExit(app, { PORT: 'abc' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('PORT must be a port number');
      expect(run.stderr).not.toContain('abc');
    });

    it('serves docs in production only when DOCS_ENABLED=true', async () => {
      const hidden = await startApp(app, { NODE_ENV: 'production', ...credentials() });
      const shown = await startApp(app, { NODE_ENV: 'production', DOCS_ENABLED: 'true', ...credentials() });
      try {
        expect((await fetch(`${hidden.url}/openapi.json`)).status).toBe(404);
        expect((await fetch(`${hidden.url}/docs`)).status).toBe(404);
        expect((await fetch(`${shown.url}/openapi.json`)).status).toBe(200);
      } finally {
        await Promise.all([hidden.stop(), shown.stop()]);
      }
    });

    it('exits 0 on SIGTERM', async () => {
      const instance = await startApp(app, { NODE_ENV: 'development' });
      expect(await instance.stop('SIGTERM')).toBe(0);
      expect(instance.logs().join('\n')).toContain('shutdown_complete');
    });
  });
}
