// A Kysely dialect over embedded PGlite. PGlite has a single session, so connections are handed out one at
// a time through a promise-chain mutex: a Kysely transaction owns the session from BEGIN to COMMIT and no
// outside query can slip into it.
import { performance } from 'node:perf_hooks';
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/** Who waits for the session: urgent writes, then intake and requests, then background workers. */
export type Lane = 'urgent' | 'normal' | 'background';

/**
 * The one session, handed out in order, in three lanes. Urgent first: recording that a message left (the
 * sender's settle) must not queue behind a burst of other work, or a crash in between would leave the send in
 * doubt for longer than it needs to be. Then intake and requests (a webhook is answered only once committed),
 * then background workers, which get one turn after every BACKGROUND_EVERY others so that a sustained burst
 * of webhooks delays them without stopping them.
 *
 * PGlite runs each query synchronously in WebAssembly and resolves its promise at once, so a queue of holders
 * handed the session from one to the next runs as one unbroken chain of microtasks: no socket is read, no
 * webhook answered, no timer fired until the whole queue has drained (seconds under a burst, and a request
 * still unread at its headers timeout is answered 408). So once the session has passed from holder to holder
 * for YIELD_AFTER_MS without a break, the next hand-over waits for the event loop's next turn (setImmediate
 * runs after the poll phase): requests that arrived meanwhile are read and join the queues, in their lane.
 */
export class SessionMutex {
  private locked = false;
  private readonly queues: Record<Lane, (() => void)[]> = { urgent: [], normal: [], background: [] };
  private sinceBackground = 0;
  /** When the session last started a run of direct hand-overs (after a break in the event loop). */
  private runStart = 0;
  constructor(private readonly yieldAfterMs = YIELD_AFTER_MS) {}
  async lock(lane: Lane | boolean): Promise<() => void> {
    const l: Lane = lane === true ? 'urgent' : lane === false ? 'normal' : lane;
    if (this.locked) await new Promise<void>((r) => this.queues[l].push(r));
    else this.runStart = performance.now();
    this.locked = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (performance.now() - this.runStart < this.yieldAfterMs) return this.handOver();
      // Still held (locked) while the event loop turns: new arrivals queue; the choice is made after them.
      setImmediate(() => {
        this.runStart = performance.now();
        this.handOver();
      });
    };
  }
  private handOver(): void {
    const next = this.next();
    if (next) next(); // the lock passes straight to the next holder
    else this.locked = false;
  }
  private next(): (() => void) | undefined {
    const { urgent, normal, background } = this.queues;
    if (urgent.length) return urgent.shift();
    if (background.length && (normal.length === 0 || this.sinceBackground >= BACKGROUND_EVERY)) {
      this.sinceBackground = 0;
      return background.shift();
    }
    if (normal.length) this.sinceBackground++;
    return normal.shift();
  }
}

/** Session turns other work gets before a waiting background worker gets one. */
const BACKGROUND_EVERY = 4;
/** How long the session may pass from holder to holder before the event loop gets a turn. */
const YIELD_AFTER_MS = 10;

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pg: PGlite) {}
  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const res = await this.pg.query<R>(compiled.sql, compiled.parameters as unknown[]);
    const affected = res.affectedRows;
    return affected === undefined ? { rows: res.rows } : { rows: res.rows, numAffectedRows: BigInt(affected) };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();
  private readonly connection: PGliteConnection;
  constructor(pg: PGlite, private readonly mutex: SessionMutex, private readonly lane: Lane) {
    this.connection = new PGliteConnection(pg);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.lock(this.lane);
    // One PGlite session means one connection object; the release function rides along in a wrapper.
    const conn: DatabaseConnection = {
      executeQuery: (q) => this.connection.executeQuery(q),
      streamQuery: () => this.connection.streamQuery(),
    };
    this.releases.set(conn, release);
    return conn;
  }
  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    this.releases.get(conn)?.();
    this.releases.delete(conn);
  }
  async destroy(): Promise<void> {
    // The PGlite instance is shared by the handles of every lane: its owner closes it.
  }
}

export class PGliteDialect implements Dialect {
  constructor(
    private readonly pg: PGlite,
    private readonly mutex: SessionMutex = new SessionMutex(),
    private readonly lane: Lane | boolean = 'normal',
  ) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg, this.mutex, this.lane === true ? 'urgent' : this.lane === false ? 'normal' : this.lane);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}
