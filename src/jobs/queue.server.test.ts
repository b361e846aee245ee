// Two instances on one PostgreSQL server share the queue: every job runs exactly once, and a key enqueued
// by both at once still makes one job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { waitFor } from '../../test/support/app.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { openDatabase, type Database } from '../db/database.js';
import { createLogger } from '../lib/logger.js';
import { defineJob, JobQueue } from './queue.js';

const log = createLogger('silent');
let database: TestDatabase;
let other: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  // The second instance's own connections to the same database.
  other = await openDatabase({ databaseUrl: database.url! });
});
afterAll(async () => {
  await other.close();
  await database.close();
});

describe('job queue on two instances', () => {
  it('runs each job once when two instances work the same queue', async () => {
    const runs: { n: number; instance: string }[] = [];
    const job = (instance: string) =>
      defineJob('test.both', z.object({ n: z.number().int() }), async (p) => {
        runs.push({ n: p.n, instance });
        await new Promise((r) => setImmediate(r));
      }, { concurrency: 4 });
    const one = await JobQueue.open({ database, jobs: [job('one')], log, pollingSeconds: 0.5, supervise: true });
    const two = await JobQueue.open({ database: other, jobs: [job('two')], log, pollingSeconds: 0.5, supervise: true });
    try {
      await Promise.all([one.startWorkers(), two.startWorkers()]);
      const total = 60;
      // Both instances enqueue every key at once: one job per key all the same.
      const created = await Promise.all(
        Array.from({ length: total }, (_, n) => [
          database.db.transaction().execute((tx) => one.enqueue(tx, 'test.both', { n }, { key: `k${n}` })),
          other.db.transaction().execute((tx) => two.enqueue(tx, 'test.both', { n }, { key: `k${n}` })),
        ]).flat(),
      );
      expect(created.filter((c) => c.created)).toHaveLength(total);
      expect(await waitFor(async () => {
        for (let n = 0; n < total; n++) if ((await one.state('test.both', `k${n}`))?.state !== 'completed') return false;
        return true;
      }, 30_000)).toBe(true);
      expect(runs).toHaveLength(total);
      expect(new Set(runs.map((r) => r.n)).size).toBe(total);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});
