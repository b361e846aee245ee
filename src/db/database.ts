// Opens the one database PatientLine uses: embedded PGlite in DATA_DIR by default, a PostgreSQL server
// with DATABASE_URL. Both are reached through Kysely<DB>; migrations run here.
import fs from 'node:fs';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import crypto from 'node:crypto';
import { Kysely, PostgresDialect, sql, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult, type Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { DEFAULT_WORKER_CONNECTIONS, type Config } from '../config.js';
import { lockDataDir } from './lock.js';
import { migrations } from './migrations/index.js';
import { PGliteDialect, SessionMutex } from './pglite-dialect.js';
import type { DB } from './schema.js';

export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;
export type DbOrTx = Kysely<DB> | Transaction<DB>;

export interface Database {
  readonly db: Db;
  /** The same database, for the few writes that must not wait behind others on a single session (PGlite). */
  readonly urgent: Db;
  /**
   * The same database for background workers, so that they never starve webhook intake: on a server its own
   * small pool (intake keeps every connection of the main one), on PGlite a lane served after intake.
   */
  readonly background: Db;
  readonly kind: 'pglite' | 'postgres';
  /** How many transactions may usefully run at once (PGlite has one session). */
  readonly concurrency: number;
  /** Server only: its connection string, for clients that need connections of their own (the job queue). */
  readonly connectionString?: string;
  /** Embedded only: the one session and its mutex, for clients that must share them (the job queue). */
  readonly embedded?: EmbeddedSession;
  close(): Promise<void>;
}

// int8 (bigserial ids, counts) as JS numbers: our ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * The options every embedded database is opened with: int8 as numbers, and btree_gist, which the
 * appointments' no-double-booking constraint needs (migration 0017; on a server it is a trusted extension).
 */
export function pgliteOptions(extra: PGliteOptions = {}): PGliteOptions {
  return { parsers: { 20: (v: string) => Number(v) }, extensions: { btree_gist }, ...extra };
}

export interface EmbeddedSession {
  readonly pglite: PGlite;
  readonly mutex: SessionMutex;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** An already-created PGlite (tests clone a migrated template). */
  pglite?: PGlite;
  poolSize?: number;
  /** Named prepared statements on the server (default on); off behind PgBouncer transaction pooling or RDS
   * Proxy, where the next query may reach a server connection that never saw the PREPARE. */
  preparedStatements?: boolean;
  /** Connections of the background workers' pool (server only). */
  backgroundPoolSize?: number;
}

/** The options every command and the server open the database with, from DATABASE_URL, DATA_DIR,
 * DATABASE_PREPARED_STATEMENTS and DATABASE_WORKER_CONNECTIONS. */
export function databaseOptions(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePreparedStatements' | 'workerConnections'>): OpenOptions {
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir, preparedStatements: config.databasePreparedStatements, backgroundPoolSize: config.workerConnections };
}

/**
 * The workers' own connections on a server: inbound processing in parallel lanes plus the sender, statuses,
 * media and reconciliation loops. Bounded, so that under a burst they take a bounded share of the database.
 */
const BACKGROUND_POOL_SIZE = DEFAULT_WORKER_CONNECTIONS;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    const backgroundSize = opts.backgroundPoolSize ?? BACKGROUND_POOL_SIZE;
    // The workers' queue claims (inbound, outbox, statuses) walk partial indexes whose size swings from empty
    // to thousands of rows within seconds. A named statement's generic plan, chosen while a table was empty,
    // would keep nested sequential scans there (a claim took 9 s at 3,000 pending messages): on the workers'
    // connections every execution is planned for the parameters and table sizes of the moment.
    const workerPool = new pg.Pool({ connectionString: opts.databaseUrl, max: backgroundSize, options: '-c plan_cache_mode=force_custom_plan' });
    for (const p of [pool, workerPool]) {
      p.on('error', () => {
        /* an idle client lost its connection; the pool replaces it */
      });
    }
    const prepared = (p: pg.Pool) => (opts.preparedStatements === false ? p : preparingPool(p));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: prepared(pool) }) });
    const background = new Kysely<DB>({ dialect: new PostgresDialect({ pool: prepared(workerPool) }) });
    return {
      db,
      urgent: db,
      background,
      kind: 'postgres',
      connectionString: opts.databaseUrl,
      // Inbound lanes: all but two of the workers' connections (the sender and the other loops share those).
      concurrency: Math.max(1, backgroundSize - 2),
      close: async () => {
        await background.destroy();
        await db.destroy();
      },
    };
  }
  let release = () => {};
  let pglite = opts.pglite;
  if (!pglite) {
    const dir = path.resolve(opts.dataDir ?? './data');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    release = lockDataDir(dir);
    try {
      pglite = await PGlite.create(path.join(dir, 'pgdata'), pgliteOptions());
    } catch (e) {
      release();
      throw e;
    }
  }
  const mutex = new SessionMutex();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite, mutex, 'normal') });
  const urgent = new Kysely<DB>({ dialect: new PGliteDialect(pglite, mutex, 'urgent') });
  const background = new Kysely<DB>({ dialect: new PGliteDialect(pglite, mutex, 'background') });
  const session = pglite;
  return {
    db,
    urgent,
    background,
    kind: 'pglite',
    concurrency: 1,
    embedded: { pglite: session, mutex },
    async close() {
      await db.destroy();
      await urgent.destroy();
      await background.destroy();
      if (!session.closed) await session.close();
      release();
    },
  };
}

const MAX_PREPARED_PER_CONNECTION = 500;

/**
 * Sends parameterised queries as named prepared statements, so PostgreSQL plans each of our statements once
 * per connection instead of on every webhook (a third of the database's time per intake). Bounded per
 * connection: statements past the bound are sent unnamed. Off (OpenOptions.preparedStatements) every query
 * goes unnamed, which transaction poolers accept.
 */
function preparingPool(pool: pg.Pool): PostgresPool {
  const prepared = new WeakMap<pg.PoolClient, Set<string>>();
  return {
    end: () => pool.end(),
    options: pool.options,
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let names = prepared.get(client);
      if (!names) prepared.set(client, (names = new Set()));
      return new PreparingClient(client, names);
    },
  };
}

class PreparingClient implements PostgresPoolClient {
  constructor(private readonly client: pg.PoolClient, private readonly names: Set<string>) {}
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters: ReadonlyArray<unknown> = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') throw new Error('cursors are not used by PatientLine');
    const values = [...parameters];
    if (values.length === 0) return this.client.query(sqlOrCursor, values).then(toResult<R>);
    const name = `pl_${crypto.createHash('sha1').update(sqlOrCursor).digest('base64url').slice(0, 20)}`;
    if (!this.names.has(name) && this.names.size >= MAX_PREPARED_PER_CONNECTION) return this.client.query(sqlOrCursor, values).then(toResult<R>);
    this.names.add(name);
    return this.client.query({ name, text: sqlOrCursor, values }).then(toResult<R>);
  }
  release(): void {
    this.client.release();
  }
}

function toResult<R>(r: pg.QueryResult): PostgresQueryResult<R> {
  const command = r.command === 'UPDATE' || r.command === 'DELETE' || r.command === 'INSERT' || r.command === 'MERGE' ? r.command : 'SELECT';
  const rows: R[] = r.rows;
  return { command, rowCount: r.rowCount ?? 0, rows };
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
