// The sender keeps the number's throughput cap (WHATSAPP_MPS) and answers a burst of patients completely.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, sign, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import type { Running } from '../../src/main.js';

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };
const MPS = 8;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token', statuses: false });
  app = await startTestApp(db, fake.url, { WHATSAPP_MPS: String(MPS) });
});
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('throughput cap', () => {
  it(`never sends more than WHATSAPP_MPS=${MPS} requests in one second, and answers everyone`, async () => {
    const patients = Array.from({ length: 24 }, (_, i) => `3374000${String(i).padStart(4, '0')}`);
    await Promise.all(patients.map(async (p) => {
      const body = JSON.stringify(inboundText(p, 'Hello'));
      const r = await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, APP_SECRET) } });
      expect(r.status).toBe(200);
    }));
    const done = await waitFor(() => patients.every((p) => fake.delivered(p).length === 1), 30_000, 50);
    expect(done).toBe(true);
    // Read receipts, which yield to replies when the budget is short, follow.
    await waitFor(() => fake.received.filter((r) => r.path.endsWith('/messages')).length === patients.length * 2, 30_000, 50);
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
