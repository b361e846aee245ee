// Status application on a real database: the set-based pass ends every outbox row exactly where applying
// its statuses one by one in order ends it; held statuses never delay a new one; held ones expire.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startFakeGraph } from '../../test/support/fake-graph.js';
import { createMetrics } from '../analytics/metrics.js';
import { createCipher } from '../compliance/crypto.js';
import { GraphClient } from './graph-client.js';
import { text } from './outbound.js';
import { enqueue } from './outbox.js';
import { Sender } from './sender.js';
import type { Clock } from '../lib/clock.js';
import type { DbOrTx } from '../db/database.js';
import { outboxIdFromCallback } from './outbox.js';
import { applyHeldStatusesFor, applyStatuses, HELD_RETRY_S, STATUS_HOLD_MS, STATUS_RANK } from './statuses.js';

let t: TestDatabase;
let oracle: TestDatabase;

beforeAll(async () => {
  [t, oracle] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => Promise.all([t.close(), oracle.close()]));

/** A clock the test moves by hand. */
function manualClock(): Clock & { advance(ms: number): void } {
  let at = Date.now();
  return { now: () => new Date(at), advance: (ms) => void (at += ms) };
}

interface OutboxSeed {
  state: 'pending' | 'sending' | 'in_doubt' | 'sent' | 'failed' | 'cancelled';
  status: string | null;
  status_rank: number;
  wamid: string | null;
  callback_token: string;
  error_code?: number | null;
  error_title?: string | null;
  sent_at?: Date | null;
  delivered_at?: Date | null;
}

async function insertOutbox(db: DbOrTx, rows: OutboxSeed[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const r = await db.insertInto('outbox').values(rows.map((row) => ({
    patient_id: null, recipient_key: 'k', to_phone: '33600000000', to_bsuid: null, kind: 'text', payload: new Uint8Array([1]),
    requires_window: true, caused_by: null, idempotency_key: null, ...row,
  }))).returning('id').execute();
  return r.map((x) => x.id);
}

interface StatusSeed {
  wamid: string;
  status: string;
  occurred_at: Date;
  callback_data: string | null;
  error_code: number | null;
  details: string | null;
}

async function insertStatuses(db: DbOrTx, rows: StatusSeed[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    await db.insertInto('status_events').values(rows.slice(i, i + 1000).map((s) => ({ ...s, recipient: '33600000000' }))).execute();
  }
}

const status = (wamid: string, st: string, extra: Partial<StatusSeed> = {}): StatusSeed => ({
  wamid, status: st, occurred_at: new Date(), callback_data: null, error_code: null, details: null, ...extra,
});

/**
 * The reference: the one-by-one rule as it stood before the set-based pass (one UPDATE per status, in id
 * order), kept here verbatim as the oracle the set-based statement must agree with.
 */
async function applyOneByOne(db: DbOrTx, s: StatusSeed): Promise<boolean> {
  const rank = STATUS_RANK[s.status] ?? 0;
  const byId = outboxIdFromCallback(s.callback_data);
  const failed = s.status === 'failed';
  const at = s.occurred_at;
  const details: unknown = s.details ? JSON.parse(s.details) : null;
  const title = (() => {
    if (details && typeof details === 'object' && 'errors' in details && Array.isArray(details.errors)) {
      const e: unknown = details.errors[0];
      if (e && typeof e === 'object' && 'title' in e && typeof e.title === 'string') return e.title.slice(0, 200);
    }
    return null;
  })();
  const res = await db.updateTable('outbox')
    .set({
      wamid: sql`coalesce(wamid, ${s.wamid})`,
      status: sql`case when status_rank < ${rank} then ${s.status} else status end`,
      status_rank: sql`greatest(status_rank, ${rank})`,
      state: failed
        ? sql`case when state in ('pending', 'sending', 'in_doubt', 'sent') and status_rank < 4 then 'failed' else state end`
        : sql`case when state in ('pending', 'sending', 'in_doubt') then 'sent' when state = 'failed' and ${rank} >= 4 then 'sent' else state end`,
      sent_at: s.status === 'sent' ? sql`coalesce(sent_at, ${at})` : sql`sent_at`,
      delivered_at: s.status === 'delivered' || s.status === 'read' ? sql`coalesce(delivered_at, ${at})` : sql`delivered_at`,
      read_at: s.status === 'read' ? sql`coalesce(read_at, ${at})` : sql`read_at`,
      failed_at: failed ? sql`coalesce(failed_at, ${at})` : sql`failed_at`,
      error_code: failed ? sql`${s.error_code}` : sql`error_code`,
      error_title: failed ? sql`${title}` : sql`error_title`,
    })
    .where((eb) => (byId !== null ? eb.or([eb.and([eb('id', '=', byId.id), eb('callback_token', '=', byId.token)]), eb('wamid', '=', s.wamid)]) : eb('wamid', '=', s.wamid)))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A small seeded generator: the same cases on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const OUTBOX_COLUMNS = ['id', 'wamid', 'status', 'status_rank', 'state', 'sent_at', 'delivered_at', 'read_at', 'failed_at', 'error_code', 'error_title'] as const;

describe('set-based application', () => {
  it('ends every outbox row where applying its statuses one by one in id order ends it', async () => {
    const rnd = random(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const states = ['pending', 'sending', 'in_doubt', 'sent', 'failed', 'cancelled'] as const;
    const initial = [[null, 0], ['accepted', 1], ['sent', 2], ['failed', 3], ['delivered', 4], ['read', 5]] as const;
    const kinds = ['accepted', 'sent', 'delivered', 'read', 'played', 'failed', 'deleted'];
    const base = Date.parse('2026-11-01T10:00:00Z');
    const seeds: OutboxSeed[] = [];
    const perRow: StatusSeed[][] = [];
    const ROWS = 300;
    for (let i = 0; i < ROWS; i++) {
      const [st, rank] = pick(initial);
      const knowsWamid = rnd() < 0.5;
      const token = `${i.toString(16).padStart(4, '0')}abcdef01`;
      seeds.push({
        state: pick(states), status: st, status_rank: rank, wamid: knowsWamid ? `wamid.R${i}` : null, callback_token: token,
        error_code: rnd() < 0.3 ? 131000 : null, error_title: rnd() < 0.3 ? 'old error' : null,
        sent_at: rnd() < 0.3 ? new Date(base) : null, delivered_at: rnd() < 0.2 ? new Date(base) : null,
      });
      const id = i + 1; // both databases are fresh: ids follow insertion order
      const list: StatusSeed[] = [];
      const n = 1 + Math.floor(rnd() * 5);
      const used = new Set<string>();
      for (let k = 0; k < n; k++) {
        const kind = pick(kinds);
        // A row that knows its wamid gets statuses by wamid (some with callback data, as Meta sends it); one that
        // does not is matched by callback data, possibly for two sends of it (a resend has another wamid).
        const wamid = knowsWamid ? (rnd() < 0.9 ? `wamid.R${i}` : `wamid.X${i}`) : pick([`wamid.R${i}`, `wamid.S${i}`]);
        if (used.has(`${wamid}/${kind}`)) continue;
        used.add(`${wamid}/${kind}`);
        const foreign = rnd() < 0.1;
        const callback = foreign ? `pl:${id}:ffffffffffff` : knowsWamid && rnd() < 0.5 ? null : `pl:${id}:${token}`;
        list.push(status(foreign ? `wamid.X${i}.${k}` : wamid, kind, {
          occurred_at: new Date(base + Math.floor(rnd() * 100_000) * 1000),
          callback_data: callback,
          error_code: kind === 'failed' ? pick([131047, 131026, 130472]) : null,
          details: kind === 'failed' ? JSON.stringify({ errors: [{ code: 1, title: `title ${k} of ${i}` }], pricing: null, conversation: null }) : null,
        }));
      }
      perRow.push(list);
    }
    // Statuses of all rows interleaved, as webhooks arrive: ids are the global order.
    const all: StatusSeed[] = [];
    const cursors = perRow.map(() => 0);
    for (let left = perRow.reduce((n, l) => n + l.length, 0); left > 0; ) {
      const r = Math.floor(rnd() * ROWS);
      if (cursors[r]! < perRow[r]!.length) {
        all.push(perRow[r]![cursors[r]!++]!);
        left--;
      }
    }
    await insertOutbox(t.db, seeds);
    await insertOutbox(oracle.db, seeds);
    await insertStatuses(t.db, all);

    const matched: boolean[] = [];
    for (const s of all) matched.push(await applyOneByOne(oracle.db, s));
    const r = await applyStatuses(t.db, { newBatch: all.length });

    expect(r.claimed).toBe(all.length);
    expect(matched.filter(Boolean).length).toBeGreaterThan(all.length / 2);
    expect(r.applied).toBe(matched.filter(Boolean).length);
    const got = await t.db.selectFrom('outbox').select(OUTBOX_COLUMNS).orderBy('id').execute();
    const want = await oracle.db.selectFrom('outbox').select(OUTBOX_COLUMNS).orderBy('id').execute();
    expect(got).toHaveLength(ROWS);
    expect(got).toEqual(want);
    // Each status is applied exactly when the one-by-one pass matched it.
    const events = await t.db.selectFrom('status_events').select(['id', 'applied_at']).orderBy('id').execute();
    expect(events.map((e) => e.applied_at !== null)).toEqual(matched);
    // The cases covered what they are meant to: rows that changed state, failed ones overtaken, wamids learned.
    expect(got.filter((g, i) => g.state !== seeds[i]!.state).length).toBeGreaterThan(20);
    expect(got.filter((g, i) => seeds[i]!.wamid === null && g.wamid !== null).length).toBeGreaterThan(20);
    await t.db.deleteFrom('status_events').execute();
    await t.db.deleteFrom('outbox').execute();
  });
});

describe('new statuses first', () => {
  it('applies a new real status in the next pass while 2,500 held ones of another app are due', async () => {
    const clock = manualClock();
    const [id] = await insertOutbox(t.db, [{ state: 'in_doubt', status: null, status_rank: 0, wamid: null, callback_token: 'aaaabbbbcccc' }]);
    await insertStatuses(t.db, Array.from({ length: 2500 }, (_, i) => status(`wamid.OTHER${i}`, 'sent')));
    let tries = 0;
    while ((await applyStatuses(t.db, { clock })).claimed > 0 && ++tries < 10);
    expect(await count(sql`attempts = 1 and applied_at is null and expired_at is null`)).toBe(2500);

    clock.advance(HELD_RETRY_S[0]! * 1000); // every held one is due again
    await insertStatuses(t.db, [status('wamid.OURS1', 'sent', { callback_data: `pl:${id}:aaaabbbbcccc` })]);
    const pass = await applyStatuses(t.db, { clock });

    expect(pass.applied).toBe(1);
    const row = await t.db.selectFrom('outbox').select(['state', 'status', 'wamid']).where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'sent', status: 'sent', wamid: 'wamid.OURS1' });
    // The held ones got a bounded share of the pass, after it: most are still waiting for their retry.
    expect(await count(sql`attempts = 2`)).toBe(pass.claimed - 1);
    expect(pass.claimed - 1).toBeLessThan(2500);
    await t.db.deleteFrom('status_events').execute();
  });

  it('works through a burst of unknown statuses in arrival order, each tried once before any is retried', async () => {
    const clock = manualClock();
    const [id] = await insertOutbox(t.db, [{ state: 'sent', status: 'accepted', status_rank: 1, wamid: 'wamid.OURS2', callback_token: 'aaaabbbbcccd' }]);
    await insertStatuses(t.db, Array.from({ length: 2100 }, (_, i) => status(`wamid.BURST${i}`, 'delivered')));
    await insertStatuses(t.db, [status('wamid.OURS2', 'delivered')]);
    const passes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await applyStatuses(t.db, { clock, newBatch: 1000 });
      passes.push(r.applied);
      if (r.applied) break;
    }
    expect(passes).toEqual([0, 0, 1]);
    expect((await t.db.selectFrom('outbox').select('status').where('id', '=', id!).executeTakeFirstOrThrow()).status).toBe('delivered');
    expect(await count(sql`attempts > 1`)).toBe(0);
    await t.db.deleteFrom('status_events').execute();
  });
});

async function count(where: ReturnType<typeof sql>): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from status_events where ${where}`.execute(t.db);
  return r.rows[0]!.n;
}

describe('held statuses', () => {
  it('retries a held status on its schedule, then expires it for good, counted in /metrics', async () => {
    const clock = manualClock();
    const metrics = createMetrics(t.db);
    await insertStatuses(t.db, [status('wamid.NOBODY', 'read')]);
    const first = await applyStatuses(t.db, { clock, metrics });
    expect(first).toMatchObject({ claimed: 1, applied: 0, held: 1, expired: 0 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^patientline_statuses_held 1$/m);
    expect(text).toMatch(/^patientline_queue_depth\{queue="statuses"\} 1$/m);

    // Not before its retry is due.
    expect((await applyStatuses(t.db, { clock, metrics })).claimed).toBe(0);
    let retries = 0;
    for (const s of HELD_RETRY_S) {
      clock.advance(s * 1000);
      const r = await applyStatuses(t.db, { clock, metrics });
      if (r.claimed) retries++;
      if (r.expired) break;
    }
    expect(retries).toBeGreaterThanOrEqual(2);
    clock.advance(STATUS_HOLD_MS);
    const last = await applyStatuses(t.db, { clock, metrics });
    expect(last).toMatchObject({ claimed: 1, applied: 0, held: 0, expired: 1 });
    const row = await t.db.selectFrom('status_events').select(['applied_at', 'expired_at']).where('wamid', '=', 'wamid.NOBODY').executeTakeFirstOrThrow();
    expect(row.applied_at).toBeNull();
    expect(row.expired_at).toEqual(clock.now());
    // Terminal: never tried again.
    clock.advance(STATUS_HOLD_MS);
    expect((await applyStatuses(t.db, { clock, metrics })).claimed).toBe(0);
    const after = await metrics.registry.metrics();
    expect(after).toMatch(/^patientline_statuses_expired_total 1$/m);
    await t.db.deleteFrom('status_events').execute();
  });

  it('applies held statuses when the sender learns the wamid, in the transaction that records it', async () => {
    const clock = manualClock();
    const [id] = await insertOutbox(t.db, [{ state: 'sending', status: null, status_rank: 0, wamid: null, callback_token: 'aaaabbbbccce' }]);
    // Meta's statuses raced ahead of the send's answer, without callback data: only the wamid names the message.
    await insertStatuses(t.db, [status('wamid.LATE', 'sent'), status('wamid.LATE', 'delivered')]);
    expect((await applyStatuses(t.db, { clock })).held).toBe(2);
    const applied = await t.db.transaction().execute(async (tx) => {
      await tx.updateTable('outbox').set({ state: 'sent', wamid: 'wamid.LATE' }).where('id', '=', id!).execute();
      return applyHeldStatusesFor(tx, 'wamid.LATE', clock);
    });
    expect(applied).toBe(2);
    const row = await t.db.selectFrom('outbox').select(['state', 'status', 'status_rank']).where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'sent', status: 'delivered', status_rank: 4 });
    expect(await count(sql`applied_at is null`)).toBe(0);
    await t.db.deleteFrom('status_events').execute();
  });

  it('applies a held status when the real sender learns its wamid from the Graph API answer', async () => {
    const clock = manualClock();
    const fake = await startFakeGraph({ appSecret: 's', token: 'tok', webhook: null, statuses: false });
    try {
      const cipher = createCipher(crypto.randomBytes(32));
      const metrics = createMetrics(t.db);
      const graph = new GraphClient({ apiUrl: fake.url, apiVersion: 'v23.0', accessToken: 'tok', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5000 });
      const sender = new Sender({ db: t.db, cipher, graph, metrics, log: pino({ level: 'silent' }), clock, mps: 80, sendTimeoutMs: 5000, reconcileMs: 15_000 });
      const patient = await t.db.insertInto('patients').values({ wa_id: '33600000077', bsuid: null, parent_bsuid: null, username: null, profile_name: null, language: null, last_inbound_at: clock.now() }).returning('id').executeTakeFirstOrThrow();
      const [id] = await enqueue(t.db, cipher, { patientId: patient.id, phone: '33600000077', bsuid: null }, [text('Your appointment is confirmed')]);
      // The fake Graph API names its first message wamid.FAKE1; Meta's "delivered" for it came before the answer.
      await insertStatuses(t.db, [status('wamid.FAKE1', 'delivered')]);
      expect((await applyStatuses(t.db, { clock })).held).toBe(1);
      clock.advance(1000); // the row was enqueued at the database's now
      expect(await sender.tick()).toBe(1);
      await sender.drain();
      const row = await t.db.selectFrom('outbox').select(['state', 'wamid', 'status']).where('id', '=', id!).executeTakeFirstOrThrow();
      expect(row).toEqual({ state: 'sent', wamid: 'wamid.FAKE1', status: 'delivered' });
      expect(await count(sql`wamid = 'wamid.FAKE1' and applied_at is not null`)).toBe(1);
    } finally {
      await fake.close();
      await t.db.deleteFrom('status_events').execute();
    }
  });

  it('does not apply an expired status when its wamid turns up later', async () => {
    const clock = manualClock();
    await insertStatuses(t.db, [status('wamid.TOOLATE', 'delivered')]);
    await applyStatuses(t.db, { clock });
    clock.advance(STATUS_HOLD_MS + 1000);
    expect((await applyStatuses(t.db, { clock })).expired).toBe(1);
    const [id] = await insertOutbox(t.db, [{ state: 'sending', status: null, status_rank: 0, wamid: null, callback_token: 'aaaabbbbcccf' }]);
    const applied = await t.db.transaction().execute(async (tx) => {
      await tx.updateTable('outbox').set({ state: 'sent', wamid: 'wamid.TOOLATE' }).where('id', '=', id!).execute();
      return applyHeldStatusesFor(tx, 'wamid.TOOLATE', clock);
    });
    expect(applied).toBe(0);
    expect((await t.db.selectFrom('outbox').select('status').where('id', '=', id!).executeTakeFirstOrThrow()).status).toBeNull();
    await t.db.deleteFrom('status_events').execute();
  });
});
