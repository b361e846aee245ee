// Two inbound workers, each with its own connection pool (two instances of the service), on one PostgreSQL
// server: a failure recorded late never undoes another instance's work, an earlier message another instance
// holds still blocks the same person's later ones, and wake-ups come after the commit.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { gate as openGate, messageFrom, person, storeMessage, storeText, testWorker, type Who } from '../../test/support/inbound.js';

let t: TestDatabase;
const opened: Database[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
});
// A failed test must not hold a connection forever or leave messages that the next test's workers take.
const gates: (() => void)[] = [];
function gate(): ReturnType<typeof openGate> {
  const g = openGate();
  gates.push(g.open);
  return g;
}
afterEach(async () => {
  for (const open of gates.splice(0)) open();
  await t.db.updateTable('inbound_messages').set({ state: 'dead' }).where('state', '=', 'pending').execute();
});
afterAll(async () => {
  for (const d of opened) await d.close();
  await t.close();
});

async function instance(poolSize: number): Promise<Database> {
  const d = await openDatabase({ databaseUrl: t.url!, poolSize });
  opened.push(d);
  return d;
}

const row = (id: number) => t.db.selectFrom('inbound_messages').select(['state', 'attempts', 'processed_by', 'next_attempt_at']).where('id', '=', id).executeTakeFirstOrThrow();
const outboxOf = async (id: number) => (await t.db.selectFrom('outbox').select('kind').where('caused_by', '=', id).orderBy('id').execute()).map((r) => r.kind);

describe('a failure recorded after the claim rolled back', () => {
  it.each([
    ['a first attempt', 0],
    ['a last attempt', 4],
  ])('on %s never undoes what another instance finished meanwhile', async (_name, attemptsBefore) => {
    const a = await instance(1); // one connection: a query queued on it runs between A's rollback and A's failure record
    const b = await instance(3);
    const inHandler = gate();
    const release = gate();
    const A = testWorker(a.db, {
      instanceId: 'A',
      handle: async () => {
        inHandler.open();
        await release.wait;
        throw new Error('handler failed');
      },
    });
    const B = testWorker(b.db, { instanceId: 'B' });
    const id = await storeText(t.db, person(), 'hello');
    await t.db.updateTable('inbound_messages').set({ attempts: attemptsBefore }).where('id', '=', id).execute();

    const holder = new pg.Client({ connectionString: t.url! });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock(4711)');
      const aDone = A.worker.processOne();
      await inHandler.wait;
      // Queued behind A's transaction on A's only connection: it takes the connection when A rolls back and
      // holds it (waiting for the advisory lock) until B has claimed and finished the message.
      const hold = sql`select pg_advisory_xact_lock_shared(4711)`.execute(a.db);
      await new Promise((r) => setImmediate(r)); // let the query reach the pool's queue
      release.open();
      await waitUntil(() => unlocked(id)); // A rolled back
      expect(await B.worker.processOne()).toBe(true);
      expect(await row(id)).toMatchObject({ state: 'done', processed_by: 'B' });
      await holder.query('select pg_advisory_unlock(4711)');
      await hold;
      expect(await aDone).toBe(true);
    } finally {
      await holder.end();
    }
    expect(await row(id)).toMatchObject({ state: 'done', processed_by: 'B', attempts: attemptsBefore + 1 });
    // Handled once: no second pass, one set of replies, no alert about a message that was answered.
    expect(await B.worker.processOne()).toBe(false);
    expect(await outboxOf(id)).toEqual(['read', 'text']);
    const alerts = await t.db.selectFrom('operator_alerts').select('message').where('code', '=', 'inbound_dead').execute();
    expect(alerts.filter((r) => r.message.includes(`message ${id} `))).toEqual([]);
  }, 15_000);

  it('is still recorded when nobody took the message over', async () => {
    const a = await instance(2);
    const A = testWorker(a.db, { instanceId: 'A', handle: () => { throw new Error('handler failed'); } });
    const id = await storeText(t.db, person(), 'hello');
    expect(await A.worker.processOne()).toBe(true);
    const r = await row(id);
    expect(r).toMatchObject({ state: 'pending', attempts: 1, processed_by: null });
    expect(r.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
  });
});

/** Whether no transaction holds the row (A's rollback released it). */
async function unlocked(id: number): Promise<boolean> {
  const r = await sql<{ id: number }>`select id from inbound_messages where id = ${id} for update skip locked`.execute(t.db);
  return r.rows.length === 1;
}

/** Polls the database (another session's rollback has no event to wait on). */
async function waitUntil(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000 && !(await f()); i++) await new Promise((r) => setImmediate(r));
  expect(await f()).toBe(true);
}

const pick = (p: Required<Who>, keys: (keyof Who)[]): Who => Object.fromEntries(keys.map((k) => [k, p[k]]));

describe('two instances, one person known by a BSUID and a phone', () => {
  it.each([
    ['BSUID and phone, then phone only', ['bsuid', 'phone'], ['phone'], false],
    ['phone only, then BSUID and phone', ['phone'], ['bsuid', 'phone'], false],
    ['BSUID only, then phone only', ['bsuid'], ['phone'], true],
    ['phone only, then BSUID only', ['phone'], ['bsuid'], true],
  ] as [string, (keyof Who)[], (keyof Who)[], boolean][])('%s: a message held by one instance blocks the next one on the other', async (_name, first, second, knownBefore) => {
    const a = await instance(3);
    const b = await instance(3);
    const inHandler = gate();
    const release = gate();
    const A = testWorker(a.db, {
      instanceId: 'A',
      handle: async (body) => {
        if (body !== 'first') return;
        inHandler.open();
        await release.wait;
      },
    });
    const B = testWorker(b.db, { instanceId: 'B' });
    const p = person();
    if (knownBefore) {
      await storeText(t.db, p, 'hello'); // the patient is now known by both identities
      expect(await B.worker.processOne()).toBe(true);
    }
    const firstId = await storeText(t.db, pick(p, first), 'first');
    const secondId = await storeText(t.db, pick(p, second), 'second');
    const otherId = await storeText(t.db, person(), 'someone else');
    const aDone = A.worker.processOne();
    await inHandler.wait;
    // A holds 'first' (locked, still pending): B skips it, must not take 'second', and serves the other patient.
    expect(await B.worker.processOne()).toBe(true);
    expect(await B.worker.processOne()).toBe(false);
    expect(B.seen).toEqual([...(knownBefore ? ['hello'] : []), 'someone else']);
    release.open();
    expect(await aDone).toBe(true);
    expect(await B.worker.processOne()).toBe(true);
    expect(B.seen.at(-1)).toBe('second');
    const rows = await t.db.selectFrom('inbound_messages').select(['id', 'state', 'processed_by', 'processed_order']).where('id', 'in', [firstId, secondId, otherId]).orderBy('processed_order').execute();
    expect(rows.map((r) => [r.id, r.state, r.processed_by])).toEqual([[otherId, 'done', 'B'], [firstId, 'done', 'A'], [secondId, 'done', 'B']]);
  }, 15_000); // before the fix, B took 'second' and then waited on A's lock of the patient row
});

describe('wake-ups', () => {
  it('come after the commit of the work they announce', async () => {
    const events: string[] = [];
    const pool = new pg.Pool({ connectionString: t.url!, max: 2 });
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool }),
      log: (e) => {
        if (e.level === 'query' && /^commit$/i.test(e.query.sql)) events.push('commit');
      },
    });
    try {
      const w = testWorker(db, { instanceId: 'A', onWake: (what) => events.push(`wake ${what}`) });
      await storeText(t.db, person(), 'hi');
      expect(await w.worker.processOne()).toBe(true);
      expect(events).toEqual(['commit', 'wake replies']);
      events.length = 0;
      await storeMessage(t.db, messageFrom(person(), { type: 'image', image: { id: '1234567890', mime_type: 'image/jpeg', sha256: 'abc' } }));
      expect(await w.worker.processOne()).toBe(true);
      expect(events).toEqual(['commit', 'wake media', 'wake replies']);
    } finally {
      await db.destroy();
    }
  });
});
