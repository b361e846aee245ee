// Processes stored inbound messages: one patient's messages one at a time and in arrival order, also across
// instances. A message is claimed with FOR UPDATE SKIP LOCKED only when no earlier message of the same
// person is still pending (same BSUID, same phone, or either identity of the patient they belong to); the
// handler runs inside that transaction, and the replies (outbox rows), the patient's state and the "done"
// mark commit together, or not at all. Other workers are woken only once that has committed.
//
// Identities are compared as blind indexes (0012): the claim never sees a phone number or a BSUID. The
// payload, sealed with ENCRYPTION_KEY at intake (the patient is not known yet), is re-sealed under the
// patient's data key in the UPDATE that marks it done, so erasure's crypto-shredding covers it.
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Metrics } from '../analytics/metrics.js';
import { consentKeywordStep, recordAudit, recordChatConsent } from '../compliance/index.js';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Clock } from '../lib/clock.js';
import type { Db, DbOrTx, Tx } from '../db/database.js';
import type { JobQueue } from '../jobs/index.js';
import type { Nlu, NluResult, ParseOptions } from '../nlu/index.js';
import { translator } from '../flows/i18n.js';
import { clinicView, loadClinicFacts, type ClinicFacts } from './clinic.js';
import { NEW_SESSION, nothingToAnswer, step, typedByPatient, type EmergencyReply } from './engine.js';
import type { Effect, FaqLookup, HandoffView } from './flow.js';
import { activeHandoff, openHandoff, raiseAlert, touchHandoff } from './handoff.js';
import type { FlowRegistry } from './router.js';
import { loadSession, saveSession } from './state.js';
import { schedulingPort, type SchedulingPortDeps } from './scheduling-port.js';
import { carePlansPort } from '../careplans/port.js';
import { errorSummary } from '../lib/logger.js';
import { InboundParseError, inboundText, parseContact, parseInboundMessage, wantsReadReceipt, type InboundMessage } from '../whatsapp/inbound-model.js';
import { enqueue } from '../whatsapp/outbox.js';
import type { ConversationHandler } from './handler.js';
import { touchPatient, type Patient } from '../patients/index.js';
import { isLanguage, type Language } from '../nlu/index.js';
import type { OutboundMessage } from '../whatsapp/outbound.js';

const MAX_ATTEMPTS = 5;
const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker']);

export interface InboundWorkerDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Replaces the engine with a fixed answer (transport tests that are about ordering, not conversation). */
  handler?: ConversationHandler;
  /** The conversation engine's parts (ignored when `handler` is given). */
  engine?: EngineDeps;
  concurrency: number;
  /**
   * Messages each lane may take in one tick, one after the other (default 1). On a server, lanes that go on
   * at once keep every connection busy: with one message per lane per tick, each round waited for its
   * slowest message and for the next round's parses, and four lanes fell behind 50 messages a second. The
   * messages after the first are parsed inside their claim (a connection of the workers' pool held a few
   * milliseconds longer); on PGlite that would hold the one session, so there it stays 1.
   */
  laneRun?: number;
  /**
   * True while webhook intake takes a burst (lib/intake-pressure.ts, `bursting`): lanes then stop after one
   * message each, so the loop's rest between ticks (calm) keeps intake first; at ordinary rates they go on.
   */
  intakeBursting?: () => boolean;
  /** Called after a message's replies committed, so the sender can go at once. */
  onReplies(): void;
  /** Called after a message's media row committed. */
  onMedia(): void;
  /** Which instance processed a message (operations, and the multi-instance test). */
  instanceId: string;
}

/** What the engine needs besides the database: understanding, the FAQ, the flows, the emergency reply. */
export interface EngineDeps {
  /** Null: no understanding layer (free text gets the welcome and the menu; red flags are still detected). */
  nlu: Nlu | null;
  faq(db: DbOrTx): FaqLookup;
  flows: FlowRegistry;
  emergencyReply: EmergencyReply;
  /** For `job` effects; without it a flow's job effect fails the message. */
  jobs?: JobQueue;
  /** Booking in chat (src/conversation/scheduling-port.ts); without it reception books through a handoff. */
  scheduling?: SchedulingPortDeps;
  /** Care-plan answers in chat (src/careplans/port.ts, through the message's transaction); false: none. */
  careplans?: false;
}

/** A message parsed ahead of its claim, outside any transaction. */
interface Understood {
  text: string;
  nlu: NluResult;
}

interface Prepared {
  facts: ClinicFacts;
  parsed: Map<number, Understood>;
}

const FACTS_TTL_MS = 10_000;

interface Claimed {
  id: number;
  wamid: string;
  sender_key: string;
  payload: Uint8Array;
  attempts: number;
}

export class InboundWorker {
  constructor(private readonly d: InboundWorkerDeps) {}

  /**
   * Processes messages of different people in `concurrency` lanes at once, each lane up to `laneRun` of them
   * one after the other (one while intake takes a burst); a lane stops early once a claim finds nothing, and tells
   * the others so.
   */
  async tick(): Promise<number> {
    const prepared = await this.prepare();
    let left = this.d.concurrency * Math.max(1, this.d.laneRun ?? 1);
    let empty = false;
    let done = 0;
    const lane = async () => {
      for (let mine = 0; !empty && left > 0 && (mine === 0 || !this.d.intakeBursting?.()); mine++) {
        left--;
        if (await this.processOne(prepared)) done++;
        else empty = true;
      }
    };
    await Promise.all(Array.from({ length: this.d.concurrency }, lane));
    return done;
  }

  private facts: { at: number; facts: ClinicFacts } | null = null;

  private async clinicFacts(db: DbOrTx): Promise<ClinicFacts> {
    const now = this.d.clock.now();
    if (this.facts && now.getTime() - this.facts.at < FACTS_TTL_MS && now.getTime() >= this.facts.at) return this.facts.facts;
    const facts = await loadClinicFacts(db, now);
    this.facts = { at: now.getTime(), facts };
    return facts;
  }

  /**
   * Slow understanding never holds the database: the messages the claim will take next (the oldest due
   * message of each person with nothing earlier pending, the claim's own rule) are read WITHOUT locks or a
   * transaction, opened and parsed here; the claim then uses the parse when the row it took is one of them
   * and its text is the same. A row not parsed here (another instance took ours, a new person arrived) is
   * parsed inside the claim: correct, only slower. With no understanding layer there is nothing to prepare.
   */
  private async prepare(): Promise<Prepared | null> {
    const nlu = this.d.engine?.nlu;
    if (this.d.handler || !this.d.engine || !nlu) return null;
    const now = this.d.clock.now();
    const rows = await peek(this.d.db, now, this.d.concurrency);
    if (rows.length === 0) return null;
    const facts = await this.clinicFacts(this.d.db);
    const parsed = new Map<number, Understood>();
    if (!nlu) return { facts, parsed };
    for (const [i, r] of rows.entries()) {
      // One parse of a long message takes milliseconds: webhooks waiting meanwhile go between two parses,
      // so a burst's acknowledgements are held up by one parse at most, not by a whole batch.
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        const message = parseStored(this.d.cipher.decrypt(r.payload)).message;
        const said = typedByPatient(message) ? inboundText(message) : null;
        if (said === null || said.trim() === '') continue;
        const language = languageOf(r.language) ?? undefined;
        parsed.set(r.id, { text: said, nlu: nlu.parse(said, { now, timeZone: facts.timeZone, ...(language ? { language } : {}) }) });
      } catch {
        // The claim meets the same content and records the failure there.
      }
    }
    return { facts, parsed };
  }

  async processOne(prepared: Prepared | null = null): Promise<boolean> {
    let claimed: Claimed | null = null;
    let woke: Wake;
    try {
      const r = await this.d.db.transaction().execute(async (tx) => {
        const row = await claim(tx, this.d.clock.now());
        if (!row) return null;
        claimed = row;
        return this.handle(tx, row, prepared);
      });
      if (r === null) return false;
      woke = r;
    } catch (e) {
      if (claimed === null) throw e;
      await this.failed(claimed, e);
      return true;
    }
    // Only now is the work visible to other sessions: a worker woken earlier would find nothing and sleep.
    if (woke.media) this.d.onMedia();
    if (woke.replies) this.d.onReplies();
    return true;
  }

  private async handle(tx: Tx, row: Claimed, prepared: Prepared | null): Promise<Wake> {
    const { cipher, keys, clock } = this.d;
    const plain = cipher.decrypt(row.payload);
    const { message, contact } = parseStored(plain);
    let media = false;
    const { patient, created } = await touchPatient(
      tx,
      { cipher, keys },
      {
        waId: message.from ?? contact?.waId ?? null,
        bsuid: message.userId ?? contact?.userId ?? null,
        parentBsuid: message.parentUserId ?? contact?.parentUserId ?? null,
        username: contact?.username ?? null,
        name: contact?.name ?? null,
      },
      message.timestamp,
    );
    if (MEDIA_TYPES.has(message.type) && 'media' in message) {
      await tx.insertInto('media')
        .values({ media_id: message.media.id, inbound_message_id: row.id, patient_id: patient.id, mime_type: message.media.mimeType ?? null, sha256: message.media.sha256 ?? null })
        .onConflict((oc) => oc.column('media_id').doNothing())
        .execute();
      media = true;
    }
    let replies: OutboundMessage[];
    if (this.d.handler) {
      // A fixed handler (tests): STOP / START are still recorded and confirmed first.
      const consent = await consentKeywordStep(tx, { message, patient, now: clock.now() });
      replies = consent ? consent.replies : await this.d.handler(tx, { message, patient, isNewPatient: created, now: clock.now() });
    } else {
      replies = await this.converse(tx, { message, patient, created, prepared: prepared?.parsed.get(row.id) ?? null, facts: prepared?.facts ?? null });
    }
    const patientCipher = await keys.forPatient(tx, patient.id); // cached: touchPatient has just used it
    const to = { patientId: patient.id, phone: patient.waId, bsuid: patient.bsuid };
    // Blue ticks. They do not wait in the patient's queue, so no typing indicator: arriving after the reply,
    // it would show "typing…" for 25 s.
    const items = wantsReadReceipt(message) ? [{ kind: 'read' as const, messageId: message.id, typing: false }, ...replies] : replies;
    await enqueue(tx, patientCipher, to, items, { causedBy: row.id, idempotencyKey: `in:${row.wamid}` });
    await sql`update inbound_messages set state = 'done', processed_at = ${clock.now()}, processed_order = nextval('inbound_processed_order'),
              processed_by = ${this.d.instanceId}, patient_id = ${patient.id}, payload = ${patientCipher.encrypt(plain)} where id = ${row.id}`.execute(tx);
    // Last: the audit chain's lock is held from here to the commit.
    await recordAudit(tx, { actor: { type: 'patient', id: patient.id }, action: 'message.in', patientId: patient.id, target: `wamid:${row.wamid}`, details: { type: message.type }, at: clock.now() });
    return { media, replies: items.length > 0 };
  }

  /**
   * The engine's step for one message, and everything it decided, in the message's transaction: the
   * session, handoffs, alerts, consent, the language preference, jobs. Returns the replies.
   */
  private async converse(tx: Tx, o: { message: InboundMessage; patient: Patient; created: boolean; prepared: Understood | null; facts: ClinicFacts | null }): Promise<OutboundMessage[]> {
    const engine = this.d.engine;
    if (!engine) throw new Error('the inbound worker has neither a handler nor an engine');
    const { keys, clock } = this.d;
    const now = clock.now();
    const { message, patient } = o;
    const facts = o.facts ?? (await this.clinicFacts(tx));
    const clinic = clinicView(facts);
    const said = inboundText(message);
    const typed = said !== null && said.trim() !== '' && typedByPatient(message) ? said : null;
    const language = languageOf(patient.language) ?? undefined;
    const nlu = typed === null || engine.nlu === null ? null
      : o.prepared?.text === typed ? o.prepared.nlu
      : safeParse(engine.nlu, typed, { now, timeZone: clinic.timeZone, ...(language ? { language } : {}) });
    // A patient this transaction has just created has no handoff and no session yet: no reads for them. The
    // opt-out comes with the patient's row, which touchPatient read under its row lock.
    const handoff = o.created ? null : await activeHandoff(tx, patient.id);
    const session = o.created ? { ...NEW_SESSION } : await loadSession(tx, keys, patient.id);
    const result = await step(session, { message, text: said, nlu, now, isNewPatient: o.created }, {
      clinic,
      patient: { id: patient.id, language: languageOf(patient.language), optedOut: patient.optedOutAt !== null },
      faq: engine.faq(tx),
      handoff,
      tIn: (l) => translator(l, clinic.timeZone),
      flows: engine.flows,
      emergencyReply: engine.emergencyReply,
      scheduling: engine.scheduling && facts.configured
        ? (answerIn) => schedulingPort(tx, engine.scheduling!, { patientId: patient.id, language: answerIn, defaultLanguage: clinic.defaultLanguage, now })
        : null,
      careplans: engine.careplans === false ? null : carePlansPort(tx, { keys }, { patientId: patient.id, now }),
    });
    await this.apply(tx, patient.id, handoff, result.effects, now);
    if (!nothingToAnswer(message)) await saveSession(tx, keys, patient.id, result.session);
    return result.outbound;
  }

  private async apply(tx: Tx, patientId: string, active: HandoffView | null, effects: readonly Effect[], now: Date): Promise<void> {
    let handoff = active;
    for (const e of effects) {
      switch (e.type) {
        case 'handoff.open':
          // `handoff` is what this transaction read (or opened) for the patient: no second read.
          handoff = await openHandoff(tx, { patientId, reason: e.reason, priority: e.priority, now, current: handoff });
          break;
        case 'handoff.touch':
          if (handoff) await touchHandoff(tx, handoff.id, now);
          break;
        case 'alert':
          await raiseAlert(tx, { kind: e.kind, patientId, handoffId: handoff?.id ?? null, codes: e.codes, now });
          break;
        case 'patient.language':
          await tx.updateTable('patients').set({ language: e.language }).where('id', '=', patientId).execute();
          break;
        case 'consent':
          await recordChatConsent(tx, { patientId, granted: e.granted, language: e.language, source: e.source, now });
          break;
        case 'job': {
          if (!this.d.engine?.jobs) throw new Error('a flow asked for a job but the inbound worker has no job queue');
          if (typeof e.data !== 'object' || e.data === null) throw new Error('a job effect needs an object payload');
          await this.d.engine.jobs.enqueue(tx, e.name, e.data, { key: e.key ?? `${e.name}:${patientId}:${now.getTime()}`, ...(e.startAfter ? { startAfter: e.startAfter } : {}) });
          break;
        }
      }
    }
  }

  /**
   * Records a failed attempt. The claiming transaction has rolled back, so the row is unlocked: another
   * instance may have claimed it since, and even finished it. The write therefore applies only to the row as
   * the rollback left it (still pending, attempts as before this claim); otherwise the other instance's
   * outcome stands and nothing is written.
   */
  private async failed(row: Claimed, e: unknown): Promise<void> {
    const err = errorSummary(e);
    // Content that cannot be parsed will not parse next time either: dead at once, the patient's next messages go on.
    const attempts = e instanceof InboundParseError ? Math.max(MAX_ATTEMPTS, row.attempts) : row.attempts;
    const dead = attempts >= MAX_ATTEMPTS;
    this.d.metrics.processingErrors.inc({ stage: 'inbound' });
    const wait = Math.min(1000 * 2 ** attempts, 60_000);
    const recorded = await this.d.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('inbound_messages')
        .set({ state: dead ? 'dead' : 'pending', attempts, next_attempt_at: new Date(this.d.clock.now().getTime() + wait), last_error: `${err.type}${err.code ? ` ${err.code}` : ''}`.slice(0, 200) })
        .where('id', '=', row.id)
        .where('state', '=', 'pending')
        .where('attempts', '=', row.attempts - 1)
        .returning('id')
        .executeTakeFirst();
      if (r && dead) {
        await tx.insertInto('operator_alerts').values({ code: 'inbound_dead', message: `Inbound message ${row.id} could not be processed after ${attempts} attempts (${err.type}). The patient's later messages continue.` }).execute();
      }
      return r !== undefined;
    });
    if (!recorded) {
      this.d.log.warn({ inboundId: row.id, attempt: attempts, err }, 'inbound message processing failed; another worker has taken the message over since, its outcome stands');
      return;
    }
    this.d.log.error({ inboundId: row.id, attempt: attempts, err, dead }, dead ? 'inbound message moved to dead state after repeated failures' : 'inbound message processing failed; will retry');
  }
}

interface Wake {
  media: boolean;
  replies: boolean;
}

/**
 * The understanding of a text, or null when the NLU throws on it: the message is still answered (the engine
 * then runs the red-flag detector itself), never retried into the dead state for the NLU's sake.
 */
function safeParse(nlu: Nlu, text: string, opts: ParseOptions): NluResult | null {
  try {
    return nlu.parse(text, opts);
  } catch {
    return null;
  }
}

/** A stored language tag as one of ours: 'pt-BR' is 'pt'. */
function languageOf(tag: string | null): Language | null {
  const base = tag?.toLowerCase().split(/[-_]/)[0] ?? null;
  return isLanguage(base) ? base : null;
}

/** The stored webhook item: the message and its contact. */
function parseStored(plain: Buffer): { message: InboundMessage; contact: ReturnType<typeof parseContact> } {
  const stored: unknown = JSON.parse(plain.toString('utf8'));
  const raw = stored && typeof stored === 'object' && 'message' in stored ? stored.message : null;
  const contact = parseContact(stored && typeof stored === 'object' && 'contact' in stored ? stored.contact : null);
  return { message: parseInboundMessage(raw), contact };
}

/**
 * Due by `now`, to the microsecond: the database stamps a stored message with its microseconds, the clock has
 * milliseconds, so a message stored in the current millisecond is due too (else a worker woken at once by the
 * intake would find it "not yet due" and wait for its next poll).
 */
function dueBy(now: Date): Date {
  return new Date(now.getTime() + 1);
}

/**
 * The messages `claim` would take next, read without locks (outside any transaction), with the language
 * their sender prefers: the candidates `prepare` parses ahead of the claim.
 */
async function peek(db: Db, now: Date, limit: number): Promise<{ id: number; payload: Uint8Array; language: string | null }[]> {
  const due = dueBy(now);
  const r = await sql<{ id: number; payload: Uint8Array; language: string | null }>`
    select m.id, m.payload,
           (select pt.language from patients pt where pt.bsuid_index = m.bsuid_index or pt.wa_id_index = m.wa_id_index limit 1) as language
      from inbound_messages m
     where m.state = 'pending' and m.next_attempt_at < ${due}
       and not exists (select 1 from inbound_messages p where p.bsuid_index = m.bsuid_index and p.state = 'pending' and p.id < m.id)
       and not exists (select 1 from inbound_messages p where p.wa_id_index = m.wa_id_index and p.state = 'pending' and p.id < m.id)
     order by m.id
     limit ${limit}`.execute(db);
  return r.rows;
}

/**
 * The oldest due message of a person with no earlier pending message; skips rows other workers hold. A
 * person is the same BSUID or the same phone, and through the patients table both identities of a patient
 * known by both (one message may carry from_user_id, the next only from). An earlier message another worker
 * is processing is still 'pending' until that worker commits, so it blocks the later ones of the same person
 * even though SKIP LOCKED skips it. Each test walks a partial index of pending rows (0005, on the blind indexes since 0012);
 * the patient test looks the patient up by the message's identities first and then walks those indexes for the
 * patient's identities (a join of every patient with every pending message, which the planner chose from the
 * statistics of small tables, cost 57 ms a claim at 600 pending and 300 patients, and grew with both).
 */
async function claim(tx: Tx, now: Date): Promise<Claimed | undefined> {
  const due = dueBy(now);
  const r = await sql<Claimed>`
    with next as (
      select m.id from inbound_messages m
       where m.state = 'pending' and m.next_attempt_at < ${due}
         and not exists (select 1 from inbound_messages p where p.bsuid_index = m.bsuid_index and p.state = 'pending' and p.id < m.id)
         and not exists (select 1 from inbound_messages p where p.wa_id_index = m.wa_id_index and p.state = 'pending' and p.id < m.id)
         and not exists (
           select 1 from patients pt
            where (pt.bsuid_index = m.bsuid_index or pt.wa_id_index = m.wa_id_index)
              and (exists (select 1 from inbound_messages p where p.bsuid_index = pt.bsuid_index and p.state = 'pending' and p.id < m.id)
                or exists (select 1 from inbound_messages p where p.wa_id_index = pt.wa_id_index and p.state = 'pending' and p.id < m.id)))
       order by m.id
       limit 1
       for update of m skip locked)
    update inbound_messages set attempts = inbound_messages.attempts + 1
      from next where inbound_messages.id = next.id
    returning inbound_messages.id, inbound_messages.wamid, inbound_messages.sender_key, inbound_messages.payload, inbound_messages.attempts`.execute(tx);
  return r.rows[0];
}
