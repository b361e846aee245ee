// Migration 0026: the outbox leaves room on its pages, so a send's dispatch mark (which changes no indexed
// column) is a heap-only update even on a page that was full of rows when they were queued.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

describe('outbox pages', () => {
  it('keep room for a dispatch mark: a heap-only update on the first page after 400 rows were queued', async () => {
    await sql`insert into outbox (recipient_key, to_phone, kind, payload, requires_window, callback_token, state)
              select 'p:' || g, '3361234' || g, 'text', decode(repeat('ab', 120), 'hex'), false, 'tok' || g, 'sending'
                from generate_series(1, 400) g`.execute(t.db);
    const hot = await t.db.transaction().execute(async (tx) => {
      // The lowest id sits on the first page, which every later row filled as far as the table allows.
      const first = await sql<{ id: string; page: string }>`select id, (ctid::text::point)[0]::bigint as page from outbox order by id limit 1`.execute(tx);
      const pages = await sql<{ n: string }>`select count(distinct (ctid::text::point)[0])::bigint as n from outbox`.execute(tx);
      expect(Number(pages.rows[0]!.n)).toBeGreaterThan(1);
      await sql`update outbox set dispatched_at = now() where id = ${first.rows[0]!.id}`.execute(tx);
      const r = await sql<{ hot: string; page: string }>`select pg_stat_get_xact_tuples_hot_updated('outbox'::regclass) as hot,
                 (select (ctid::text::point)[0]::bigint from outbox where id = ${first.rows[0]!.id}) as page`.execute(tx);
      return { hot: Number(r.rows[0]!.hot), samePage: r.rows[0]!.page === first.rows[0]!.page };
    });
    expect(hot).toEqual({ hot: 1, samePage: true });
  });
});
