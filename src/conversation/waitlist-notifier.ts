// Sends the waitlist's news, whoever freed the time (a patient cancelling in chat, staff through the API):
// each new offer (src/scheduling/waitlist.ts offerFreedSlot) goes to its patient as a message with
// "Yes, book it" / "No, thanks" buttons (`booking:offer:<id>:yes|no`, which the booking flow takes), and a
// patient whose offer went to someone quicker is told so. Each is queued in the transaction that marks it,
// once (an idempotency key too). The outbox's purpose is 'care': the sender refuses it to a patient who
// opted out; outside the 24-hour window the Cloud API refuses free-form text (templates: issue 15).
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Db, Tx } from '../db/database.js';
import type { LocalizedText } from '../db/schema.js';
import { translator } from '../flows/i18n.js';
import { isLanguage, type Language } from '../nlu/types.js';
import { patientIdentifiers } from '../patients/index.js';
import { enqueue } from '../whatsapp/outbox.js';
import { replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';

export interface WaitlistNotifierDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
  /** After messages were queued (wakes the sender). */
  onQueued(): void;
}

const BATCH = 50;

interface Row {
  id: string;
  patient_id: string;
  starts_at: Date;
  name: LocalizedText;
  display_name: string;
  time_zone: string;
  language: string | null;
  default_language: string;
}

export class WaitlistNotifier {
  constructor(private readonly d: WaitlistNotifierDeps) {}

  /** Queues the offers not yet sent and the "it went" notices; returns how many messages were queued. */
  async tick(): Promise<number> {
    const n = await this.d.db.transaction().execute(async (tx) => (await this.offers(tx)) + (await this.gone(tx)));
    if (n > 0) this.d.onQueued();
    return n;
  }

  private rows(tx: Tx, which: 'offers' | 'gone'): Promise<Row[]> {
    const now = this.d.clock.now();
    let q = tx.selectFrom('waitlist_offers as o')
      .innerJoin('services as s', 's.id', 'o.service_id')
      .innerJoin('practitioners as p', 'p.id', 'o.practitioner_id')
      .innerJoin('locations as l', 'l.id', 'o.location_id')
      .innerJoin('clinics as c', 'c.id', 's.clinic_id')
      .innerJoin('patients as pt', 'pt.id', 'o.patient_id')
      .select(['o.id', 'o.patient_id', 'o.starts_at', 's.name', 'p.display_name', 'l.time_zone', 'pt.language', 'c.default_language']);
    q = which === 'offers'
      ? q.where('o.notified_at', 'is', null).where('o.outcome', '=', 'pending').where('o.expires_at', '>', now).orderBy('o.created_at')
      : q.where('o.gone_notified_at', 'is', null).where('o.outcome', '=', 'gone').where('o.notified_at', 'is not', null).where('o.starts_at', '>', now).orderBy('o.decided_at');
    return q.orderBy('o.id').limit(BATCH).forUpdate('o').skipLocked().execute();
  }

  private async send(tx: Tx, r: Row, message: (t: ReturnType<typeof translator>, service: string) => OutboundMessage, key: string): Promise<boolean> {
    const language: Language = isLanguage(r.language) ? r.language : isLanguage(r.default_language) ? r.default_language : 'en';
    const t = translator(language, r.time_zone);
    const service = r.name[language] ?? r.name[r.default_language] ?? Object.values(r.name)[0] ?? '';
    const to = await patientIdentifiers(tx, { cipher: this.d.cipher, keys: this.d.keys }, r.patient_id);
    if (!to || (!to.phone && !to.bsuid)) return false; // nobody to write to (erased): marked all the same
    const own = await this.d.keys.forPatient(tx, r.patient_id);
    await enqueue(tx, own, { patientId: r.patient_id, phone: to.phone, bsuid: to.bsuid }, [message(t, service)], { purpose: 'care', idempotencyKey: key });
    return true;
  }

  private async offers(tx: Tx): Promise<number> {
    const rows = await this.rows(tx, 'offers');
    let queued = 0;
    for (const r of rows) {
      const sent = await this.send(tx, r, (t, service) => replyButtons({
        body: t('booking.offerBody', { service, at: r.starts_at, practitioner: r.display_name }),
        buttons: [{ id: `booking:offer:${r.id}:yes`, title: t('booking.offerYesButton') }, { id: `booking:offer:${r.id}:no`, title: t('booking.offerNoButton') }],
      }), `waitlist-offer:${r.id}`);
      if (sent) queued++;
      await tx.updateTable('waitlist_offers').set({ notified_at: this.d.clock.now() }).where('id', '=', r.id).execute();
    }
    return queued;
  }

  private async gone(tx: Tx): Promise<number> {
    const rows = await this.rows(tx, 'gone');
    let queued = 0;
    for (const r of rows) {
      const sent = await this.send(tx, r, (t, service) => text(t('booking.offerTakenBody', { service, at: r.starts_at })), `waitlist-gone:${r.id}`);
      if (sent) queued++;
      await tx.updateTable('waitlist_offers').set({ gone_notified_at: this.d.clock.now() }).where('id', '=', r.id).execute();
    }
    return queued;
  }
}
