// The audit trail is append-only and hash-chained: appends in concurrent transactions form one gapless chain,
// an entry edited in SQL (even with the trigger disabled) is named by verification, and the app cannot edit it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { listAudit, recordAudit, SYSTEM, verifyAudit } from './audit.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 12 });
});
afterAll(async () => {
  await database.close();
});

const PATIENT = '4a3d0e0c-86a8-4a51-9f53-0b0b7d4c2a10';

describe('audit trail', () => {
  it('chains entries written concurrently, in order, and verifies', async () => {
    const { db } = database;
    await Promise.all(Array.from({ length: 30 }, (_, i) => db.transaction().execute(async (tx) => {
      await recordAudit(tx, [
        { actor: { type: 'staff', id: `u${i}` }, action: 'patient.view', patientId: PATIENT, ip: '10.0.0.1', details: { n: i, ok: true, note: 'ß "quoted"' } },
        { actor: SYSTEM('sender'), action: 'message.out', patientId: PATIENT, target: `wamid:${i}` },
      ]);
    })));
    const r = await verifyAudit(db, 7);
    // One patient: one chain, whichever transaction came first.
    expect(r).toMatchObject({ ok: true, entries: 60, chains: 1 });
    const ids = (await listAudit(db, { limit: 100 })).map((e) => Number(e.id));
    expect(ids).toHaveLength(60);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => 60 - i));
  });

  it('rolls back with the transaction that recorded it', async () => {
    const { db } = database;
    const before = (await verifyAudit(db)).entries;
    await expect(db.transaction().execute(async (tx) => {
      await recordAudit(tx, { actor: SYSTEM('test'), action: 'test.rolled_back' });
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect((await verifyAudit(db)).entries).toBe(before);
  });

  it('refuses an append outside a transaction, where the chain\'s lock would not cover the insert', async () => {
    await expect(recordAudit(database.db, { actor: SYSTEM('test'), action: 'test.no_tx' })).rejects.toThrow(/inside a transaction/);
  });

  it('spreads patients over several chains, each gapless and verified, one chain per transaction', async () => {
    const fresh = await createTestDatabase();
    try {
      const { db } = fresh;
      const patients = Array.from({ length: 40 }, (_, i) => `4a3d0e0c-86a8-4a51-9f53-${String(i).padStart(12, '0')}`);
      await Promise.all(patients.map((p, i) => db.transaction().execute(async (tx) => {
        await recordAudit(tx, { actor: { type: 'patient', id: p }, action: 'message.in', patientId: p, target: `wamid:${i}` });
        // A second append in the same transaction, for another patient: it stays on the transaction's chain.
        await recordAudit(tx, { actor: SYSTEM('sender'), action: 'message.out', patientId: patients[(i + 1) % patients.length] });
      })));
      const r = await verifyAudit(db, 5);
      expect(r).toMatchObject({ ok: true, entries: 80 });
      if (!r.ok) return;
      expect(r.chains).toBeGreaterThan(4);
      const rows = await sql<{ chain: number; seqs: string[]; n: number; firsts: number }>`select chain, array_agg(seq::text order by seq) as seqs, count(*)::int as n,
          count(distinct patient_id) filter (where action = 'message.in')::int as firsts from audit_log group by chain`.execute(db);
      expect(rows.rows.length).toBe(r.chains);
      for (const c of rows.rows) {
        expect(c.seqs).toEqual(Array.from({ length: c.n }, (_, i) => String(i + 1)));
        expect(c.n).toBe(c.firsts * 2);
      }
      // Each transaction's two entries sit next to each other in their chain.
      const pairs = await sql<{ n: number }>`select count(*)::int as n from audit_log a join audit_log b on b.chain = a.chain and b.seq = a.seq + 1
          where a.action = 'message.in' and b.action = 'message.out' and b.prev_hash = a.hash`.execute(db);
      expect(pairs.rows[0]!.n).toBe(40);
    } finally {
      await fresh.close();
    }
  });

  it('refuses updates and deletes from the application', async () => {
    await expect(sql`update audit_log set action = 'x.y' where id = 3`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where id = 3`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('names the first entry edited in SQL behind the trigger\'s back, and a removed one', async () => {
    const { db } = database;
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(db);
    try {
      await sql`update audit_log set details = '{"n": 99}'::jsonb where id = 17`.execute(db);
      expect(await verifyAudit(db)).toMatchObject({ ok: false, brokenAt: '17', reason: 'hash_mismatch', entries: 16 });
      await sql`delete from audit_log where id = 9`.execute(db);
      // The entry found where the removed one should be.
      expect(await verifyAudit(db)).toMatchObject({ ok: false, brokenAt: '10', reason: 'gap', entries: 8 });
    } finally {
      await sql`alter table audit_log enable trigger audit_log_no_change`.execute(db);
    }
  });

  it('filters by actor, patient, action prefix and date, newest first', async () => {
    const { db } = database;
    // Entries 9 and 17 were tampered with above: filter on an actor recorded after that.
    await db.transaction().execute((tx) => recordAudit(tx, { actor: { type: 'staff', id: 'u-filter' }, action: 'patient.view', patientId: PATIENT }));
    expect((await listAudit(db, { actorId: 'u-filter', limit: 10 })).map((e) => e.action)).toEqual(['patient.view']);
    const messages = await listAudit(db, { action: 'message', limit: 100 });
    expect(messages.length).toBeGreaterThan(20);
    expect(messages.every((e) => e.action === 'message.out')).toBe(true);
    expect(await listAudit(db, { action: 'mess', limit: 10 })).toHaveLength(0);
    expect(await listAudit(db, { from: new Date(Date.now() + 60_000), limit: 10 })).toHaveLength(0);
    const page1 = await listAudit(db, { patientId: PATIENT, limit: 5 });
    const page2 = await listAudit(db, { patientId: PATIENT, limit: 5, before: page1[4]!.id });
    expect(page1).toHaveLength(5);
    expect(Number(page2[0]!.id)).toBeLessThan(Number(page1[4]!.id));
  });
});
