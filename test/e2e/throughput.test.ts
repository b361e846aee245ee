// The sender keeps the number's throughput cap (WHATSAPP_MPS) and answers a burst of patients completely.
// The server runs in its own process, so the fake Graph API's clock is not held up by the server's work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, VERIFY, waitFor } from '../support/app.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

let fake: FakeGraph;
let server: ServerProcess;
let tdb: TestDatabase | null = null;
const MPS = 8;

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  const env: Record<string, string> = {
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-mps-')),
    WHATSAPP_API_URL: fake.url,
    WHATSAPP_ACCESS_TOKEN: TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: 'PN1',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
    WHATSAPP_MPS: String(MPS),
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

describe('throughput cap', () => {
  it(`never sends more than WHATSAPP_MPS=${MPS} requests in one second, and answers everyone`, { timeout: 120_000 }, async () => {
    const patients = Array.from({ length: 24 }, (_, i) => `3374000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(patients.map((p) => postWebhook(server.base, inboundText(p, 'Hello'), APP_SECRET)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const done = await waitFor(() => patients.every((p) => fake.delivered(p).length === 1), 60_000, 50);
    expect(done).toBe(true);
    // Read receipts, which yield to replies when the budget is short, follow.
    await waitFor(() => fake.received.filter((r) => r.path.endsWith('/messages')).length === patients.length * 2, 60_000, 50);
    // Mark-as-read counts too: every call to /messages uses the number's throughput.
    const perSecond = new Map<number, number>();
    for (const r of fake.received) {
      if (!r.path.endsWith('/messages')) continue;
      const s = Math.floor(r.at / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(MPS);
    expect(fake.received.filter((r) => r.path.endsWith('/messages'))).toHaveLength(patients.length * 2);
  });
});
