// Migration 0027: an append is one statement, the database links the entries (hash version 2), and a trail
// begun under version 1 (the application hashed entries whole) goes on under version 2 and still verifies.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { auditChainFor, contentHash, entryHash, linkedHash, recordAudit, SYSTEM, verifyAudit } from './audit.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

const PATIENT = '5c2f1d3e-1111-4a51-9f53-0b0b7d4c2a10';
const GENESIS = '0'.repeat(64);

describe('audit appends (hash version 2)', () => {
  it('go to the database in one statement, and the stored hash is the one the application recomputes', async () => {
    let statements = 0;
    const counted = database.db.withPlugin({ transformQuery: (a) => { statements++; return a.node; }, transformResult: (a) => Promise.resolve(a.result) });
    const at = new Date('2026-12-01T09:30:00.123Z');
    await counted.transaction().execute((tx) => recordAudit(tx, [
      { actor: SYSTEM('test'), action: 'test.first', patientId: PATIENT, target: 'outbox:1', details: { kind: 'text', n: 1 }, at },
      { actor: { type: 'staff', id: 'u-1' }, action: 'test.second', patientId: PATIENT, ip: '203.0.113.9', details: { b: true, a: null }, at },
    ]));
    expect(statements).toBe(1);
    const rows = await sql<{ id: string; seq: string; chain: number; prev_hash: string; hash: string; hash_version: number; at: Date }>`
      select id::text, seq::text, chain, prev_hash, hash, hash_version, at from audit_log order by seq`.execute(database.db);
    expect(rows.rows.map((r) => [r.seq, r.chain, r.hash_version])).toEqual([['1', auditChainFor(PATIENT), 2], ['2', auditChainFor(PATIENT), 2]]);
    const [a, b] = rows.rows;
    expect(a!.prev_hash).toBe(GENESIS);
    expect(b!.prev_hash).toBe(a!.hash);
    expect(a!.hash).toBe(linkedHash(GENESIS, a!.id, contentHash({ at, actorType: 'system', actorId: 'test', action: 'test.first', patientId: PATIENT, target: 'outbox:1', ip: null, details: { n: 1, kind: 'text' } })));
    expect(b!.hash).toBe(linkedHash(a!.hash, b!.id, contentHash({ at, actorType: 'staff', actorId: 'u-1', action: 'test.second', patientId: PATIENT, target: null, ip: '203.0.113.9', details: { a: null, b: true } })));
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true, entries: 2 });
  });

  it('continue a chain of version 1 entries, verify across the two, and name an edited version 2 entry', async () => {
    const { db } = database;
    const other = '5c2f1d3e-2222-4a51-9f53-0b0b7d4c2a10';
    const chain = auditChainFor(other);
    expect(chain).not.toBe(auditChainFor(PATIENT));
    // Two entries as the application wrote them before 0027.
    let prev = GENESIS;
    for (const seq of [1, 2]) {
      const id = String(9_000 + seq);
      const entry = { id, at: new Date(`2026-11-0${seq}T08:00:00.000Z`), actorType: 'system' as const, actorId: 'legacy', action: 'test.legacy', patientId: other, target: null, ip: null, details: { seq }, prevHash: prev };
      const hash = entryHash(entry);
      await sql`insert into audit_log (id, chain, seq, at, actor_type, actor_id, action, patient_id, target, ip, details, prev_hash, hash)
                values (${id}::bigint, ${chain}::smallint, ${seq}, ${entry.at}, 'system', 'legacy', 'test.legacy', ${other}::uuid, null, null, ${JSON.stringify(entry.details)}::jsonb, ${prev}, ${hash})`.execute(db);
      prev = hash;
    }
    await db.transaction().execute((tx) => recordAudit(tx, { actor: SYSTEM('test'), action: 'test.after', patientId: other }));
    const last = await sql<{ id: string; seq: string; prev_hash: string; hash_version: number }>`select id::text, seq::text, prev_hash, hash_version from audit_log where chain = ${chain}::smallint order by seq desc limit 1`.execute(db);
    expect(last.rows[0]).toMatchObject({ seq: '3', prev_hash: prev, hash_version: 2 });
    expect(await verifyAudit(db)).toMatchObject({ ok: true, entries: 5 });

    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(db);
    try {
      await sql`update audit_log set action = 'test.forged' where id = ${last.rows[0]!.id}::bigint`.execute(db);
      expect(await verifyAudit(db)).toMatchObject({ ok: false, brokenAt: last.rows[0]!.id, reason: 'hash_mismatch' });
      // An edited version (1 → 2) does not pass either: the entry is checked by the other scheme and fails.
      await sql`update audit_log set action = 'test.after', hash_version = 1 where id = ${last.rows[0]!.id}::bigint`.execute(db);
      expect(await verifyAudit(db)).toMatchObject({ ok: false, brokenAt: last.rows[0]!.id, reason: 'hash_mismatch' });
    } finally {
      await sql`alter table audit_log enable trigger audit_log_no_change`.execute(db);
    }
  });
});
