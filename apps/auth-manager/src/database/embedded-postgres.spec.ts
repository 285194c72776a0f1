import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { IN_MEMORY, startEmbeddedPostgres } from './embedded-postgres';

/** PGlite served over the pg wire protocol, as `npm start` uses it without DATABASE_URL. */
describe('embedded PostgreSQL', () => {
  it('serves a data directory over the pg protocol, keeps it to one process, and releases it on stop', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'auth-manager-embedded-'));
    const first = await startEmbeddedPostgres(directory);
    const second = await startEmbeddedPostgres(directory);
    try {
      expect(first.location).toBe(directory);
      expect(first.fallbackReason).toBeUndefined();
      expect(first.serverVersion).toMatch(/^\d+(\.\d+)? \(PGlite\)$/);
      expect(second.location).toBe(IN_MEMORY);
      expect(second.fallbackReason).toBe(`data directory in use by process ${process.pid}`);

      const client = new Client({ connectionString: first.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE kept (value text)');
        await client.query("INSERT INTO kept VALUES ('persisted')");
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    expect(existsSync(join(directory, 'auth-manager.pid'))).toBe(false);

    const reopened = await startEmbeddedPostgres(directory);
    try {
      const client = new Client({ connectionString: reopened.url });
      await client.connect();
      try {
        expect((await client.query('SELECT value FROM kept')).rows).toEqual([{ value: 'persisted' }]);
      } finally {
        await client.end();
      }
    } finally {
      await reopened.stop();
    }
  }, 60_000);
});
