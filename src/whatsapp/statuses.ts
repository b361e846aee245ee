// Applies stored status webhooks to outbox rows, monotonically: sent < delivered < read (< played);
// failed keeps its error and is overtaken only by proof of delivery. A status is matched by our
// biz_opaque_callback_data first (it settles in-doubt sends), else by wamid. A status whose message is
// not known yet stays held in status_events and is applied when the message is.
import { sql } from 'kysely';
import type { Db, DbOrTx, Tx } from '../db/database.js';
import { outboxIdFromCallback } from './outbox.js';

export const STATUS_RANK: Record<string, number> = { accepted: 1, sent: 2, failed: 3, delivered: 4, read: 5, played: 6 };

interface StatusRow {
  id: number;
  wamid: string;
  status: string;
  occurred_at: Date;
  callback_data: string | null;
  error_code: number | null;
  details: unknown;
}

function errorTitle(details: unknown): string | null {
  if (details && typeof details === 'object' && 'errors' in details && Array.isArray(details.errors)) {
    const e: unknown = details.errors[0];
    if (e && typeof e === 'object' && 'title' in e && typeof e.title === 'string') return e.title.slice(0, 200);
  }
  return null;
}

/** Applies one status to its outbox row; false when no row matches yet (the status is held). */
async function applyOne(tx: DbOrTx, s: StatusRow): Promise<boolean> {
  const rank = STATUS_RANK[s.status] ?? 0;
  const byId = outboxIdFromCallback(s.callback_data);
  const failed = s.status === 'failed';
  const at = s.occurred_at;
  const res = await tx
    .updateTable('outbox')
    .set({
      wamid: sql`coalesce(wamid, ${s.wamid})`,
      status: sql`case when status_rank < ${rank} then ${s.status} else status end`,
      status_rank: sql`greatest(status_rank, ${rank})`,
      // Any status proves the message reached the Cloud API: an in-doubt or pending resend is settled.
      state: failed
        ? sql`case when state in ('pending', 'sending', 'in_doubt', 'sent') and status_rank < ${STATUS_RANK['delivered']!} then 'failed' else state end`
        : sql`case when state in ('pending', 'sending', 'in_doubt') then 'sent' when state = 'failed' and ${rank} >= ${STATUS_RANK['delivered']!} then 'sent' else state end`,
      sent_at: s.status === 'sent' ? sql`coalesce(sent_at, ${at})` : sql`sent_at`,
      delivered_at: s.status === 'delivered' || s.status === 'read' ? sql`coalesce(delivered_at, ${at})` : sql`delivered_at`,
      read_at: s.status === 'read' ? sql`coalesce(read_at, ${at})` : sql`read_at`,
      failed_at: failed ? sql`coalesce(failed_at, ${at})` : sql`failed_at`,
      error_code: failed ? sql`${s.error_code}` : sql`error_code`,
      error_title: failed ? sql`${errorTitle(s.details)}` : sql`error_title`,
    })
    .where((eb) => (byId !== null ? eb.or([eb.and([eb('id', '=', byId.id), eb('callback_token', '=', byId.token)]), eb('wamid', '=', s.wamid)]) : eb('wamid', '=', s.wamid)))
    .executeTakeFirst();
  const matched = Number(res.numUpdatedRows) > 0;
  await tx
    .updateTable('status_events')
    .set((eb) => (matched ? { applied_at: new Date(), attempts: eb('attempts', '+', 1) } : { attempts: eb('attempts', '+', 1) }))
    .where('id', '=', s.id)
    .execute();
  return matched;
}

/** Applies a batch of unapplied statuses. Held ones are retried with decreasing frequency. */
export async function applyStatuses(db: Db, limit = 50): Promise<{ applied: number; held: number }> {
  return db.transaction().execute(async (tx) => {
    const rows = await sql<StatusRow>`
      select id, wamid, status, occurred_at, callback_data, error_code, details from status_events
       where applied_at is null
         and (attempts < 5 or (attempts < 60 and received_at < now() - make_interval(secs => attempts * 5)))
       order by id
       limit ${limit}
       for update skip locked`.execute(tx);
    let applied = 0;
    for (const s of rows.rows) if (await applyOne(tx, s)) applied++;
    return { applied, held: rows.rows.length - applied };
  });
}

/** Called when the sender learns a wamid: statuses that arrived before it are applied now. */
export async function applyHeldStatusesFor(tx: Tx, wamid: string): Promise<void> {
  const held = await sql<StatusRow>`
    select id, wamid, status, occurred_at, callback_data, error_code, details from status_events
     where wamid = ${wamid} and applied_at is null order by id`.execute(tx);
  for (const s of held.rows) await applyOne(tx, s);
}
