// The sender worker: claims due outbox rows (one in flight per recipient, in order), keeps the number's
// throughput cap across every instance (one send schedule in PostgreSQL: each claimed send gets its own
// slot), sends through the Graph client, and settles each row: accepted, retried with backoff, failed with
// its code, or in doubt. Each claim has a number (outbox.claim_seq): only the send holding the row's latest
// claim may mark it dispatched or settle it, so a row that reconciliation took back and another claim took
// again is never sent twice. In-doubt rows are never resent before the reconciliation window has let status
// webhooks (which echo our biz_opaque_callback_data) prove whether they went out.
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../analytics/metrics.js';
import { recordAudit, recordMarketingStop, refusedCondition, SYSTEM, type AuditEvent } from '../compliance/index.js';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Db, Tx } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { backoffMs, classify } from './graph-errors.js';
import type { GraphClient, OpenSend, SendOutcome } from './graph-client.js';
import { toWire, markRead } from './outbound.js';
import { CALLBACK_PREFIX, callbackDataFor, decodeAddress, decodeItem, isReadReceipt, type OutboxItem } from './outbox.js';
import { errorSummary } from '../lib/logger.js';
import { applyHeldStatusesFor } from './statuses.js';
import { listenedThrough } from './listeners.js';

export const WINDOW_MS = 24 * 3600 * 1000;
/** Local error code for a free-form send refused before it leaves (the Cloud API would answer 131047). */
export const WINDOW_CLOSED = 131047;
/** The recipient stopped marketing messages from businesses (cloud-api.md §9): campaigns are withdrawn. */
export const MARKETING_STOPPED = 131050;
const MAX_ATTEMPTS = { retry: 8, retry_recipient: 12 } as const;
const PAUSE_MS = 60_000;
const PAUSE_READ_MS = 200;
const READ_RECEIPT_TTL_MS = 60_000;
/**
 * How much longer than WHATSAPP_RECONCILE_MS (by default; WHATSAPP_RESTART_WAIT_MS) an orphan that had left,
 * or a send whose wait spans a time when no instance listened, waits for its status webhooks: Meta retries
 * at once and then backs off, so a minute after the restart covers its first retries. Longer would leave a
 * patient unanswered when the request died on its way out; a resend is the lesser harm.
 */
const RESTART_WAIT_MS = 60_000;
/**
 * Share of WHATSAPP_MPS that the schedule hands out: slots are spaced 1 / (0.96 × MPS) s apart, so a send
 * that leaves a little after its slot (LATE_MS) still keeps every second at Meta's end near the cap, and
 * 130429 (which costs far more than 4 %) stays rare.
 */
const SLOT_SHARE = 0.96;
/** How far ahead the schedule is filled: claimed sends wait for their slot, so the line never runs dry. */
const LEAD_MS = 1000;
/** A claim is made only once the schedule's lead is below this: claims come in batches, not one per send. */
const REFILL_MS = 500;
/**
 * Read receipts are never scheduled further ahead than this (and only once less than half of it is left): a
 * reply that comes due while the number is saturated waits behind at most this many blue ticks of another
 * instance (this instance's own give their slots to it: repliesFirst).
 */
const READ_LEAD_MS = 250;
/**
 * A send that could not leave within this of its slot (a stalled event loop) goes back to the queue without
 * leaving: sent late, it would crowd the slots after it.
 */
const LATE_MS = 250;
/** A send whose dispatch mark took it this far past its slot goes back unsent (see sendOne). */
const MARK_LATE_MS = 1000;
/** At most this many sends in a row go back for a late mark; then they leave late rather than never. */
const MAX_LATE_STREAK = 200;
/** A send that could not reach the Cloud API (no connection) goes back for this long: it never left. */
const UNREACHABLE_WAIT_MS = 5_000;
/**
 * Dispatch marks written in one statement, and acceptances settled in one transaction, at most (markDispatched,
 * settleAccepted): while one batch commits, the next one gathers, so at the cap a commit is paid per batch, not
 * per message; alone, a send is marked and settled at once.
 */
const SETTLE_BATCH = 200;
/** A settle or mark batch that lost a deadlock or serialization race is tried again this many times. */
const SETTLE_TRIES = 3;

/**
 * The most sends the schedule lets leave in any window of `windowMs` (by the dispatch mark, outbox.dispatched_at):
 * slots 1 / (SLOT_SHARE × MPS) apart, each send leaving at most LATE_MS after its slot. This is the sender's
 * own bound; tests check it.
 */
/** A send past LATE_MS of its slot does not leave (untilSlot, and again once its connection is ready). */
function isLate(claim: Claim, now: number): boolean {
  return now - claim.slot > LATE_MS;
}

export function scheduleBound(mps: number, windowMs: number): number {
  return Math.floor(((windowMs + LATE_MS) * mps * SLOT_SHARE) / 1000) + 1;
}

/**
 * Requests under way at once, by default: 64, or a quarter of a second of the cap when that is more. At the
 * cap the requests under way are the rate times the Graph API's round trip: 64 would hold WHATSAPP_MPS=1000 to
 * 640/s as soon as a round trip (with its dispatch mark) takes 100 ms, on a busy machine or from far away.
 */
export function defaultMaxInFlight(mps: number): number {
  return Math.max(64, Math.ceil(mps / 4));
}

export interface SenderDeps {
  db: Db;
  cipher: Cipher;
  /** Opens rows sealed under their patient's data key (outbox.ts); without it only `cipher` is tried. */
  keys?: KeyRing;
  /** With openMessage, each request is written the moment its dispatch mark commits (see markQueued). */
  graph: Pick<GraphClient, 'sendMessage'> & Partial<Pick<GraphClient, 'openMessage'>>;
  metrics: Metrics;
  log: Logger;
  clock: Clock;
  mps: number;
  sendTimeoutMs: number;
  reconcileMs: number;
  /** WHATSAPP_RESTART_WAIT_MS (default 60 s): see RESTART_WAIT_MS. */
  restartWaitMs?: number;
  batchSize?: number;
  /** Requests under way at once before no more are claimed (default: defaultMaxInFlight); sends waiting for their slot aside. */
  maxInFlight?: number;
  /** The handle for settling sends (Database.urgent); defaults to db. */
  settleDb?: Db;
  /** Called when a send settles: the next message of that patient may now go. */
  onSettled?: () => void;
}

interface ClaimedRow {
  id: number;
  patient_id: string | null;
  kind: string;
  purpose: string;
  /** The patient opted out or withdrew the row's purpose (never for replies): cancelled, not sent. */
  refused: boolean;
  payload: Uint8Array;
  to_sealed: Uint8Array | null;
  to_phone: string | null;
  to_bsuid: string | null;
  requires_window: boolean;
  callback_token: string;
  attempts: number;
  claim_seq: number;
  last_inbound_at: Date | null;
}

/** A claimed row and its slot in the number's send schedule (ms since the epoch, by the injected clock). */
interface Claim extends ClaimedRow {
  slot: number;
}

/** A send at its slot, waiting for its dispatch mark (with its request opened, when the client can). */
interface Marking {
  row: Claim;
  at: Date;
  open: OpenSend | null;
  resolve(r: Marked): void;
  reject(e: unknown): void;
}

/**
 * What the dispatch mark decided: the send lost its claim, came too late, or is marked (and, when its request
 * was opened, written: `outcome` is its answer).
 */
type Marked = { kind: 'lost' } | { kind: 'late' } | { kind: 'marked'; outcome: Promise<SendOutcome> | null };

/** A send the Cloud API accepted. */
interface Accepted {
  row: Claim;
  wamid: string | null;
  at: Date;
}

export class Sender {
  constructor(private readonly d: SenderDeps) {}

  private readonly inFlight = new Set<Promise<void>>();
  /** Sends past their slot wait (requests under way): what maxInFlight bounds. */
  private active = 0;
  /** Sends put back in a row because their dispatch mark made them late (bounded by MAX_LATE_STREAK). */
  private lateStreak = 0;
  /** The schedule is full until then (ms, injected clock): no claim can get a slot before, so none is tried. */
  private scheduleFullUntil = 0;
  /** Until then sending is paused, as this instance last read it: sends waiting for a slot go back instead. */
  private knownPauseUntil = 0;
  /** Read receipts of this process waiting for their slot (repliesFirst may give their slots to replies). */
  private readonly waitingReads = new Set<Claim>();
  /** Sends at their slot waiting for their dispatch mark (markDispatched), and whether a mark is being written. */
  private readonly markQueue: Marking[] = [];
  private marking = false;

  /**
   * Claims due rows and starts their sends without waiting for them: a slow answer from the Graph API never
   * holds up other patients. Returns how many rows it claimed (0 = nothing due, paused, or at the cap).
   */
  async tick(): Promise<number> {
    const room = (this.d.maxInFlight ?? defaultMaxInFlight(this.d.mps)) - this.active;
    if (room <= 0) {
      await Promise.race(this.inFlight);
      this.moreDue = true;
      return 1;
    }
    if (this.d.clock.now().getTime() < this.scheduleFullUntil) return 0;
    if (await this.paused()) return 0;
    this.refusedInClaim = 0;
    const rows = await this.claim(room);
    // The claimed patients' keys in one read (the sends would otherwise read them one by one: at the cap,
    // with 100,000 patients queued, the key cache rarely holds them). A failure leaves it to each send.
    const patients = rows.flatMap((r) => (r.patient_id ? [r.patient_id] : []));
    if (this.d.keys && patients.length > 0) {
      await this.d.keys.forPatients(this.d.db, patients).catch((e: unknown) => this.d.log.warn({ err: errorSummary(e) }, 'reading the claimed patients\' keys failed; each send reads its own'));
    }
    this.repliesFirst(rows);
    for (const row of rows) {
      const p: Promise<void> = this.sendOne(row)
        .catch((e: unknown) => {
          this.d.log.error({ outboxId: row.id, err: errorSummary(e) }, 'settling a send failed; the row is reconciled later');
          return true;
        })
        .then((unblocked) => {
          this.inFlight.delete(p);
          // Claim again only when this settle may have made something claimable: a row queued behind this one
          // for the same patient, or more due than the last claim took. An empty claim is a transaction of its
          // own, which on the embedded database waits in line with intake (new work wakes the sender anyway).
          if (unblocked || this.moreDue) this.d.onSettled?.();
        });
      this.inFlight.add(p);
    }
    // Refused rows count as work done: the rows queued behind them are due now, not after a poll.
    return rows.length + this.refusedInClaim;
  }

  /**
   * The loop's tick: tick(), reporting work only while more may be due. A claim that took less than it asked
   * for emptied the queue, so the loop sleeps instead of claiming again at once (an empty claim is a
   * transaction of its own): new work wakes it (an enqueue, a settle that unblocks a row; another instance's
   * work at the next poll).
   */
  async loopTick(): Promise<number> {
    const n = await this.tick();
    return this.moreDue || this.refusedInClaim > 0 ? n : 0;
  }

  /** Rows the last claim cancelled for want of consent. */
  private refusedInClaim = 0;
  /** The last claim took all it asked for, or could not look (schedule full): more may be due already. */
  private moreDue = true;

  /** Waits for the sends under way (shutdown). */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** Set the moment a pause-class error comes back, until the pause is committed: no claim slips in between. */
  private pausedUntil = 0;

  private pauseReadAt = Number.NEGATIVE_INFINITY;

  private async paused(): Promise<boolean> {
    const t = this.d.clock.now().getTime();
    if (t < this.pausedUntil) return true;
    // Read at most every PAUSE_READ_MS of real time (at the cap the loop ticks on every settle); another
    // instance's pause is seen that much later.
    if (performance.now() - this.pauseReadAt < PAUSE_READ_MS) return t < this.knownPauseUntil;
    this.pauseReadAt = performance.now();
    const row = await this.d.db.selectFrom('sender_pause').select(['paused_until']).where('paused_until', '>', this.d.clock.now()).executeTakeFirst();
    this.d.metrics.senderPaused.set(row ? 1 : 0);
    this.knownPauseUntil = row ? row.paused_until.getTime() : 0;
    return row !== undefined;
  }

  /**
   * Claims due rows, oldest first, one per recipient, and gives each the next free slot of the number's
   * schedule. The schedule is one row shared by every instance: its lock makes claimers take turns, so the
   * cap holds for the phone number, not per process. Slots are spaced evenly, which sustains the cap
   * without bursts; a calendar-second counter would either waste the seconds' ends or burst at their starts.
   */
  private async claim(room: number): Promise<Claim[]> {
    const batch = Math.min(room, this.d.batchSize ?? 50);
    const gap = 1000 / (this.d.mps * SLOT_SHARE);
    return this.d.db.transaction().execute(async (tx) => {
      // The claims below must walk their partial indexes in id order and stop at the LIMIT. Planned from
      // statistics taken while the outbox was nearly empty (a burst of 100,000 reminders fills it within a
      // minute, before autovacuum analyzes it), the planner would rather read every pending row, check each one's
      // recipient and sort them: 200 ms a claim at 20,000 queued, against 1 ms. For this transaction only.
      const schedule = await sql<{ next_slot: Date }>`select next_slot, set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true) from send_schedule where id = 1 for update`.execute(tx);
      const now = this.d.clock.now();
      const t = now.getTime();
      const start = Math.max(schedule.rows[0]?.next_slot.getTime() ?? t, t);
      if (start > t + REFILL_MS) {
        this.scheduleFullUntil = start - REFILL_MS;
        this.moreDue = true;
        return [];
      }
      const slotsFrom = (from: number, leadMs: number, most: number) => (from > t + leadMs ? 0 : Math.min(most, Math.floor((t + leadMs - from) / gap) + 1));
      // Replies before read receipts: when the number's throughput is short, blue ticks wait, patients do not.
      // Two claims, each walking its own partial index in id order, so the cost follows the queue, not history.
      const askedReplies = slotsFrom(start, LEAD_MS, batch);
      const replies = await claimKind(tx, now, askedReplies, false);
      const rows = await this.refuse(tx, replies);
      // Read receipts take only the slots after every due reply, and never far ahead: a reply that comes due
      // next waits behind at most READ_LEAD_MS of blue ticks.
      const readsFrom = start + rows.length * gap;
      const reads = readsFrom > t + READ_LEAD_MS / 2 ? 0 : slotsFrom(readsFrom, READ_LEAD_MS, batch - rows.length);
      const readRows = reads > 0 ? await claimKind(tx, now, reads, true) : [];
      if (readRows.length) rows.push(...(await this.refuse(tx, readRows)));
      this.moreDue = askedReplies === 0 || replies.length === askedReplies || reads === 0 || readRows.length === reads;
      if (rows.length === 0) return [];
      // The slots start no earlier than now, read again: the claim's own queries do not make its sends late.
      const first = Math.max(start, this.d.clock.now().getTime());
      await tx.updateTable('send_schedule').set({ next_slot: new Date(first + rows.length * gap) }).where('id', '=', 1).execute();
      return rows.map((r, i) => ({ ...r, slot: first + i * gap }));
    });
  }

  /**
   * Consent at send time, not only when a message was scheduled: claimed rows the patient no longer wants
   * (opted out, or withdrew their purpose; replies to the patient's own messages excepted) are cancelled in
   * the claim's transaction, one statement and one audit append for all of them, and never get a slot.
   */
  private async refuse(tx: Tx, rows: ClaimedRow[]): Promise<ClaimedRow[]> {
    const refused = rows.filter((r) => r.refused);
    if (refused.length === 0) return rows;
    const now = this.d.clock.now();
    await tx.updateTable('outbox')
      .set((eb) => ({ state: 'cancelled', error_title: 'consent withdrawn', attempts: eb('attempts', '-', 1) }))
      .where('id', 'in', refused.map((r) => r.id)).execute();
    await recordAudit(tx, refused.map((r): AuditEvent => ({
      actor: SYSTEM('sender'), action: 'message.refused', patientId: r.patient_id, target: `outbox:${r.id}`, details: { kind: r.kind, purpose: r.purpose }, at: now,
    })));
    this.refusedInClaim += refused.length;
    this.d.log.info({ outboxIds: refused.map((r) => r.id) }, 'business-initiated messages refused at send time: consent withdrawn');
    return rows.filter((r) => !r.refused);
  }

  /**
   * Replies before read receipts, within this process too: newly claimed replies take the earliest of the
   * slots that this process's read receipts are still waiting for, and those read receipts take the replies'
   * later slots. The set of slots is unchanged, so the cap is too.
   */
  private repliesFirst(rows: Claim[]): void {
    const replies = rows.filter((r) => r.kind !== 'read');
    const now = this.d.clock.now().getTime();
    const reads = [...this.waitingReads].filter((r) => r.slot > now).sort((a, b) => a.slot - b.slot);
    if (replies.length === 0 || reads.length === 0 || reads[0]!.slot >= replies[0]!.slot) return;
    const both = [...replies, ...reads];
    const slots = both.map((c) => c.slot).sort((a, b) => a - b);
    both.forEach((c, i) => (c.slot = slots[i]!));
  }

  /** Waits for a claimed send's slot; the reason it must not go now (it then goes back to the queue), if any. */
  private async untilSlot(claim: Claim): Promise<'late' | 'paused' | null> {
    if (claim.kind === 'read') this.waitingReads.add(claim);
    try {
      // A read receipt's slot may move later while it waits (repliesFirst): then it waits for the new one.
      for (let waited = Number.NEGATIVE_INFINITY; claim.slot > waited; ) {
        waited = claim.slot;
        const wait = waited - this.d.clock.now().getTime();
        if (wait <= 0) break;
        await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      this.waitingReads.delete(claim);
    }
    const now = this.d.clock.now().getTime();
    if (now < this.knownPauseUntil || now < this.pausedUntil) return 'paused';
    return isLate(claim, now) ? 'late' : null;
  }

  /** Puts a claimed send back in the queue, unsent, counted as requeued for `reason`; true (see sendOne). */
  private async requeue(row: Claim, reason: string, o: { unmark?: boolean } = {}): Promise<true> {
    await this.release(row, o);
    this.d.metrics.outboundRequeued.inc({ reason });
    return true;
  }

  /** Puts a claimed row back in the queue, unsent (`unmark`: its dispatch mark is withdrawn: it never left). */
  private async release(row: Claim, o: { unmark?: boolean; delayMs?: number } = {}): Promise<void> {
    await (this.d.settleDb ?? this.d.db).updateTable('outbox')
      .set((eb) => ({ state: 'pending', attempts: eb('attempts', '-', 1), next_attempt_at: new Date(this.d.clock.now().getTime() + (o.delayMs ?? 0)), ...(o.unmark ? { dispatched_at: null } : {}) }))
      .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
  }

  /** A send that never left because the Cloud API could not be reached: back to the queue for UNREACHABLE_WAIT_MS. */
  private async unreachable(row: Claim, o: { reason: string; unmark?: boolean }): Promise<false> {
    await this.release(row, { unmark: o.unmark ?? false, delayMs: UNREACHABLE_WAIT_MS });
    this.d.metrics.outboundRequeued.inc({ reason: 'unreachable' });
    this.d.log.warn({ outboxId: row.id, reason: o.reason, waitMs: UNREACHABLE_WAIT_MS }, 'the Cloud API could not be reached: the send did not leave and is tried again');
    return false;
  }

  /** Sends one claimed row; true when what happened may have made another row claimable (see tick). */
  private async sendOne(row: Claim): Promise<boolean> {
    const { db, cipher, metrics, log, clock } = this.d;
    let item: OutboxItem;
    let body: unknown;
    try {
      // The patient's cipher (cached per patient); it also opens rows sealed with ENCRYPTION_KEY before 0012.
      const c = row.patient_id && this.d.keys ? await this.d.keys.forPatient(db, row.patient_id) : cipher;
      item = decodeItem(c, row.payload);
      body = isReadReceipt(item) ? markRead(item.messageId, { typing: item.typing }) : toWire(item, decodeAddress(c, row), callbackDataFor(row.id, row.callback_token));
    } catch (e) {
      // A payload that cannot become a valid request never will: fail it rather than loop on it.
      await db.updateTable('outbox')
        .set({ state: 'failed', error_code: null, error_title: `invalid payload: ${errorSummary(e).type}`, failed_at: clock.now(), status: 'failed', status_rank: 3 })
        .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      metrics.outboundFailed.inc({ code: 'invalid_payload' });
      log.error({ outboxId: row.id, err: errorSummary(e) }, 'outbox payload is not a valid Cloud API message: failed');
      return true;
    }
    if (row.requires_window && !(row.last_inbound_at && clock.now().getTime() - row.last_inbound_at.getTime() < WINDOW_MS)) {
      // Refused here, before it leaves: outside the window only approved templates may be sent.
      await db.updateTable('outbox')
        .set({ state: 'failed', error_code: WINDOW_CLOSED, error_title: 'customer service window closed', failed_at: clock.now(), status: 'failed', status_rank: 3 })
        .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      metrics.outboundFailed.inc({ code: String(WINDOW_CLOSED) });
      log.info({ outboxId: row.id, code: WINDOW_CLOSED }, 'free-form message refused outside the 24-hour window');
      return true;
    }
    const holdBack = await this.untilSlot(row);
    if (holdBack) return this.requeue(row, holdBack);
    let outcome: SendOutcome;
    this.active++;
    try {
      // A connected socket first (a kept-alive one, at once): the request can then be written the moment its
      // dispatch mark commits. None to be had means nothing left: the row goes back, to be tried again.
      const open = this.d.graph.openMessage?.(body) ?? null;
      if (open && !(await open.ready)) return this.unreachable(row, { reason: 'unreachable' });
      // Waiting for a connection may itself have taken the send past its slot (a new socket on a loaded
      // machine): then it goes back unsent like any late send, so every dispatch mark stays within LATE_MS
      // of its slot (scheduleBound) and late sends never crowd the slots after them.
      const at = clock.now();
      if (isLate(row, at.getTime())) {
        open?.abandon();
        return this.requeue(row, 'late');
      }
      // Durable before the request leaves: after a crash, a row without it is known never to have gone out.
      // Only while this send still holds the row's latest claim: reconciliation may have taken it back (its
      // process looked dead) and another claim may be sending it now. A failure here throws: the request
      // never left, and reconciliation returns the row to the queue.
      // Marks of sends whose slots come together are written together (markDispatched), as one commit.
      let marked: Marked;
      try {
        marked = await this.markDispatched({ row, at, open });
      } catch (e) {
        open?.abandon();
        throw e;
      }
      if (marked.kind === 'lost') {
        metrics.outboundRequeued.inc({ reason: 'claim_lost' });
        log.warn({ outboxId: row.id }, 'send lost its claim before it left (reconciled meanwhile): not sent');
        return true;
      }
      if (marked.kind === 'late') return this.requeue(row, 'late', { unmark: true });
      try {
        outcome = await (marked.outcome ?? this.d.graph.sendMessage(body));
      } catch {
        outcome = { kind: 'in_doubt', reason: 'client' };
      }
    } finally {
      this.active--;
    }
    return this.settle(row, outcome);
  }

  /** Records a send's outcome; true when a row queued behind it may now be claimed. */
  private async settle(row: Claim, outcome: SendOutcome): Promise<boolean> {
    const { metrics, log, clock } = this.d;
    // Recording what happened to a send goes first on a single-session database: until it is written, a crash
    // would leave the message in doubt.
    const db = this.d.settleDb ?? this.d.db;
    const now = clock.now();
    if (outcome.kind === 'accepted') {
      // True when the patient has a message queued behind this one (it may be claimed now); a read receipt
      // holds nobody's queue.
      const queued = await this.settleAccepted({ row, wamid: outcome.wamid ?? null, at: now });
      const unblocked = row.kind !== 'read' && queued;
      metrics.outboundSent.inc({ kind: row.kind });
      return unblocked;
    }
    // Its mark committed, but the request was never written (the connection failed first): it did not leave.
    if (outcome.kind === 'not_sent') return this.unreachable(row, { reason: outcome.reason, unmark: true });
    if (outcome.kind === 'in_doubt') {
      if (row.kind === 'read') {
        // A read receipt that may not have arrived is harmless: never resend it.
        await db.updateTable('outbox').set({ state: 'sent', accepted_at: now }).where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
        return false;
      }
      await db.updateTable('outbox').set({ state: 'in_doubt', in_doubt_at: now }).where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      // Still blocks the patient's next messages until reconciliation settles it (which wakes the sender).
      log.warn({ outboxId: row.id, reason: outcome.reason }, 'send in doubt: waiting for status webhooks before any resend');
      return false;
    }
    const { error } = outcome;
    const code = error.code ?? error.httpStatus;
    const c = classify(error.code, error.httpStatus);
    if (c.action === 'pause') {
      await this.pause(`${code}`, c.reason);
      await db.updateTable('outbox')
        .set((eb) => ({ state: 'pending', attempts: eb('attempts', '-', 1), next_attempt_at: new Date(now.getTime() + PAUSE_MS) }))
        .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      return true;
    }
    if ((c.action === 'retry' || c.action === 'retry_recipient') && row.attempts < MAX_ATTEMPTS[c.action]) {
      const wait = backoffMs(c.action, row.attempts - 1);
      await db.updateTable('outbox')
        .set({ state: 'pending', next_attempt_at: new Date(now.getTime() + wait), error_code: error.code, error_title: error.title?.slice(0, 200) ?? null })
        .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      metrics.outboundRetried.inc({ code: String(code) });
      // Pending again, later: it still holds the patient's queue, and the poll finds it when due.
      log.info({ outboxId: row.id, code, attempt: row.attempts, waitMs: wait }, 'send will be retried');
      return false;
    }
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('outbox')
        .set({ state: 'failed', error_code: error.code ?? error.httpStatus, error_title: error.title?.slice(0, 200) ?? null, failed_at: now, status: 'failed', status_rank: sql`greatest(status_rank, 3)` })
        .where('id', '=', row.id).where('claim_seq', '=', row.claim_seq).where('state', '=', 'sending').execute();
      // The patient stopped marketing messages on WhatsApp: campaigns are withdrawn at once, with the failure.
      if (error.code === MARKETING_STOPPED && row.patient_id) await recordMarketingStop(tx, [row.patient_id], now);
    });
    metrics.outboundFailed.inc({ code: String(code) });
    log.warn({ outboxId: row.id, code, action: c.action }, 'send failed for good');
    return true;
  }

  /**
   * The dispatch mark of a send at its slot, durable before the request leaves. Marks asked for while another
   * is being written are written together in one statement (one commit): at the cap a commit per message
   * would be most of the database's work.
   */
  private markDispatched(m: Omit<Marking, 'resolve' | 'reject'>): Promise<Marked> {
    return new Promise<Marked>((resolve, reject) => {
      this.markQueue.push({ ...m, resolve, reject });
      if (!this.marking) void this.markQueued();
    });
  }

  /**
   * Writes the queued marks, batch by batch. Each marked send's request is written as soon as its mark has
   * committed, in the same turn and while this still holds its database connection (on the embedded database,
   * the one session): nothing else runs in between, so a crash leaves almost no send marked that never left
   * (each such send waits WHATSAPP_RECONCILE_MS and the restart wait before it is sent again). A send that no
   * longer holds the row's latest claim is not sent; one whose mark made it late (MARK_LATE_MS past its slot:
   * the mark waited for the database, and sends that were on time would leave together) goes back unsent,
   * unless that happened MAX_LATE_STREAK times in a row (a database overloaded for minutes): then it leaves late
   * rather than never.
   */
  private async markQueued(): Promise<void> {
    this.marking = true;
    try {
      while (this.markQueue.length > 0) {
        const batch = this.markQueue.splice(0, SETTLE_BATCH).sort((a, b) => a.row.id - b.row.id);
        try {
          await this.retried(() => (this.d.settleDb ?? this.d.db).connection().execute(async (conn) => {
            const r = await sql<{ id: number }>`
              update outbox o set dispatched_at = v.at
                from (select unnest(${batch.map((m) => m.row.id)}::bigint[]) as id, unnest(${batch.map((m) => m.row.claim_seq)}::int[]) as claim_seq,
                             unnest(${batch.map((m) => m.at)}::timestamptz[]) as at) v
               where o.id = v.id and o.claim_seq = v.claim_seq and o.state = 'sending'
              returning o.id`.execute(conn);
            const marked = new Set(r.rows.map((x) => Number(x.id)));
            const now = this.d.clock.now().getTime();
            for (const m of batch) {
              if (!marked.has(m.row.id)) {
                m.open?.abandon();
                m.resolve({ kind: 'lost' });
              } else if (now - m.row.slot > MARK_LATE_MS && this.lateStreak < MAX_LATE_STREAK) {
                this.lateStreak++;
                m.open?.abandon();
                m.resolve({ kind: 'late' });
              } else {
                this.lateStreak = 0;
                m.resolve({ kind: 'marked', outcome: m.open ? m.open.send() : null });
              }
            }
          }));
        } catch (e) {
          for (const m of batch) m.reject(e);
        }
      }
    } finally {
      this.marking = false;
    }
  }

  /** Runs `f` again when it lost a deadlock or serialization race (batches lock many rows), a few times. */
  private async retried<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        if (attempt >= SETTLE_TRIES || (code !== '40P01' && code !== '40001')) throw e;
      }
    }
  }

  /**
   * Records an acceptance as soon as it can: alone when nothing else is being settled (a send whose request left
   * but whose acceptance is not committed is in doubt after a crash, and is sent again if no status webhook
   * comes in time, so this window stays as short as the database allows), and together with the acceptances
   * that came in while the previous batch committed (one transaction for all of them: at the cap a transaction
   * per message was most of the database's work, and its queue widened that window more than a batch does).
   */
  private settleAccepted(a: Accepted): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.settleQueue.push({ a, resolve, reject });
      if (!this.settling) void this.settleQueued();
    });
  }

  private readonly settleQueue: { a: Accepted; resolve(queued: boolean): void; reject(e: unknown): void }[] = [];
  private settling = false;

  private async settleQueued(): Promise<void> {
    this.settling = true;
    try {
      while (this.settleQueue.length > 0) {
        const batch = this.settleQueue.splice(0, SETTLE_BATCH);
        try {
          const queued = await this.settleBatch(batch.map((x) => x.a));
          for (const x of batch) x.resolve(queued.has(x.a.row.id));
        } catch (e) {
          for (const x of batch) x.reject(e);
        }
      }
    } finally {
      this.settling = false;
    }
  }

  /**
   * Accepted sends: one UPDATE for the rows (which also says which have statuses that arrived before their wamid
   * was known: applied now), one audit append for the messages (blue ticks are not messages), all in one
   * transaction. Rows in id order, so two instances' batches lock them in the same order.
   */
  private async settleBatch(batch: readonly Accepted[]): Promise<Set<number>> {
    const db = this.d.settleDb ?? this.d.db;
    const { clock } = this.d;
    const sorted = [...batch].sort((a, b) => a.row.id - b.row.id);
    const byId = new Map(sorted.map((a) => [a.row.id, a]));
    return this.retried(() =>
      db.transaction().execute(async (tx) => {
        // A status webhook may have settled a row first (state already 'sent'): keep what it wrote. An
        // acceptance is proof that the message left, like a status: it also settles a row whose claim this
        // send lost while the row is still unsettled (and so stops a second copy that has not left yet).
        const settled = await sql<{ id: number; queued: boolean; held: string | null }>`
          update outbox o set
            state = case when o.state in ('sending', 'in_doubt', 'pending') then 'sent' else o.state end,
            wamid = coalesce(o.wamid, v.wamid),
            accepted_at = v.at,
            status = case when o.status_rank < 1 then 'accepted' else o.status end,
            status_rank = greatest(o.status_rank, 1)
           from (select unnest(${sorted.map((a) => a.row.id)}::bigint[]) as id, unnest(${sorted.map((a) => a.row.claim_seq)}::int[]) as claim_seq,
                        unnest(${sorted.map((a) => a.wamid)}::text[]) as wamid, unnest(${sorted.map((a) => a.at)}::timestamptz[]) as at) v
          where o.id = v.id and (o.claim_seq = v.claim_seq or o.state in ('pending', 'sending', 'in_doubt'))
          returning o.id,
            -- Whether the patient has a message queued behind this one (the sender wakes to claim it).
            exists (select 1 from outbox p where p.recipient_key = o.recipient_key and p.id > o.id and p.state = 'pending' and p.kind <> 'read') as queued,
            -- The wamid, when statuses for it came before it was known (rarely).
            case when v.wamid is not null and exists (select 1 from status_events s where s.wamid = v.wamid and s.applied_at is null and s.expired_at is null)
                 then v.wamid end as held`.execute(tx);
        for (const r of settled.rows) if (r.held) await applyHeldStatusesFor(tx, r.held, clock);
        // Every message out, in the transaction that records it as accepted (blue ticks are not messages).
        const out = settled.rows.map((r) => byId.get(Number(r.id))!).filter((a) => a && a.row.kind !== 'read').sort((a, b) => a.row.id - b.row.id);
        if (out.length > 0) {
          await recordAudit(tx, out.map((a): AuditEvent => ({ actor: SYSTEM('sender'), action: 'message.out', patientId: a.row.patient_id, target: `outbox:${a.row.id}`, details: { kind: a.row.kind }, at: a.at })));
        }
        return new Set(settled.rows.filter((r) => r.queued).map((r) => Number(r.id)));
      }));
  }

  /** Stops all sending for a while and tells the operator: burning the queue on a dead token helps nobody. */
  private async pause(code: string, reason: string): Promise<void> {
    const { db, clock, log, metrics } = this.d;
    const until = new Date(clock.now().getTime() + PAUSE_MS);
    this.pausedUntil = until.getTime();
    try {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('sender_pause').values({ id: 1, paused_until: until, reason: `${code}: ${reason}` })
          .onConflict((oc) => oc.column('id').doUpdateSet({ paused_until: until, reason: `${code}: ${reason}` })).execute();
        const open = await tx.selectFrom('operator_alerts').select('id').where('code', '=', `sender_paused_${code}`).where('resolved_at', 'is', null).executeTakeFirst();
        if (!open) await tx.insertInto('operator_alerts').values({ code: `sender_paused_${code}`, message: `Sending paused: Cloud API error ${code} (${reason}). Fix the cause (e.g. a new WHATSAPP_ACCESS_TOKEN); sending resumes by itself once a probe succeeds.` }).execute();
      });
    } finally {
      // From here the committed pause speaks for every instance (and an operator can lift it).
      this.pausedUntil = 0;
    }
    metrics.senderPaused.set(1);
    log.error({ code: `sender_paused_${code}`, pausedUntil: until.toISOString() }, 'OPERATOR ALERT: sending paused by a Cloud API error that retrying cannot fix');
  }

  /**
   * Settles sends whose outcome is unknown: a 'sending' row whose process died is in doubt; an in-doubt
   * row with no status webhook after the reconciliation window did not go out and is sent again. The window
   * counts only while some instance listens for webhooks (listeners.ts).
   */
  async reconcile(): Promise<number> {
    const { db, clock, metrics, sendTimeoutMs, reconcileMs, log } = this.d;
    const restartWaitMs = this.d.restartWaitMs ?? RESTART_WAIT_MS;
    const now = clock.now().getTime();
    // Orphans of a process that died mid-send. One that never left (no dispatched_at) is simply sent again.
    // A read receipt is settled: resending one helps nobody. One that left waits for its status webhooks
    // longer than a timed-out send does: no process was listening while it was down, and Meta's retries
    // back off (cloud-api.md §1), so its in-doubt window starts well in the future.
    const orphaned = await db.updateTable('outbox')
      .set({
        state: sql`case when kind = 'read' then 'sent' when dispatched_at is null then 'pending' else 'in_doubt' end`,
        in_doubt_at: sql`case when dispatched_at is null then null else ${new Date(now + restartWaitMs)}::timestamptz end`,
        next_attempt_at: new Date(now),
      })
      .where('state', '=', 'sending')
      .where('claimed_at', '<', new Date(now - sendTimeoutMs - 5_000))
      .executeTakeFirst();
    const resent = await db.updateTable('outbox')
      .set({ state: 'pending', next_attempt_at: new Date(now) })
      .where('state', '=', 'in_doubt')
      .where('in_doubt_at', '<', new Date(now - reconcileMs))
      // A wait that spans a time when no instance listened for webhooks (a restart) lasts the window again
      // after it, plus the restart wait of an orphan: Meta's retries of the statuses it could not deliver back off.
      .where(listenedThrough(new Date(now), reconcileMs + restartWaitMs))
      // A status that is stored but not applied yet settles the row on the next pass: never resend past it.
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('status_events').select('status_events.id').whereRef('status_events.callback_data', '=', sql<string>`${CALLBACK_PREFIX} || outbox.id || ':' || outbox.callback_token`))))
      .returning('id')
      .execute();
    if (resent.length) {
      metrics.outboundInDoubt.inc({ outcome: 'resent' }, resent.length);
      log.warn({ count: resent.length }, 'in-doubt sends with no status webhook after the reconciliation window: sending again');
    }
    // Blue ticks a minute late mean nothing; they only use up throughput. Let them go.
    await db.updateTable('outbox').set({ state: 'cancelled' })
      .where('state', '=', 'pending').where('kind', '=', 'read').where('created_at', '<', new Date(now - READ_RECEIPT_TTL_MS)).execute();
    // Resume after a pause once its time is up; the next send is the probe.
    await db.deleteFrom('sender_pause').where('paused_until', '<=', new Date(now)).execute();
    return Number(orphaned.numUpdatedRows) + resent.length;
  }
}

/** Due rows (a row queued in the current millisecond too: the database stamps microseconds, the clock milliseconds). */
async function claimKind(tx: Tx, now: Date, limit: number, readReceipts: boolean): Promise<ClaimedRow[]> {
  const r = await sql<ClaimedRow>`
    with due as (
      select o.id, o.patient_id from outbox o
       where o.state = 'pending' and ${readReceipts ? sql`o.kind = 'read'` : sql`o.kind <> 'read'`} and o.next_attempt_at < ${new Date(now.getTime() + 1)}
         and not exists (
           select 1 from outbox p
            where p.recipient_key = o.recipient_key and p.id < o.id and p.kind <> 'read'
              and p.state in ('pending', 'sending', 'in_doubt'))
       order by o.id
       limit ${limit}
       for update of o skip locked)
    update outbox set state = 'sending', attempts = outbox.attempts + 1, claim_seq = outbox.claim_seq + 1, claimed_at = ${now}, dispatched_at = null
      from due left join patients pt on pt.id = due.patient_id
     where outbox.id = due.id
    returning outbox.id, outbox.patient_id, outbox.kind, outbox.purpose, ${refusedCondition('outbox', 'pt')} as refused, outbox.payload, outbox.to_sealed, outbox.to_phone, outbox.to_bsuid, outbox.requires_window, outbox.callback_token,
              outbox.attempts, outbox.claim_seq, pt.last_inbound_at`.execute(tx);
  return r.rows;
}
