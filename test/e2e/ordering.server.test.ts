// Two instances of the service on one PostgreSQL server: each patient's messages are still processed one
// at a time and in arrival order, while different patients go in parallel, also when a patient's messages
// carry different identities (BSUID and phone, phone only, BSUID only). (PGlite has one session, so this
// only means something on a server; the suite runs it when TEST_DATABASE_URL is set.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
import { textFrom, type Who } from '../support/inbound.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

let fake: FakeGraph;
let tdb: TestDatabase;
const servers: ServerProcess[] = [];
let env: Record<string, string>;
const spawn = async (extra: Record<string, string> = {}) => {
  const s = await spawnServer({ ...env, ...extra, DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-two-')) });
  servers.push(s);
  return s;
};

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  tdb = await createTestDatabase();
  env = {
    DATABASE_URL: tdb.url!,
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...cloudApiEnv(fake.url),
  };
});

afterEach(() => fake.expectNoInvalidRequests());

afterAll(async () => {
  for (const s of servers) await s.kill('SIGTERM');
  await fake.close();
  await tdb.close();
});

const post = (base: string, payload: unknown) => postWebhook(base, payload, APP_SECRET);

async function doneCount(): Promise<number> {
  const r = await tdb.db.selectFrom('inbound_messages').select(sql<number>`count(*)::int`.as('n')).where('state', '=', 'done').executeTakeFirstOrThrow();
  return r.n;
}

/** Per patient: their messages in arrival order equal their messages in processing order; replies likewise. */
async function expectPatientOrder(expected: number, perPatient: number, instances: number): Promise<void> {
  const rows = await tdb.db.selectFrom('inbound_messages').select(['patient_id', 'id', 'processed_order', 'processed_by']).where('state', '=', 'done').orderBy('id').execute();
  const byPatient = new Map<string, typeof rows>();
  for (const r of rows) byPatient.set(r.patient_id!, [...(byPatient.get(r.patient_id!) ?? []), r]);
  expect(byPatient.size).toBe(expected);
  for (const mine of byPatient.values()) {
    expect(mine).toHaveLength(perPatient);
    const byArrival = mine.map((r) => r.id);
    const byProcessing = [...mine].sort((a, b) => a.processed_order! - b.processed_order!).map((r) => r.id);
    expect(byProcessing).toEqual(byArrival);
  }
  // One outbox row set per message: its read receipt (every message gets exactly one), then the engine's
  // replies (one or more, none while a human has the conversation); they leave in processing order.
  const reads = await tdb.db.selectFrom('outbox').select('caused_by').where('kind', '=', 'read').execute();
  expect(reads.map((r) => r.caused_by).sort((x, y) => x! - y!)).toEqual(rows.map((r) => r.id));
  const out = await tdb.db.selectFrom('outbox').select(['caused_by', 'id', 'patient_id']).where('kind', '!=', 'read').orderBy('id').execute();
  const ids = new Set(rows.map((r) => r.id));
  expect(out.every((r) => ids.has(r.caused_by!))).toBe(true);
  const sentByPatient = new Map<string, number[]>();
  for (const r of out) sentByPatient.set(r.patient_id!, [...(sentByPatient.get(r.patient_id!) ?? []), r.caused_by!]);
  expect(sentByPatient.size).toBe(expected);
  for (const causes of sentByPatient.values()) expect(causes).toEqual([...causes].sort((a, b) => a - b));
  expect(new Set(rows.map((r) => r.processed_by)).size).toBe(instances);
}

describe('two instances on one PostgreSQL server', () => {
  it('process each patient in arrival order, one message at a time', async () => {
    const a = await spawn();
    const b = await spawn();
    const patients = Array.from({ length: 12 }, (_, i) => `3373000${String(i).padStart(4, '0')}`);
    const perPatient = 12;
    // Patients write in parallel; each patient's messages alternate between the two instances.
    await Promise.all(
      patients.map(async (p) => {
        for (let n = 0; n < perPatient; n++) {
          expect(await post([a, b][n % 2]!.base, inboundText(p, `message ${n}`))).toBe(200);
        }
      }),
    );
    const total = patients.length * perPatient;
    expect(await waitFor(async () => (await doneCount()) === total, 60_000, 100)).toBe(true);
    await expectPatientOrder(patients.length, perPatient, 2); // both instances took part
    for (const s of servers.splice(0)) await s.kill('SIGTERM');
  });

  it('order a patient by person, whichever identity each message carries, across instances', async () => {
    await tdb.db.deleteFrom('outbox').execute();
    await tdb.db.deleteFrom('inbound_messages').execute();
    // A backlog first, taken in by two instances without workers; then two instances with workers drain it
    // together, so a patient's messages are claimed concurrently.
    const intake = [await spawn({ WORKERS: 'false' }), await spawn({ WORKERS: 'false' })];
    const count = 16;
    const perPatient = 12;
    const people = Array.from({ length: count }, (_, i) => ({ phone: `3374000${String(i).padStart(4, '0')}`, bsuid: `FR.74${String(i).padStart(6, '0')}` }));
    // The first message carries both identities (the patient becomes known by both), then they vary.
    const shapes: ((p: Required<Who>) => Who)[] = [(p) => ({ phone: p.phone }), (p) => ({ bsuid: p.bsuid }), (p) => p];
    await Promise.all(
      people.map(async (p, i) => {
        for (let n = 0; n < perPatient; n++) {
          const who = n === 0 ? p : shapes[(n + i) % shapes.length]!(p);
          expect(await post(intake[n % 2]!.base, textFrom(who, `message ${n}`).payload)).toBe(200);
        }
      }),
    );
    const total = count * perPatient;
    const stored = await tdb.db.selectFrom('inbound_messages').select(sql<number>`count(*)::int`.as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow();
    expect(stored.n).toBe(total);
    await Promise.all([spawn(), spawn()]);
    expect(await waitFor(async () => (await doneCount()) === total, 60_000, 100)).toBe(true);
    // Each instance runs several workers, so the patients' lanes are contended even if one instance, up
    // first, drained most of the backlog alone.
    const instances = new Set((await tdb.db.selectFrom('inbound_messages').select('processed_by').execute()).map((r) => r.processed_by)).size;
    await expectPatientOrder(count, perPatient, instances);
  });
});
