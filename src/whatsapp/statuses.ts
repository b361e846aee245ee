// Applies stored status webhooks to outbox rows, monotonically: sent < delivered < read (< played);
// failed keeps its error and is overtaken only by proof of delivery. A status is matched by our
// biz_opaque_callback_data first (it settles in-doubt sends), else by wamid.
//
// Set-based: a batch of statuses is applied by ONE statement (match, fold per outbox row, update, mark), so
// its cost is a few index lookups per status, not a round trip. Several statuses of one message in a batch
// end exactly as if applied one by one in id order (the fold below is that sequence, worked out).
//
// New statuses (never tried) come first, through their own partial index. One that matches no message of
// ours yet is held: retried a few times on its own schedule (next_attempt_at), after the new ones, and
// applied at once when the sender learns its wamid (applyHeldStatusesFor). After STATUS_HOLD_MS it expires
// (expired_at, terminal, counted in /metrics): another app on the same WhatsApp Business Account, or a
// message we never learned, must not cost us forever.
import { sql, type RawBuilder } from 'kysely';
import type { Metrics } from '../analytics/metrics.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Db, DbOrTx, Tx } from '../db/database.js';
import { recordMarketingStop } from '../compliance/index.js';

export const STATUS_RANK: Record<string, number> = { accepted: 1, sent: 2, failed: 3, delivered: 4, read: 5, played: 6 };

/** How long a status that matches none of our messages is kept trying; then it expires. */
export const STATUS_HOLD_MS = 10 * 60_000;
/**
 * When a held status is tried again, in seconds after each try. The first retry covers the race the sender's
 * applyHeldStatusesFor cannot see (a status committed while the send's settle was in flight); the later ones
 * are a safety net. Few on purpose: most held statuses belong to another app and never match.
 */
export const HELD_RETRY_S: readonly number[] = [2, 30, 300];
/** New statuses per statement: a burst is applied in a few cheap statements. */
const NEW_BATCH = 1000;
/** Held statuses per statement, after the new ones of the same tick. */
const HELD_BATCH = 200;

export interface ApplyOptions {
  clock?: Clock;
  metrics?: Pick<Metrics, 'statusesExpired'>;
  newBatch?: number;
  heldBatch?: number;
  holdMs?: number;
}

export interface ApplyResult {
  /** Statuses taken in this pass (new and held). */
  claimed: number;
  applied: number;
  /** Tried without a matching message: held for a later try. */
  held: number;
  /** Held past STATUS_HOLD_MS: given up for good. */
  expired: number;
  /** A batch was full: more is probably waiting (the loop goes on at once instead of gathering a new burst). */
  more?: boolean;
}

const DELIVERED = STATUS_RANK['delivered']!;
const rankCase = sql.raw(`case b.status ${Object.entries(STATUS_RANK).map(([s, r]) => `when '${s}' then ${r}`).join(' ')} else 0 end`);
const retryDelays = sql.raw(`array[${HELD_RETRY_S.map((s) => Math.round(s)).join(', ')}]::int[]`);

/**
 * The one statement. `source` selects and locks the statuses to try (id, wamid, status, occurred_at,
 * callback_data, error_code, details, attempts, received_at); rows locked elsewhere are skipped.
 */
async function applyBatch(db: DbOrTx, source: RawBuilder<unknown>, now: Date, holdMs: number): Promise<ApplyResult & { marketingStops: string[] }> {
  const hold = sql`${holdMs}::float8 * interval '1 millisecond'`;
  const r = await sql<{ claimed: number; applied: number; expired: number; marketing_stops: string | null }>`
    with batch as (${source}),
    s as (
      select b.id, b.wamid, b.status, b.occurred_at as at, b.error_code, ${rankCase} as rank,
             case when b.callback_data ~ '^pl:[0-9]{1,15}:[0-9a-f]{8,32}$' then split_part(b.callback_data, ':', 2)::bigint end as cb_id,
             case when b.callback_data ~ '^pl:[0-9]{1,15}:[0-9a-f]{8,32}$' then split_part(b.callback_data, ':', 3) end as cb_token,
             case when jsonb_typeof(b.details -> 'errors' -> 0 -> 'title') = 'string' then left(b.details -> 'errors' -> 0 ->> 'title', 200) end as error_title
        from batch b),
    -- Statuses that name one of our rows by its callback data (id and this deployment's token).
    cb as (select s.id as sid, o.id as oid, o.wamid as owamid from s join outbox o on o.id = s.cb_id and o.callback_token = s.cb_token),
    -- A row that does not know its wamid yet takes it from its first status by callback data (as the first of a
    -- one-by-one pass would), unless another row holds that wamid: later statuses of the batch then match by it.
    learn as (
      select distinct on (x.wamid) x.oid, x.wamid from (
        select distinct on (cb.oid) cb.oid, s.wamid from cb join s on s.id = cb.sid where cb.owamid is null order by cb.oid, cb.sid) x
       where not exists (select 1 from outbox o2 where o2.wamid = x.wamid)
       order by x.wamid, x.oid),
    matches as (
      select sid, oid from cb
      union select s.id, o.id from s join outbox o on o.wamid = s.wamid
      union select s.id, l.oid from s join learn l on l.wamid = s.wamid),
    -- Per outbox row, the end of applying its statuses one by one in id order: the highest rank wins; the first
    -- sent/delivered/read/failed time is kept; the last failure's error is kept; the state follows the rules
    -- below (any status settles an unsettled send; failed only below delivered; proof of delivery overtakes failed).
    agg as (
      select m.oid,
             max(s.rank) as max_rank,
             (array_agg(s.status order by s.rank desc, s.id))[1] as top_status,
             bool_or(s.status <> 'failed' and s.rank >= ${DELIVERED}) as proof,
             bool_or(s.status = 'failed') as any_failed,
             bool_or(s.status <> 'failed') as any_other,
             (array_agg(s.at order by s.id) filter (where s.status = 'sent'))[1] as sent_at,
             (array_agg(s.at order by s.id) filter (where s.status in ('delivered', 'read')))[1] as delivered_at,
             (array_agg(s.at order by s.id) filter (where s.status = 'read'))[1] as read_at,
             (array_agg(s.at order by s.id) filter (where s.status = 'failed'))[1] as failed_at,
             (array_agg(s.error_code order by s.id desc) filter (where s.status = 'failed'))[1] as error_code,
             (array_agg(s.error_title order by s.id desc) filter (where s.status = 'failed'))[1] as error_title
        from matches m join s on s.id = m.sid
       group by m.oid),
    upd as (
      update outbox o set
        wamid = coalesce(o.wamid, l.wamid),
        status = case when o.status_rank < a.max_rank then a.top_status else o.status end,
        status_rank = greatest(o.status_rank, a.max_rank),
        state = case
          when a.proof and o.state <> 'cancelled' then 'sent'
          when a.any_failed and o.status_rank < ${DELIVERED} and o.state in ('pending', 'sending', 'in_doubt', 'sent') then 'failed'
          when a.any_other and o.state in ('pending', 'sending', 'in_doubt') then 'sent'
          else o.state end,
        sent_at = coalesce(o.sent_at, a.sent_at),
        delivered_at = coalesce(o.delivered_at, a.delivered_at),
        read_at = coalesce(o.read_at, a.read_at),
        failed_at = coalesce(o.failed_at, a.failed_at),
        error_code = case when a.any_failed then a.error_code else o.error_code end,
        error_title = case when a.any_failed then a.error_title else o.error_title end
        from agg a left join learn l on l.oid = a.oid
       where o.id = a.oid
      returning o.id, o.patient_id, a.any_failed and a.error_code = 131050 as marketing_stop),
    marked as (
      update status_events e set
        attempts = e.attempts + 1,
        applied_at = case when m.sid is not null then ${now}::timestamptz end,
        -- the next retry of its schedule, never later than its expiry (past the schedule: the expiry itself)
        next_attempt_at = case when m.sid is null then least(
          ${now}::timestamptz + coalesce((${retryDelays})[e.attempts + 1] * interval '1 second', ${hold}),
          e.received_at + ${hold}) end,
        expired_at = case when m.sid is null and e.received_at + ${hold} <= ${now}::timestamptz then ${now}::timestamptz end
        from batch b left join (select distinct sid from matches) m on m.sid = b.id
       where e.id = b.id
      returning m.sid is not null as applied, e.expired_at is not null as expired)
    select count(*)::int as claimed, (count(*) filter (where applied))::int as applied, (count(*) filter (where expired))::int as expired,
           -- 131050 (the user stopped marketing messages): their patients, for the consent record
           (select string_agg(distinct u.patient_id::text, ',') from upd u where u.marketing_stop and u.patient_id is not null) as marketing_stops
      from marked`.execute(db);
  const row = r.rows[0] ?? { claimed: 0, applied: 0, expired: 0, marketing_stops: null };
  return {
    claimed: row.claimed, applied: row.applied, expired: row.expired, held: row.claimed - row.applied - row.expired,
    marketingStops: row.marketing_stops ? row.marketing_stops.split(',') : [],
  };
}

const COLUMNS = sql`id, wamid, status, occurred_at, callback_data, error_code, details, attempts, received_at`;

/**
 * One pass: the new statuses first (in arrival order), then the held ones that are due. Each is one statement
 * outside any transaction, so the database session is never held between them.
 */
export async function applyStatuses(db: Db, o: ApplyOptions = {}): Promise<ApplyResult> {
  const now = (o.clock ?? systemClock).now();
  const holdMs = o.holdMs ?? STATUS_HOLD_MS;
  const newBatch = o.newBatch ?? NEW_BATCH;
  const heldBatch = o.heldBatch ?? HELD_BATCH;
  const fresh = await applyBatch(db, sql`
    select ${COLUMNS} from status_events
     where applied_at is null and attempts = 0
     order by id limit ${newBatch}
     for update skip locked`, now, holdMs);
  const held = await applyBatch(db, sql`
    select ${COLUMNS} from status_events
     where applied_at is null and expired_at is null and attempts > 0 and next_attempt_at <= ${now}
     order by next_attempt_at, id limit ${heldBatch}
     for update skip locked`, now, holdMs);
  const expired = fresh.expired + held.expired;
  if (expired) o.metrics?.statusesExpired.inc(expired);
  // Campaigns withdrawn at once for failures with 131050. Just after the statement that applied them: a
  // crash in between leaves the row failed with 131050, and the next campaign send to the patient fails with
  // it again (and records the withdrawal from the sender's side).
  const stops = [...fresh.marketingStops, ...held.marketingStops];
  if (stops.length) await db.transaction().execute((tx) => recordMarketingStop(tx, stops, now));
  return {
    claimed: fresh.claimed + held.claimed,
    applied: fresh.applied + held.applied,
    held: fresh.held + held.held,
    expired,
    more: fresh.claimed >= newBatch || held.claimed >= heldBatch,
  };
}

/**
 * Called when the sender learns a wamid, inside the transaction that records it: the statuses that arrived
 * before it are applied now. Rows the status loop holds at this moment are skipped (never waited for: that
 * could deadlock against the outbox row this transaction has just written); the loop's own pass or the next
 * retry applies them.
 */
export async function applyHeldStatusesFor(tx: Tx, wamid: string, clock: Clock = systemClock): Promise<number> {
  const r = await applyBatch(tx, sql`
    select ${COLUMNS} from status_events
     where wamid = ${wamid} and applied_at is null and expired_at is null
     order by id
     for update skip locked`, clock.now(), STATUS_HOLD_MS);
  if (r.marketingStops.length) await recordMarketingStop(tx, r.marketingStops, clock.now());
  return r.applied;
}
