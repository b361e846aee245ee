// Live updates for the inbox, across instances: triggers (0014) write a row to inbox_changes whenever a
// conversation changes (a message handled, an outbox row queued or its status moved, a handoff, a note, a
// standby item, an alert), whichever instance or worker made the change. Each process polls that table
// while at least one console listens, and fans the PHI-free events out to its connections: no in-memory
// bus, so an instance hears what another instance did.
//
// Identity values are taken at insert but become visible at commit, so a row with a smaller id may appear
// after a larger one was read: each poll also re-reads the last few seconds and skips ids already sent.
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { errorSummary, type Logger } from '../../lib/logger.js';

export type InboxEvent = { type: 'conversation'; patientId: string } | { type: 'alert'; kind: string };

export interface FeedOptions {
  db: Db;
  log: Logger;
  pollMs?: number;
  /** How far back each poll looks again for rows committed late. */
  lookbackMs?: number;
  /** Rows older than this are deleted (by any instance). */
  keepMs?: number;
}

type Listener = (events: InboxEvent[]) => void;

/** Rows of the change feed older than this are of no use to anyone: deleted by any instance. */
export const FEED_KEEP_MS = 10 * 60_000;

/** Deletes change-feed rows older than `keepMs` (the feed is written whether or not a console listens). */
export async function pruneFeed(db: Db, keepMs = FEED_KEEP_MS): Promise<number> {
  const r = await db.deleteFrom('inbox_changes').where('at', '<', new Date(Date.now() - keepMs)).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export class InboxFeed {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private cursor: number | null = null;
  private readonly seen = new Map<number, number>();
  private lastPrune = 0;
  private closed = false;
  private readonly pollMs: number;
  private readonly lookbackMs: number;
  private readonly keepMs: number;

  constructor(private readonly o: FeedOptions) {
    this.pollMs = o.pollMs ?? 1000;
    this.lookbackMs = o.lookbackMs ?? 5000;
    this.keepMs = o.keepMs ?? FEED_KEEP_MS;
  }

  /** Starts polling with the first listener; stops with the last. Returns the unsubscribe function. */
  async subscribe(fn: Listener): Promise<() => void> {
    if (this.closed) throw new Error('the inbox feed is closed');
    if (this.cursor === null) {
      // Only what changes from now on: a new connection loads the current state itself.
      const r = await this.o.db.selectFrom('inbox_changes').select(sql<string | null>`max(id)::text`.as('max')).executeTakeFirst();
      this.cursor ??= Number(r?.max ?? 0);
    }
    this.listeners.add(fn);
    this.schedule();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stopTimer();
    };
  }

  get listening(): number {
    return this.listeners.size;
  }

  private schedule(): void {
    if (this.timer || this.closed || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.poll().then(() => undefined, (e: unknown) => this.o.log.warn({ code: 'inbox_feed_poll_failed', err: errorSummary(e) }, 'inbox feed poll failed; retrying')).finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.pollMs);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One poll: the events since the last one (exported for tests that do not want to wait for the timer). */
  async poll(): Promise<InboxEvent[]> {
    const cursor = this.cursor ?? 0;
    const since = new Date(Date.now() - this.lookbackMs);
    const rows = await this.o.db.selectFrom('inbox_changes').select(['id', 'patient_id', 'kind', 'at'])
      .where((eb) => eb.or([eb('id', '>', cursor), eb('at', '>', since)]))
      .orderBy('id').limit(2000).execute();
    const events: InboxEvent[] = [];
    const patients = new Set<string>();
    const alerts = new Set<string>();
    for (const r of rows) {
      const id = Number(r.id);
      if (this.seen.has(id) || id <= cursor - 100_000) continue;
      this.seen.set(id, new Date(r.at).getTime());
      if (id > (this.cursor ?? 0)) this.cursor = id;
      if (r.patient_id) patients.add(r.patient_id);
      if (r.kind.startsWith('alert:')) alerts.add(r.kind.slice(6));
    }
    for (const kind of alerts) events.push({ type: 'alert', kind });
    for (const patientId of patients) events.push({ type: 'conversation', patientId });
    const forget = Date.now() - this.lookbackMs * 3;
    for (const [id, at] of this.seen) if (at < forget) this.seen.delete(id);
    if (events.length) for (const l of this.listeners) l(events);
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      await pruneFeed(this.o.db, this.keepMs);
    }
    return events;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopTimer();
    this.listeners.clear();
    await this.running;
  }
}
