// The sender keeps the number's throughput cap (WHATSAPP_MPS) and answers a burst of patients completely.
// The cap is checked over sliding windows, as the sender keeps it: on the sender's own dispatch marks
// against the bound its schedule enforces (scheduleBound), and on the arrivals at the fake Graph API against
// the limits at Meta's end (at most 50 % over in any 1 s, 10 % over in any 5 s). The server runs in
// its own process, so the fake Graph API's clock is not held up by the server's work.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleBound } from '../../src/whatsapp/sender.js';
import { createTestDatabase, dataDirFor, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { maxInWindow } from '../support/rate.js';

let fake: FakeGraph;
let server: ServerProcess;
let tdb: TestDatabase | null = null;
let dataDir: string;
const MPS = 20;
const PATIENTS = 120;

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  dataDir = await dataDirFor('pl-mps-');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ...cloudApiEnv(fake.url),
    WHATSAPP_MPS: String(MPS),
    // No status webhooks here, so a send in doubt could only be resent: on a loaded machine the embedded
    // database can hold the event loop for seconds, and the timeout would fire before the answer is read.
    // This test is about the cap; timeouts and reconciliation have their own tests (crash, sender).
    WHATSAPP_SEND_TIMEOUT_MS: '60000',
  };
  if (process.env['TEST_DATABASE_URL']) {
    tdb = await createTestDatabase({ poolSize: 2 });
    env['DATABASE_URL'] = tdb.url!;
    env['ENCRYPTION_KEY'] = Buffer.alloc(32, 5).toString('base64');
  }
  server = await spawnServer(env);
});
afterAll(async () => {
  await server?.kill('SIGTERM');
  await fake?.close();
  await tdb?.close();
});

/** When each request was marked dispatched, read from the server's database once the server has stopped. */
async function dispatchMarks(): Promise<number[]> {
  if (tdb) {
    const rows = await tdb.db.selectFrom('outbox').select('dispatched_at').where('dispatched_at', 'is not', null).execute();
    return rows.map((r) => r.dispatched_at!.getTime());
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create(path.join(dataDir, 'pgdata'));
  try {
    const r = await pg.query<{ ms: number }>(`select (extract(epoch from dispatched_at) * 1000)::float8 as ms from outbox where dispatched_at is not null`);
    return r.rows.map((row) => row.ms);
  } finally {
    await pg.close();
  }
}

describe('throughput cap', () => {
  it(`keeps WHATSAPP_MPS=${MPS} over every 1 s and 5 s window, and answers everyone`, { timeout: 120_000 }, async () => {
    const patients = Array.from({ length: PATIENTS }, (_, i) => `3374000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(patients.map((p) => postWebhook(server.base, inboundText(p, 'Hello'), APP_SECRET)));
    expect(statuses.filter((s) => s !== 200), 'webhook answers other than 200').toEqual([]);
    const messages = () => fake.received.filter((r) => r.path.endsWith('/messages'));
    // Read receipts, which yield to replies when the budget is short, follow.
    const done = await waitFor(() => messages().length >= patients.length * 2, 90_000, 50);
    expect(done).toBe(true);
    expect(patients.filter((p) => fake.delivered(p).length !== 1)).toEqual([]);
    // Mark-as-read counts too: every call to /messages uses the number's throughput.
    const arrivals = messages().map((r) => r.at);
    expect(arrivals).toHaveLength(patients.length * 2);
    expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(Math.floor(MPS * 1.5));
    expect(maxInWindow(arrivals, 5000)).toBeLessThanOrEqual(Math.floor(MPS * 5 * 1.1));
    await server.kill('SIGTERM');
    const marks = await dispatchMarks();
    expect(marks).toHaveLength(patients.length * 2);
    expect(maxInWindow(marks, 1000)).toBeLessThanOrEqual(scheduleBound(MPS, 1000));
    expect(maxInWindow(marks, 5000)).toBeLessThanOrEqual(scheduleBound(MPS, 5000));
  });
});
