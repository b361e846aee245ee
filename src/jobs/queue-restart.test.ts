// A job enqueued and committed by a process that is then killed (kill -9) runs in the next process: the
// job lives in the database, not in the process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/app.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../../test/support/db.js';
import { restartJob } from '../../test/support/enqueue-and-die.js';
import { migrate, openDatabase, type Database } from '../db/database.js';
import { createLogger } from '../lib/logger.js';
import { JobQueue } from './queue.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const opened: Database[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
});

function enqueueAndDie(target: string, key: string): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/enqueue-and-die.ts'), target, key], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (_code, signal) => resolve({ out, signal }));
  });
}

describe('job queue across a killed process', () => {
  it('runs, in the next process, a job the killed one had committed', async () => {
    let target: string;
    let reopen: () => Promise<Database>;
    if (serverUrl()) {
      const db: TestDatabase = await createTestDatabase();
      opened.push(db);
      target = db.url!;
      reopen = async () => db;
    } else {
      // The embedded database in a DATA_DIR, as `npm start` keeps it; the killed process leaves its lock.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-jobs-restart-'));
      target = dir;
      reopen = async () => {
        const d = await openDatabase({ dataDir: dir });
        opened.push(d);
        await migrate(d.db);
        return d;
      };
    }
    const died = await enqueueAndDie(target, 'before-the-kill');
    expect(died.out).toContain('enqueued');
    expect(died.signal).toBe('SIGKILL');

    const runs: number[] = [];
    const database = await reopen();
    const queue = await JobQueue.open({ database, jobs: [restartJob(async (p) => { runs.push(p.n); })], log: createLogger('silent'), pollingSeconds: 0.5 });
    try {
      await queue.startWorkers();
      expect(await waitFor(async () => (await queue.state('test.restart', 'before-the-kill'))?.state === 'completed', 20_000)).toBe(true);
    } finally {
      await queue.stop();
    }
    expect(runs).toEqual([42]);
  });
});
