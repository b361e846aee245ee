// The job queue on the real database (PGlite, or the server with TEST_DATABASE_URL): jobs commit or roll
// back with the caller's transaction, one key makes one job, payloads are checked at both ends, and
// failures retry with growing delays (a restart: queue-restart.test.ts; two instances: queue.server.test.ts).
import { sql } from 'kysely';
import { TestClock } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from '../../test/support/app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { AppError } from '../lib/errors.js';
import { createLogger } from '../lib/logger.js';
import { defineJob, JOB_SCHEMA, JobQueue, jobId, type JobDefinition, type JobQueueOptions } from './queue.js';

const log = createLogger('silent');
const reminder = z.object({ appointmentId: z.uuid(), kind: z.enum(['24h', '2h']) });

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const open: JobQueue[] = [];
async function queue(jobs: JobDefinition[], o: Partial<JobQueueOptions> = {}, workers = true): Promise<JobQueue> {
  const q = await JobQueue.open({ database, jobs, log, pollingSeconds: 0.5, supervise: true, ...o });
  open.push(q);
  if (workers) await q.startWorkers();
  return q;
}
async function stopAll() {
  await Promise.all(open.splice(0).map((q) => q.stop()));
}

/** A job kind whose runs are recorded, by payload. */
function recorded(name: string, fail: (runs: number) => boolean = () => false, options = {}) {
  const runs: { appointmentId: string; retryCount: number }[] = [];
  const def = defineJob(
    name,
    reminder,
    async (p, ctx) => {
      runs.push({ appointmentId: p.appointmentId, retryCount: ctx.retryCount });
      if (fail(runs.length)) throw new Error('the Cloud API is down');
    },
    options,
  );
  return { def, runs };
}

async function jobRows(name: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.ref(`${JOB_SCHEMA}.job`)} where name = ${name}`.execute(database.db);
  return r.rows[0]?.n ?? -1;
}

const A = '7d0c1a52-4c8e-4d4f-9b1e-0c7f2b1d9a01';
const B = '7d0c1a52-4c8e-4d4f-9b1e-0c7f2b1d9a02';
const C = '7d0c1a52-4c8e-4d4f-9b1e-0c7f2b1d9a03';

describe('job queue', () => {
  it('runs a job enqueued in a committed transaction, once, with its payload', async () => {
    const { def, runs } = recorded('test.committed');
    const q = await queue([def]);
    const r = await database.db.transaction().execute(async (tx) => {
      await sql`select 1`.execute(tx); // stands for the business write beside it
      return q.enqueue(tx, def, { appointmentId: A, kind: '24h' }, { key: `reminder:${A}:24h` });
    });
    expect(r).toEqual({ id: jobId('test.committed', `reminder:${A}:24h`), created: true });
    expect(await waitFor(async () => (await q.state(def, `reminder:${A}:24h`))?.state === 'completed')).toBe(true);
    expect(runs).toEqual([{ appointmentId: A, retryCount: 0 }]);
    await stopAll();
  });

  it('never runs a job whose transaction rolled back', async () => {
    const { def, runs } = recorded('test.rollback');
    const q = await queue([def]);
    await expect(
      database.db.transaction().execute(async (tx) => {
        await q.enqueue(tx, def, { appointmentId: A, kind: '24h' }, { key: 'rolled-back' });
        throw new AppError('booking_conflict', 409, 'The slot was taken');
      }),
    ).rejects.toThrow('The slot was taken');
    // A job committed after it runs: the worker was polling while the rolled-back one could have run.
    await database.db.transaction().execute((tx) => q.enqueue(tx, def, { appointmentId: B, kind: '2h' }, { key: 'committed-after' }));
    expect(await waitFor(async () => (await q.state(def, 'committed-after'))?.state === 'completed')).toBe(true);
    expect(await q.state(def, 'rolled-back')).toBeNull();
    expect(runs.map((r) => r.appointmentId)).toEqual([B]);
    expect(await jobRows('test.rollback')).toBe(1);
    await stopAll();
  });

  it('never lets its own statements into an open transaction of ours (PGlite: one session, one mutex)', async () => {
    const { def, runs } = recorded('test.isolated');
    const q = await queue([def]);
    let during: Promise<unknown> | null = null;
    await expect(
      database.db.transaction().execute(async (tx) => {
        await q.enqueue(tx, def, { appointmentId: A, kind: '24h' }, { key: 'uncommitted' });
        // The queue reads while the transaction is open. On PGlite a statement that went around our session
        // mutex would run inside this transaction and see the uncommitted job; it must wait its turn instead
        // (on a server, it reads through its own connection and cannot see it either).
        during = q.state(def, 'uncommitted');
        for (let i = 0; i < 3; i++) await sql`select 1`.execute(tx);
        throw new AppError('booking_conflict', 409, 'The slot was taken');
      }),
    ).rejects.toThrow('The slot was taken');
    expect(await during).toBeNull();
    await database.db.transaction().execute((tx) => q.enqueue(tx, def, { appointmentId: B, kind: '2h' }, { key: 'committed' }));
    expect(await waitFor(async () => (await q.state(def, 'committed'))?.state === 'completed')).toBe(true);
    expect(runs.map((r) => r.appointmentId)).toEqual([B]);
    await stopAll();
  });

  it('makes one job of one key: twice in a transaction, again in another, and after it ran', async () => {
    const { def, runs } = recorded('test.same-key');
    const q = await queue([def], {}, false);
    const key = `survey:${C}`;
    const first = await database.db.transaction().execute(async (tx) => [
      await q.enqueue(tx, def, { appointmentId: C, kind: '24h' }, { key }),
      await q.enqueue(tx, def, { appointmentId: C, kind: '2h' }, { key }),
    ]);
    const again = await q.enqueue(database.db, def, { appointmentId: C, kind: '24h' }, { key });
    expect([...first, again].map((r) => r.created)).toEqual([true, false, false]);
    expect(new Set([...first, again].map((r) => r.id)).size).toBe(1);
    // Another key of the same kind is another job.
    expect((await q.enqueue(database.db, def, { appointmentId: C, kind: '24h' }, { key: `${key}:other` })).created).toBe(true);
    await q.startWorkers();
    expect(await waitFor(async () => (await q.state(def, key))?.state === 'completed' && (await q.state(def, `${key}:other`))?.state === 'completed')).toBe(true);
    expect((await q.enqueue(database.db, def, { appointmentId: C, kind: '24h' }, { key })).created).toBe(false);
    expect(runs).toHaveLength(2);
    expect(runs.filter((r) => r.appointmentId === C)).toHaveLength(2);
    expect(await jobRows('test.same-key')).toBe(2);
    await stopAll();
  });

  it('refuses a payload that fails its schema, an unknown kind and a missing key, in the caller', async () => {
    const { def } = recorded('test.refused');
    const q = await queue([def], {}, false);
    const bad = { appointmentId: 'Jane Doe +33612345678', kind: '24h' } as unknown as z.output<typeof reminder>;
    const err = await q.enqueue(database.db, def, bad, { key: 'k' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('job_payload_invalid');
    // What it says names the field, never the value (PHI).
    expect(JSON.stringify({ m: (err as AppError).message, d: (err as AppError).details })).not.toMatch(/Jane|3361/);
    expect(((err as AppError).details as { paths: string[] }).paths).toEqual(['appointmentId']);
    await expect(q.enqueue(database.db, 'test.nobody-defined-this', { appointmentId: A, kind: '2h' }, { key: 'k' })).rejects.toMatchObject({ code: 'job_unknown' });
    await expect(q.enqueue(database.db, def, { appointmentId: A, kind: '2h' }, { key: '' })).rejects.toMatchObject({ code: 'job_key_missing' });
    expect(await jobRows('test.refused')).toBe(0);
    expect(() => defineJob('Reminders', reminder, async () => {})).toThrow(/domain\.verb/);
    await stopAll();
  });

  it('checks a stored payload again before the handler sees it (a job from before a schema change)', async () => {
    const older = defineJob('test.schema-change', z.object({ appointmentId: z.string() }), async () => {}, { retryLimit: 0 });
    const writer = await queue([older], {}, false);
    await database.db.transaction().execute((tx) => writer.enqueue(tx, older, { appointmentId: 'not-a-uuid' }, { key: 'old-shape' }));
    await stopAll();
    const { def, runs } = recorded('test.schema-change', () => false, { retryLimit: 0 });
    const q = await queue([def]);
    expect(await waitFor(async () => (await q.state(def, 'old-shape'))?.state === 'failed')).toBe(true);
    expect(runs).toEqual([]);
    await stopAll();
  });

  it('waits for startAfter', async () => {
    const clock = new TestClock();
    const { def, runs } = recorded('test.later');
    const q = await queue([def], { clock });
    const at = new Date(clock.now() + 3600_000);
    await database.db.transaction().execute((tx) => q.enqueue(tx, def, { appointmentId: A, kind: '2h' }, { key: 'later', startAfter: at }));
    expect((await q.state(def, 'later'))?.startAfter.getTime()).toBe(at.getTime());
    // Jump (nothing fires on the way), then let the workers poll once.
    await clock.setTime(at.getTime() - 60_000);
    await clock.tick(2000);
    expect(runs).toHaveLength(0);
    expect((await q.state(def, 'later'))?.state).toBe('created');
    await clock.setTime(at.getTime());
    await clock.tick(2000);
    expect(await waitFor(async () => (await q.state(def, 'later'))?.state === 'completed')).toBe(true);
    expect(runs).toHaveLength(1);
    await stopAll();
  });

  it('retries a failing job with growing delays, then stops at the retry limit', async () => {
    const clock = new TestClock();
    const { def, runs } = recorded('test.retry', () => true, { retryLimit: 2, retryDelaySeconds: 60 });
    const q = await queue([def], { clock });
    await database.db.transaction().execute((tx) => q.enqueue(tx, def, { appointmentId: A, kind: '2h' }, { key: 'flaky' }));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      // Polls fire as the test clock moves (a few seconds: on a server, the enqueue read the real clock).
      await clock.tick(5000);
      expect(await waitFor(async () => runs.length === attempt && (await q.state(def, 'flaky'))?.state === 'retry')).toBe(true);
      const due = (await q.state(def, 'flaky'))!.startAfter.getTime();
      delays.push((due - clock.now()) / 1000);
      // Not before its delay has passed…
      await clock.setTime(due - 10_000);
      await clock.tick(5000);
      expect(runs).toHaveLength(attempt);
      expect((await q.state(def, 'flaky'))?.state).toBe('retry');
      await clock.setTime(due);
    }
    // Backoff: retryDelay × 2^n with jitter, so the first lies in [60, 120] s and the second in [120, 240] s
    // (measured from a few test-clock seconds after the failure).
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(120);
    expect(delays[1]).toBeGreaterThanOrEqual(110);
    expect(delays[1]).toBeLessThanOrEqual(240);
    await clock.tick(5000);
    expect(await waitFor(async () => (await q.state(def, 'flaky'))?.state === 'failed')).toBe(true);
    expect(runs.map((r) => r.retryCount)).toEqual([0, 1, 2]);
    await stopAll();
  });
});
