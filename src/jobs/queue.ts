// The PostgreSQL job queue for everything scheduled (reminders, surveys, retention, template sync, outbound
// webhooks): pg-boss, on the same database as the business data. A job is enqueued inside the caller's
// transaction (it exists only if that transaction commits) under an idempotency key (the same key twice
// makes one job); its payload is checked with the job's zod schema when enqueued and again when it runs.
//
// Why pg-boss rather than graphile-worker: pg-boss ships the two adapters we need — `fromKysely(trx)`, so
// a send joins the caller's Kysely transaction, and `fromPglite`, so it runs on the embedded database —
// while graphile-worker reaches PostgreSQL only through its own pg pool (on PGlite, through a socket
// shim that silently never runs jobs unless prepared statements are off) and enqueues in the caller's
// transaction only through a pg client, not Kysely. pg-boss also brings retries with backoff, expiry of
// stuck jobs, retention and cron schedules, coordinated across instances with SKIP LOCKED and advisory locks.
//
// Where it connects: on PGlite, through our one session and its mutex (every pg-boss statement waits its
// turn like any Kysely query, so none slips into another caller's open transaction); on a server, through
// a small pg pool of its own on the same DATABASE_URL, because pg-boss needs what our Kysely pool does not
// hand out: multi-statement scripts, and one session held for LISTEN. Enqueueing never uses that pool: it
// goes through the caller's transaction.
import crypto from 'node:crypto';
import { PgBoss, fromKysely, fromPglite, type Clock as BossClock, type Db as BossDb, type Job } from 'pg-boss';
import type { z } from 'zod';
import type { Database, DbOrTx, EmbeddedSession } from '../db/database.js';
import { AppError } from '../lib/errors.js';
import { errorSummary, type Logger } from '../lib/logger.js';

/** pg-boss's own tables live in this schema, next to ours in `public`; pg-boss creates and migrates it. */
export const JOB_SCHEMA = 'pgboss';

export interface JobContext {
  jobId: string;
  /** 0 on the first run, then 1, 2… on retries. */
  retryCount: number;
  log: Logger;
}

export interface JobOptions {
  /** Retries after the first failure (default 5). */
  retryLimit?: number;
  /** First retry delay in seconds, doubled on each retry with jitter (default 30). */
  retryDelaySeconds?: number;
  /** Upper bound of a retry delay in seconds (default 1 h). */
  retryDelayMaxSeconds?: number;
  /** A run longer than this counts as failed and is retried (default 15 min). */
  expireInSeconds?: number;
  /**
   * How long a finished job is kept, in seconds (default 7 days). Its idempotency key holds as long as
   * the job is kept: the same key after that makes a new job.
   */
  keepSeconds?: number;
  /** Jobs of this kind one instance runs at once (default 2). */
  concurrency?: number;
}

export interface JobDefinition<T extends object = object> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  // A method, so that a list of definitions of different payloads is one type (JobDefinition[]): the
  // queue only ever hands a handler the payload its own schema parsed.
  handler(payload: T, ctx: JobContext): Promise<void>;
  readonly options: JobOptions;
}

/**
 * A kind of job. `name` is stable (stored with every job): `domain.verb`, e.g. `reminders.send`.
 * The handler must be idempotent: a job whose run crashed half-way runs again. Payloads are stored in
 * clear in pgboss.job (and keys in its singleton_key): carry ids (an appointment id), never PHI.
 */
export function defineJob<T extends object>(
  name: string,
  schema: z.ZodType<T>,
  handler: (payload: T, ctx: JobContext) => Promise<void>,
  options: JobOptions = {},
): JobDefinition<T> {
  if (!/^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/.test(name)) throw new Error(`job name "${name}" must be domain.verb in lower case`);
  return { name, schema, handler, options };
}

export interface EnqueueOptions {
  /** Idempotency key, unique within the job's kind: the same key twice makes one job. */
  key: string;
  /** Not before this instant (default: now). */
  startAfter?: Date;
}

export interface JobQueueOptions {
  database: Database;
  jobs: readonly JobDefinition[];
  log: Logger;
  /** Also run the queue's maintenance (expiry, retention); every instance with workers does, coordinated. */
  supervise?: boolean;
  /** How often an idle worker looks for due jobs (default 2 s). */
  pollingSeconds?: number;
  /** pg-boss's clock (tests pass its TestClock to move time by hand). */
  clock?: BossClock;
}

export class JobQueue {
  private readonly defs = new Map<string, JobDefinition>();
  private workersStarted = false;
  private stopped: Promise<void> | null = null;

  private constructor(
    private readonly boss: PgBoss,
    private readonly o: JobQueueOptions,
  ) {
    for (const d of o.jobs) {
      if (this.defs.has(d.name)) throw new Error(`job "${d.name}" is defined twice`);
      this.defs.set(d.name, d);
    }
  }

  /** Creates or migrates pg-boss's schema and one queue per job kind. Runs no handler yet. */
  static async open(o: JobQueueOptions): Promise<JobQueue> {
    const common = {
      schema: JOB_SCHEMA,
      supervise: o.supervise ?? false,
      schedule: false,
      persistWarnings: false,
      ...(o.clock ? { clock: o.clock } : {}),
    };
    const boss = o.database.embedded
      ? new PgBoss({ ...common, db: sessionAdapter(o.database.embedded), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: requireUrl(o.database.connectionString), max: 3, useListenNotify: true });
    const log = o.log.child({ module: 'jobs' });
    // pg-boss reports background failures (maintenance, polling) as events: log them by code, never data.
    boss.on('error', (e) => log.error({ err: errorSummary(e) }, 'job queue background error'));
    boss.on('warning', (w) => log.warn({ code: 'job_queue_warning', warning: w.message.slice(0, 200) }, 'job queue warning'));
    const queue = new JobQueue(boss, o);
    await boss.start();
    try {
      for (const d of queue.defs.values()) {
        const opts = d.options;
        const settings = {
          retryLimit: opts.retryLimit ?? 5,
          retryDelay: opts.retryDelaySeconds ?? 30,
          retryBackoff: true,
          retryDelayMax: opts.retryDelayMaxSeconds ?? 3600,
          expireInSeconds: opts.expireInSeconds ?? 900,
          deleteAfterSeconds: opts.keepSeconds ?? 7 * 86400,
          notify: true,
        };
        // createQueue leaves an existing queue as it is: apply changed settings too.
        await boss.createQueue(d.name, { ...settings, policy: 'standard' });
        await boss.updateQueue(d.name, settings);
      }
    } catch (e) {
      await boss.stop({ graceful: false, close: true }).catch(() => {});
      throw e;
    }
    return queue;
  }

  get names(): string[] {
    return [...this.defs.keys()];
  }

  /** Whether this instance runs handlers (WORKERS=1) or only enqueues. */
  get working(): boolean {
    return this.workersStarted;
  }

  /**
   * Adds a job inside `tx`: it exists only if `tx` commits. The same key twice (also in two transactions,
   * also on two instances) makes one job. Returns whether this call created it.
   */
  async enqueue<T extends object>(tx: DbOrTx, job: JobDefinition<T> | string, payload: T, opts: EnqueueOptions): Promise<{ id: string; created: boolean }> {
    const name = typeof job === 'string' ? job : job.name;
    const def = this.defs.get(name);
    if (!def) throw new AppError('job_unknown', 500, 'No such job kind', { job: name });
    const parsed = def.schema.safeParse(payload);
    // Issue paths only: values may be PHI.
    if (!parsed.success) throw new AppError('job_payload_invalid', 500, 'The job payload does not match its schema', { job: name, paths: parsed.error.issues.map((i) => i.path.join('.')) });
    if (!opts.key) throw new AppError('job_key_missing', 500, 'A job needs an idempotency key', { job: name });
    const id = jobId(name, opts.key);
    const created = await this.boss.send(name, parsed.data, {
      id,
      // Stored for operators (which reminder is this?); the dedupe itself is the id derived from it.
      singletonKey: opts.key,
      ...(opts.startAfter ? { startAfter: opts.startAfter } : {}),
      db: fromKysely(tx),
    });
    return { id, created: created !== null };
  }

  /** Starts the handlers (main does so only when WORKERS=1). */
  async startWorkers(): Promise<void> {
    if (this.workersStarted) return;
    this.workersStarted = true;
    const log = this.o.log.child({ module: 'jobs' });
    const polling = this.o.pollingSeconds ?? 2;
    for (const d of this.defs.values()) {
      await this.boss.work<object>(
        d.name,
        // Jobs that come due later (startAfter, retries) send no NOTIFY: polling finds them, so it keeps
        // its pace while NOTIFY is on (pg-boss would otherwise relax it to 30 s).
        { batchSize: 1, localConcurrency: d.options.concurrency ?? 2, pollingIntervalSeconds: polling, notifyPollingIntervalSeconds: polling },
        async ([job]: Job<object>[]) => {
          if (!job) return;
          const jobLog = log.child({ job: d.name, jobId: job.id, retry: job.retryCount });
          const parsed = d.schema.safeParse(job.data);
          if (!parsed.success) {
            // Enqueue checked the same schema: this is a job from before a schema change. Failing it keeps
            // it (state failed) for an operator instead of dropping it.
            jobLog.error({ code: 'job_payload_invalid', paths: parsed.error.issues.map((i) => i.path.join('.')) }, 'job payload does not match its schema');
            throw new AppError('job_payload_invalid', 500, 'The job payload does not match its schema', { job: d.name });
          }
          try {
            await d.handler(parsed.data, { jobId: job.id, retryCount: job.retryCount, log: jobLog });
          } catch (e) {
            jobLog.warn({ code: 'job_failed', err: errorSummary(e) }, 'job failed; pg-boss retries it with backoff');
            throw e;
          }
        },
      );
    }
  }

  /** Stops polling, waits for running handlers (up to `timeoutMs`), closes pg-boss's connections. */
  stop(timeoutMs = 10_000): Promise<void> {
    this.stopped ??= this.boss.stop({ graceful: true, close: true, timeout: timeoutMs });
    return this.stopped;
  }

  /** For operators and tests: a job's state by kind and key. */
  async state(job: JobDefinition | string, key: string): Promise<{ state: string; retryCount: number; startAfter: Date } | null> {
    const name = typeof job === 'string' ? job : job.name;
    const j = await this.boss.getJobById(name, jobId(name, key));
    return j ? { state: j.state, retryCount: j.retryCount, startAfter: j.startAfter } : null;
  }
}

/** The job's id, derived from its kind and key (a UUID from SHA-256), so a repeated key collides. */
export function jobId(name: string, key: string): string {
  const h = crypto.createHash('sha256').update(name).update('\0').update(key).digest();
  h[6] = (h[6]! & 0x0f) | 0x50; // version nibble (name-based)
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function requireUrl(url: string | undefined): string {
  if (!url) throw new Error('the job queue needs DATABASE_URL on a PostgreSQL server');
  return url;
}

/**
 * pg-boss's PGlite adapter, behind our session mutex: PGlite has one session, and a pg-boss statement
 * run while one of our Kysely transactions holds it would become part of that transaction (and vanish
 * with its rollback), or a pg-boss script's BEGIN would swallow our next queries. Each statement takes
 * the session in turn, like any Kysely query does.
 */
function sessionAdapter(s: EmbeddedSession): BossDb {
  const inner = fromPglite(s.pglite);
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await s.mutex.lock(false);
    try {
      return await fn();
    } finally {
      release();
    }
  };
  const db: BossDb = {
    executeSql: (text, values) => exclusive(() => inner.executeSql(text, values)),
  };
  const setSession = inner.setSessionStatements?.bind(inner);
  if (setSession) db.setSessionStatements = (statements) => exclusive(() => setSession(statements));
  // No LISTEN on PGlite: one process, polling every couple of seconds is enough for scheduled work, and
  // a LISTEN is a statement that would have to take the session like any other.
  return db;
}
