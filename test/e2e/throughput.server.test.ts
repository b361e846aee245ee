// Two instances on one PostgreSQL server share the number's throughput: together they keep WHATSAPP_MPS
// over every window (the schedule lives in the database), and every patient is answered once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleBound } from '../../src/whatsapp/sender.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { maxInWindow } from '../support/rate.js';

let fake: FakeGraph;
let tdb: TestDatabase;
const servers: ServerProcess[] = [];
const MPS = 20;
const PATIENTS = 120;

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  tdb = await createTestDatabase();
  const env = {
    DATABASE_URL: tdb.url!,
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...cloudApiEnv(fake.url),
    WHATSAPP_MPS: String(MPS),
  };
  for (let i = 0; i < 2; i++) servers.push(await spawnServer({ ...env, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cap-')) }));
});

afterAll(async () => {
  for (const s of servers) await s.kill('SIGTERM');
  await fake.close();
  await tdb.close();
});

describe('two instances on one PostgreSQL server', () => {
  it(`keep WHATSAPP_MPS=${MPS} together over every 1 s and 5 s window`, { timeout: 120_000 }, async () => {
    const patients = Array.from({ length: PATIENTS }, (_, i) => `3375000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(patients.map((p, i) => postWebhook(servers[i % 2]!.base, inboundText(p, 'Hello'), APP_SECRET)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const messages = () => fake.received.filter((r) => r.path.endsWith('/messages'));
    const done = await waitFor(() => messages().length >= patients.length * 2, 90_000, 50);
    expect(done).toBe(true);
    expect(patients.filter((p) => fake.delivered(p).length !== 1)).toEqual([]);
    const arrivals = messages().map((r) => r.at);
    expect(arrivals).toHaveLength(patients.length * 2);
    expect(maxInWindow(arrivals, 1000)).toBeLessThanOrEqual(Math.floor(MPS * 1.5));
    expect(maxInWindow(arrivals, 5000)).toBeLessThanOrEqual(Math.floor(MPS * 5 * 1.1));
    const marks = (await tdb.db.selectFrom('outbox').select('dispatched_at').where('dispatched_at', 'is not', null).execute()).map((r) => r.dispatched_at!.getTime());
    expect(marks).toHaveLength(patients.length * 2);
    expect(maxInWindow(marks, 1000)).toBeLessThanOrEqual(scheduleBound(MPS, 1000));
    expect(maxInWindow(marks, 5000)).toBeLessThanOrEqual(scheduleBound(MPS, 5000));
    // Both instances did the work (each processed the messages it was sent, and its sender sent replies).
    const by = await tdb.db.selectFrom('inbound_messages').select(['processed_by', sql<number>`count(*)::int`.as('n')]).groupBy('processed_by').execute();
    expect(by).toHaveLength(2);
  });
});
