// Two instances of the service on one PostgreSQL server: each patient's messages are still processed one
// at a time and in arrival order, while different patients go in parallel. (PGlite has one session, so
// this only means something on a server; the suite runs it when TEST_DATABASE_URL is set.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, VERIFY, waitFor } from '../support/app.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

let fake: FakeGraph;
let tdb: TestDatabase;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  tdb = await createTestDatabase();
  const env = {
    DATABASE_URL: tdb.url!,
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    WHATSAPP_API_URL: fake.url,
    WHATSAPP_ACCESS_TOKEN: TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: 'PN1',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
  };
  for (let i = 0; i < 2; i++) servers.push(await spawnServer({ ...env, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-two-')) }));
});

afterEach(() => fake.expectNoInvalidRequests());

afterAll(async () => {
  for (const s of servers) await s.kill('SIGTERM');
  await fake.close();
  await tdb.close();
});

const post = (base: string, payload: unknown) => postWebhook(base, payload, APP_SECRET);

describe('two instances on one PostgreSQL server', () => {
  it('process each patient in arrival order, one message at a time', async () => {
    const patients = Array.from({ length: 12 }, (_, i) => `3373000${String(i).padStart(4, '0')}`);
    const perPatient = 12;
    // Patients write in parallel; each patient's messages alternate between the two instances.
    await Promise.all(
      patients.map(async (p) => {
        for (let n = 0; n < perPatient; n++) {
          expect(await post(servers[n % 2]!.base, inboundText(p, `message ${n}`))).toBe(200);
        }
      }),
    );
    const total = patients.length * perPatient;
    const done = await waitFor(async () => {
      const r = await tdb.db.selectFrom('inbound_messages').select(sql<number>`count(*)::int`.as('n')).where('state', '=', 'done').executeTakeFirstOrThrow();
      return r.n === total;
    }, 60_000, 100);
    expect(done).toBe(true);
    const rows = await tdb.db.selectFrom('inbound_messages').select(['sender_key', 'id', 'processed_order', 'processed_by']).orderBy('id').execute();
    for (const p of patients) {
      const mine = rows.filter((r) => r.sender_key === `p:${p}`);
      expect(mine).toHaveLength(perPatient);
      const byArrival = mine.map((r) => r.id);
      const byProcessing = [...mine].sort((a, b) => a.processed_order! - b.processed_order!).map((r) => r.id);
      expect(byProcessing).toEqual(byArrival);
    }
    // Replies leave in the order their messages were processed, one outbox row set per message.
    const out = await tdb.db.selectFrom('outbox').select(['caused_by', 'id', 'patient_id']).where('kind', '!=', 'read').orderBy('id').execute();
    expect(out).toHaveLength(total);
    // Both instances took part.
    expect(new Set(rows.map((r) => r.processed_by)).size).toBe(2);
    const sentByPatient = new Map<string, number[]>();
    for (const r of out) sentByPatient.set(r.patient_id!, [...(sentByPatient.get(r.patient_id!) ?? []), r.caused_by!]);
    for (const causes of sentByPatient.values()) expect(causes).toEqual([...causes].sort((a, b) => a - b));
  });
});
