import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import type { AppProcess } from '@auth-platform/testing';
import { ADMIN_KEY, startKeyManager, verify } from './support/api-key-manager.client';
import { sharedAzurite } from './support/shared-azurite';

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it. */
const CHROMIUM = '/usr/bin/chromium';

describe('api-key-manager: an admin generates a key from Swagger UI', () => {
  const azurite = sharedAzurite();
  const profile = mkdtempSync(join(tmpdir(), 'akm-chromium-'));
  let app: AppProcess;
  let browser: BrowserContext;

  beforeAll(async () => {
    app = await startKeyManager(azurite);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('authorizes with the admin key, uses "Try it out" on generate and reads the key from the page', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${app.url}/docs`);

    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.dialog-ux');
    const adminScheme = dialog.locator('.auth-container').filter({ hasText: 'X-Admin-Key' });
    await adminScheme.locator('input').fill(ADMIN_KEY);
    await adminScheme.locator('button.authorize').click();
    await adminScheme.locator('button', { hasText: 'Logout' }).waitFor();
    await adminScheme.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });

    const operation = page.locator('#operations-keys-KeysController_generate');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.locator('textarea.body-param__text').fill(
      JSON.stringify({ provider_id: 'from-swagger', name: 'Generated in the browser', environment: 'live', scopes: ['api:access'] }),
    );
    await operation.getByRole('button', { name: 'Execute' }).click();

    const status = operation.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('201');
    const body = JSON.parse((await operation.locator('.live-responses-table .response-col_description .microlight').first().textContent()) ?? '{}') as {
      key: string;
      token_id: string;
      provider_id: string;
    };
    expect(body.key).toMatch(/^permas_live_[0-9A-Za-z]{38}$/);
    expect(body.provider_id).toBe('from-swagger');
    expect(await verify(app, { key: body.key })).toMatchObject({ valid: true, code: 'VALID', key_id: body.token_id });
  }, 60_000);
});
