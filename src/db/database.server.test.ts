// On a server, background workers have their own pool: when every one of its connections is busy (a burst of
// inbound processing, a slow statement), webhook intake still gets a connection at once.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ backgroundPoolSize: 5 });
});
afterAll(async () => t.close());

describe('background pool', () => {
  it('leaves intake its connections while the workers hold every one of theirs', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside = 0;
    let allIn!: () => void;
    const allInside = new Promise<void>((r) => (allIn = r));
    // More transactions than the workers' pool has connections: the extra ones queue inside that pool.
    const workers = Array.from({ length: 8 }, () =>
      t.background.transaction().execute(async (tx) => {
        await sql`select 1`.execute(tx);
        if (++inside === 5) allIn();
        await held;
      }),
    );
    await allInside;
    const backends = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(t.db);
    expect(backends.rows[0]!.n).toBe(5);
    expect(inside).toBe(5);
    // Intake: a write and a read, answered while all the workers' connections are taken.
    await t.db.insertInto('status_events').values({ wamid: 'wamid.POOL', status: 'sent', occurred_at: new Date(), callback_data: null, recipient: null, error_code: null, details: null }).execute();
    const row = await t.db.selectFrom('status_events').select('wamid').where('wamid', '=', 'wamid.POOL').executeTakeFirstOrThrow();
    expect(row.wamid).toBe('wamid.POOL');
    expect(inside).toBe(5);
    release();
    await Promise.all(workers);
    expect(inside).toBe(8);
  });
});
