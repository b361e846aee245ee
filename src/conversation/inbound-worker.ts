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
import { consentKeywordStep, recordAudit } from '../compliance/index.js';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Clock } from '../lib/clock.js';
import type { Db, Tx } from '../db/database.js';
import { errorSummary } from '../lib/logger.js';
import { InboundParseError, parseContact, parseInboundMessage, wantsReadReceipt, type InboundMessage } from '../whatsapp/inbound-model.js';
import { enqueue } from '../whatsapp/outbox.js';
import type { ConversationHandler } from './handler.js';
import { touchPatient } from '../patients/index.js';

const MAX_ATTEMPTS = 5;
const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker']);

export interface InboundWorkerDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  handler: ConversationHandler;
  concurrency: number;
  /** Called after a message's replies committed, so the sender can go at once. */
  onReplies(): void;
  /** Called after a message's media row committed. */
  onMedia(): void;
  /** Which instance processed a message (operations, and the multi-instance test). */
  instanceId: string;
}

interface Claimed {
  id: number;
  wamid: string;
  sender_key: string;
  payload: Uint8Array;
  attempts: number;
}

export class InboundWorker {
  constructor(private readonly d: InboundWorkerDeps) {}

  /** Processes up to `concurrency` messages of different people in parallel. */
  async tick(): Promise<number> {
    const results = await Promise.all(Array.from({ length: this.d.concurrency }, () => this.processOne()));
    return results.filter(Boolean).length;
  }

  async processOne(): Promise<boolean> {
    let claimed: Claimed | null = null;
    let woke: Wake;
    try {
      const r = await this.d.db.transaction().execute(async (tx) => {
        const row = await claim(tx, this.d.clock.now());
        if (!row) return null;
        claimed = row;
        return this.handle(tx, row);
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

  private async handle(tx: Tx, row: Claimed): Promise<Wake> {
    const { cipher, keys, clock } = this.d;
    const plain = cipher.decrypt(row.payload);
    const stored: unknown = JSON.parse(plain.toString('utf8'));
    const raw = stored && typeof stored === 'object' && 'message' in stored ? stored.message : null;
    const contact = parseContact(stored && typeof stored === 'object' && 'contact' in stored ? stored.contact : null);
    const message: InboundMessage = parseInboundMessage(raw);
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
    // The red-flag emergency check (next issue) runs BEFORE this step: an emergency is answered even in "STOP".
    // STOP / START (any language) are recorded and confirmed here; the handler then does not answer them.
    const consent = await consentKeywordStep(tx, { message, patient, now: clock.now() });
    const replies = consent ? consent.replies : await this.d.handler(tx, { message, patient, isNewPatient: created, now: clock.now() });
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
 * The oldest due message of a person with no earlier pending message; skips rows other workers hold. A
 * person is the same BSUID or the same phone, and through the patients table both identities of a patient
 * known by both (one message may carry from_user_id, the next only from). An earlier message another worker
 * is processing is still 'pending' until that worker commits, so it blocks the later ones of the same person
 * even though SKIP LOCKED skips it. Each test walks a partial index of pending rows (0005, on the blind indexes since 0012).
 */
async function claim(tx: Tx, now: Date): Promise<Claimed | undefined> {
  const r = await sql<Claimed>`
    with next as (
      select m.id from inbound_messages m
       where m.state = 'pending' and m.next_attempt_at <= ${now}
         and not exists (select 1 from inbound_messages p where p.bsuid_index = m.bsuid_index and p.state = 'pending' and p.id < m.id)
         and not exists (select 1 from inbound_messages p where p.wa_id_index = m.wa_id_index and p.state = 'pending' and p.id < m.id)
         and not exists (
           select 1 from patients pt
             join inbound_messages p on p.bsuid_index = pt.bsuid_index or p.wa_id_index = pt.wa_id_index
            where (pt.bsuid_index = m.bsuid_index or pt.wa_id_index = m.wa_id_index) and p.state = 'pending' and p.id < m.id)
       order by m.id
       limit 1
       for update of m skip locked)
    update inbound_messages set attempts = inbound_messages.attempts + 1
      from next where inbound_messages.id = next.id
    returning inbound_messages.id, inbound_messages.wamid, inbound_messages.sender_key, inbound_messages.payload, inbound_messages.attempts`.execute(tx);
  return r.rows[0];
}
