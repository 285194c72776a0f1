import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export const IN_MEMORY = 'memory://';

export interface EmbeddedPostgres {
  /** A pg connection string to the local socket server. */
  readonly url: string;
  /** The data directory, or `memory://`. */
  readonly location: string;
  /** Why the data directory was not used, when it was not. */
  readonly fallbackReason?: string;
  readonly serverVersion: string;
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Directories this process has open; a lock file naming our own pid but not listed here is a stale one. */
const openHere = new Set<string>();

/**
 * One PGlite per data directory: it has no locking of its own, and two instances writing the same files would
 * corrupt them. Returns a release function, or the pid that holds the directory.
 */
function lockDirectory(directory: string): { release: () => void } | { heldBy: number } {
  if (openHere.has(directory)) return { heldBy: process.pid };
  const lockFile = join(directory, 'auth-manager.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      openHere.add(directory);
      return {
        release: () => {
          openHere.delete(directory);
          rmSync(lockFile, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8').trim());
      // Our own pid in the file is a previous incarnation (a container's pid 1 restarting), not a live holder.
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
        return { heldBy: holder };
      rmSync(lockFile, { force: true });
    }
  }
  return { heldBy: -1 };
}

/**
 * PostgreSQL for `npm start` without DATABASE_URL: PGlite (PostgreSQL compiled to WebAssembly) in this process,
 * served over the pg wire protocol on a free local port so that TypeORM and pg use it like any server. PGlite
 * is single-connection, so the pool that uses it must have size 1. If another process holds the data directory,
 * this one runs on an in-memory database instead and says so.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  let location = dataDir === IN_MEMORY ? IN_MEMORY : resolve(dataDir);
  let release = () => undefined as void;
  let fallbackReason: string | undefined;
  if (location !== IN_MEMORY) {
    mkdirSync(location, { recursive: true });
    const lock = lockDirectory(location);
    if ('heldBy' in lock) {
      fallbackReason = `data directory in use by process ${lock.heldBy}`;
      location = IN_MEMORY;
    } else {
      release = lock.release;
    }
  }
  try {
    const db = await PGlite.create(location === IN_MEMORY ? undefined : join(location, 'pgdata'));
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
    await server.start();
    const { rows } = await db.query<{ server_version: string }>('SHOW server_version');
    return {
      url: `postgres://postgres@${server.getServerConn()}/postgres`,
      location,
      fallbackReason,
      serverVersion: `${rows[0]?.server_version ?? 'unknown'} (PGlite)`,
      stop: async () => {
        try {
          await server.stop();
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
