// Opens the one database PatientLine uses: embedded PGlite in DATA_DIR by default, a PostgreSQL server
// with DATABASE_URL. Both are reached through Kysely<DB>; migrations run here.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './lock.js';
import { migrations } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { DB } from './schema.js';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
export type DbOrTx = Kysely<DB> | Transaction<DB>;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** How many transactions may usefully run at once (PGlite has one session). */
  readonly concurrency: number;
  close(): Promise<void>;
}

// int8 (bigserial ids, counts) as JS numbers: our ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** An already-created PGlite (tests clone a migrated template). */
  pglite?: PGlite;
  poolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    pool.on('error', () => {
      /* an idle client lost its connection; the pool replaces it */
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', concurrency: Math.max(1, (opts.poolSize ?? 10) - 2), close: () => db.destroy() };
  }
  let release = () => {};
  let pglite = opts.pglite;
  if (!pglite) {
    const dir = path.resolve(opts.dataDir ?? './data');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    release = lockDataDir(dir);
    try {
      pglite = await PGlite.create(path.join(dir, 'pgdata'), { parsers: { 20: (v: string) => Number(v) } });
    } catch (e) {
      release();
      throw e;
    }
  }
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    concurrency: 1,
    async close() {
      await db.destroy();
      release();
    },
  };
}

export async function migrate(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
