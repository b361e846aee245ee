// A fresh, migrated database per test file: embedded PGlite by default (cloned from a migrated template,
// since initdb takes seconds), or a database of its own on the PostgreSQL server named by
// TEST_DATABASE_URL, dropped at close.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { migrate, openDatabase, pgliteOptions, type Database } from '../../src/db/database.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/lib/logger.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestDatabase extends Database {
  /** A connection string when on a server (for child processes), else null. */
  url: string | null;
}

function migrationsHash(): string {
  const dir = path.join(root, 'src/db/migrations');
  const h = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  // The job queue's schema is in the template too (pg-boss installs it in about a second on PGlite).
  h.update(fs.readFileSync(path.join(root, 'node_modules/pg-boss/package.json')));
  return h.digest('hex').slice(0, 16);
}

async function pgliteTemplate(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `patientline-test-template-${migrationsHash()}-${process.versions.node}.tar`);
  if (fs.existsSync(file)) return new Blob([fs.readFileSync(file)]);
  const pglite = await PGlite.create(pgliteOptions());
  const database = await openDatabase({ pglite });
  await migrate(database.db);
  await (await JobQueue.open({ database, jobs: [], log: createLogger('silent') })).stop();
  const dump = await pglite.dumpDataDir('none');
  await database.close();
  const bytes = Buffer.from(await dump.arrayBuffer());
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file); // atomic: parallel test files never read half a template
  return new Blob([bytes]);
}

/**
 * A new DATA_DIR for a server process. On the embedded database its pgdata is a copy of the migrated template,
 * so the process skips initdb and the migrations (about 8 s of CPU here) as a restarted one does; on a server
 * (TEST_DATABASE_URL) the folder is empty, the database being elsewhere.
 */
export async function dataDirFor(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (serverUrl()) return dir;
  const pglite = await PGlite.create(path.join(dir, 'pgdata'), pgliteOptions({ loadDataDir: await pgliteTemplate() }));
  await pglite.close();
  return dir;
}

export function serverUrl(): string | null {
  return process.env['TEST_DATABASE_URL'] || null;
}

/** `preparedStatements`: named prepared statements on the server; TEST_DATABASE_PREPARED_STATEMENTS=0 turns
 * them off for a whole run, as behind PgBouncer in transaction mode (DATABASE_PREPARED_STATEMENTS=0). */
export async function createTestDatabase(opts: { poolSize?: number; backgroundPoolSize?: number; preparedStatements?: boolean } = {}): Promise<TestDatabase> {
  const base = serverUrl();
  if (!base) {
    const pglite = await PGlite.create(pgliteOptions({ loadDataDir: await pgliteTemplate() }));
    const database = await openDatabase({ pglite });
    await migrate(database.db); // a no-op on the template; keeps a stale template honest
    return { ...database, url: null };
  }
  const name = `pl_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const preparedStatements = opts.preparedStatements ?? process.env['TEST_DATABASE_PREPARED_STATEMENTS'] !== '0';
  const database = await openDatabase({ databaseUrl: url, poolSize: opts.poolSize ?? 10, preparedStatements, ...(opts.backgroundPoolSize ? { backgroundPoolSize: opts.backgroundPoolSize } : {}) });
  await migrate(database.db);
  return {
    ...database,
    url,
    async close() {
      await database.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
