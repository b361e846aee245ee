// When each instance listened for webhooks. Meta retries a status webhook it could not deliver at once and
// then less and less often (cloud-api.md §1), so an in-doubt send whose wait spans a time when no instance
// listened (a restart, every instance down) must not be resent on the clock alone: its statuses may still be
// on their way. Each process that serves webhooks records one span [started_at, beat_at] and moves beat_at
// forward every BEAT_MS; a hole is a span that starts after every earlier span had stopped beating. The
// sender holds an in-doubt send until the reconciliation window has passed after the last hole its wait
// spans, plus a minute for Meta's backed-off retries (sender.ts, reconcile).
//
// Spans rather than one "last beat" row: a restart quicker than any beat threshold is still a hole (the new
// span starts after the dead one's last beat), while an instance that starts beside a live one is not (the
// live one's span keeps beating over the new start).
import { sql, type RawBuilder } from 'kysely';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../db/database.js';

export const BEAT_MS = 1000;
/** With no beat from any instance for this long, nobody is listening now: no in-doubt send is resent. */
export const SILENT_MS = 5 * BEAT_MS;
/** The span migration 0008 writes for whatever ran before it. */
const BEFORE_0008 = 'before-0008';
/** Spans older than this say nothing about any wait still running (WHATSAPP_RECONCILE_MS is at most 1 h). */
const KEEP_MS = 24 * 3600_000;

/** Opens this process's span. Call before the sender may reconcile, so that its restart counts as a hole. */
export async function startListening(db: Db, clock: Clock, instance: string): Promise<void> {
  const now = clock.now();
  await db.insertInto('webhook_listeners').values({ instance, started_at: now, beat_at: now })
    .onConflict((oc) => oc.column('instance').doUpdateSet({ beat_at: now })).execute();
}

/** Moves this process's span forward (and forgets spans too old to matter). */
export async function beat(db: Db, clock: Clock, instance: string): Promise<void> {
  const now = clock.now();
  const r = await db.updateTable('webhook_listeners').set({ beat_at: sql`greatest(beat_at, ${now})` }).where('instance', '=', instance).executeTakeFirst();
  // Pruned while this process was stalled for a day: a new span, which the sender counts as after a hole.
  if (Number(r.numUpdatedRows) === 0) await startListening(db, clock, instance);
  if (Math.random() < 0.01) await db.deleteFrom('webhook_listeners').where('beat_at', '<', new Date(now.getTime() - KEEP_MS)).execute();
}

/**
 * An SQL condition on an outbox row (in the statement's `outbox`): true when the listening record lets its
 * in-doubt wait end now. False while nobody listens, and until `afterHoleMs` has passed since the end of any
 * hole in listening that came after the row went in doubt. A sender with no listener ever recorded (a tool,
 * a test of the sender alone) has no record to go by and waits on the clock alone.
 */
export function listenedThrough(now: Date, afterHoleMs: number): RawBuilder<boolean> {
  return sql<boolean>`(
    (exists (select 1 from webhook_listeners where beat_at > ${new Date(now.getTime() - SILENT_MS)})
     or not exists (select 1 from webhook_listeners where instance <> ${BEFORE_0008}))
    and not exists (
      select 1 from (
        select started_at, max(beat_at) over (order by started_at, instance rows between unbounded preceding and 1 preceding) as earlier_end
          from webhook_listeners) s
       where s.started_at > s.earlier_end
         and s.started_at > outbox.in_doubt_at
         and s.started_at > ${new Date(now.getTime() - afterHoleMs)}))`;
}
