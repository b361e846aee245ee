// The audit chains on a PostgreSQL server, with real parallel connections: a transaction appending to one
// chain does not wait for another chain's open transaction (issue 11: with one chain, every processing
// transaction and every settle queued behind the others' commit), while a second append to the same chain
// waits for the first to commit, so each chain stays one gapless line.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { auditChainFor, recordAudit, verifyAudit } from './audit.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 6 });
  if (database.kind !== 'postgres') throw new Error('a server test: set TEST_DATABASE_URL');
});
afterAll(async () => {
  await database?.close();
});

/** Two patient ids whose transactions append to different chains. */
function patientsOnTwoChains(): [string, string] {
  const id = (i: number) => `7b1e0c1c-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const a = id(0);
  for (let i = 1; ; i++) if (auditChainFor(id(i)) !== auditChainFor(a)) return [a, id(i)];
}

/** Opens a transaction that appends for `patientId` and stays open until `close` is called. */
function openAppend(patientId: string) {
  let close!: () => void;
  const closed = new Promise<void>((r) => (close = r));
  let appended!: () => void;
  const hasAppended = new Promise<void>((r) => (appended = r));
  const done = database.db.transaction().execute(async (tx) => {
    await recordAudit(tx, { actor: { type: 'patient', id: patientId }, action: 'message.in', patientId });
    appended();
    await closed;
  });
  return { hasAppended, close, done };
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('audit chains on PostgreSQL', () => {
  it('lets appends to two chains run side by side, and orders appends to one chain', async () => {
    const [p1, p2] = patientsOnTwoChains();
    const first = openAppend(p1);
    await first.hasAppended;

    // Another chain: appends and commits while the first transaction still holds its chain.
    const other = database.db.transaction().execute((tx) => recordAudit(tx, { actor: { type: 'patient', id: p2 }, action: 'message.in', patientId: p2 }));
    expect(await settledWithin(other, 10_000)).toBe(true);

    // The same chain: waits for the first transaction's commit (a lock wait, seen in pg_locks).
    const same = database.db.transaction().execute((tx) => recordAudit(tx, { actor: { type: 'patient', id: p1 }, action: 'message.out', patientId: p1 }));
    let waiting = 0;
    for (let i = 0; i < 100 && waiting === 0; i++) {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`.execute(database.db);
      waiting = r.rows[0]!.n;
      if (waiting === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(waiting).toBe(1);
    expect(await settledWithin(same, 300)).toBe(false);
    first.close();
    await first.done;
    await same;

    const r = await verifyAudit(database.db);
    expect(r).toMatchObject({ ok: true, entries: 3, chains: 2 });
    const chains = await sql<{ chain: number; seq: string; action: string }>`select chain, seq::text as seq, action from audit_log order by chain, seq`.execute(database.db);
    const chainOfP1 = chains.rows.filter((c) => c.chain === auditChainFor(p1));
    expect(chainOfP1.map((c) => [c.seq, c.action])).toEqual([['1', 'message.in'], ['2', 'message.out']]);
  });
});
