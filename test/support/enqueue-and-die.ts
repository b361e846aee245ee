// A process that enqueues one job in a committed transaction, says so, and is killed (kill -9) before any
// worker could run it: src/jobs/queue-restart.test.ts checks that the next process runs it.
// usage: tsx test/support/enqueue-and-die.ts <DATA_DIR | postgres://…> <key>
import { z } from 'zod';
import { migrate, openDatabase } from '../../src/db/database.js';
import { defineJob, JobQueue } from '../../src/jobs/index.js';
import { createLogger } from '../../src/lib/logger.js';

export const restartJob = (handler: (p: { n: number }) => Promise<void>) => defineJob('test.restart', z.object({ n: z.number().int() }), handler);

const [target, key] = process.argv.slice(2);
if (target && key) {
  const database = await openDatabase(target.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target });
  await migrate(database.db);
  const jobs = await JobQueue.open({ database, jobs: [restartJob(async () => {})], log: createLogger('silent') });
  await database.db.transaction().execute((tx) => jobs.enqueue(tx, 'test.restart', { n: 42 }, { key }));
  process.stdout.write('enqueued\n', () => process.kill(process.pid, 'SIGKILL'));
}
