// Sends due reminders, each exactly once, also across instances and crashes: a tick claims due rows with
// FOR UPDATE SKIP LOCKED and, in the same transaction, queues the message in the outbox (idempotency key
// `reminder:<id>`) and marks the row sent, or skipped with why. The outbox and the sender do the rest
// (pacing, retries, statuses; the sender refuses a care message to a patient who opted out, again).
//
// Per reminder, at send time:
//   - the appointment is no longer booked or confirmed: cancelled (its hooks should have done it already);
//   - less than a minute before the start (down, or quiet hours): skipped `too_late` — never after the start;
//   - a later reminder of the same appointment is due too (the instance was down through both): the earlier
//     one is skipped `superseded`, the patient gets one message;
//   - the patient opted out: skipped `opted_out` (checked again here, not only at booking);
//   - quiet hours now (the clinic's, in the location's zone): moved to their end if that is still 30 minutes
//     before the start, else skipped `quiet_hours`;
//   - the patient wrote in the last 24 hours: a free-form message with Confirm / Reschedule / Cancel buttons;
//   - else the approved template (src/whatsapp/templates.ts) with the same quick replies (`confirm:<id>`…);
//     a template not approved yet is retried in 5 minutes while there is time; rejected, paused or disabled:
//     skipped `template_<status>` and a staff alert (one open alert per template and language).
import type { Logger } from 'pino';
import type { KeyRing } from '../compliance/keys.js';
import type { Cipher } from '../compliance/crypto.js';
import { recordAudit, SYSTEM } from '../compliance/index.js';
import type { Db, Tx } from '../db/database.js';
import { appointmentDetails } from '../flows/booking/format.js';
import { formatWhen, translator } from '../flows/i18n.js';
import type { Clock } from '../lib/clock.js';
import { isLanguage, type Language } from '../nlu/types.js';
import { patientIdentifiers } from '../patients/index.js';
import { appointmentView } from '../scheduling/appointment-view.js';
import { getAppointment } from '../scheduling/appointments.js';
import { enqueue } from '../whatsapp/outbox.js';
import { replyButtons, type OutboundMessage } from '../whatsapp/outbound.js';
import { inCustomerWindow, templateGate } from '../whatsapp/template-sync.js';
import { templateMessage, TEMPLATES } from '../whatsapp/templates.js';
import { afterQuiet } from './times.js';
import { reminderSettings } from './repo.js';

const BATCH = 50;
const MINUTE = 60_000;
/** Closer than this to the start, a reminder is no use. */
const TOO_LATE_MS = MINUTE;
const QUIET_MARGIN_MS = 30 * MINUTE;
/** A template still in review is tried again this soon (Meta's review usually takes seconds to minutes). */
const TEMPLATE_RETRY_MS = 30_000;

export interface ReminderWorkerDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
  /** VIDEO_URL_TEMPLATE (the appointment's join link is opened with the patient's key). */
  videoUrlTemplate: string;
  onQueued(): void;
}

interface Due {
  id: string;
  appointment_id: string;
  patient_id: string;
  due_at: Date;
}

type Decision =
  | { kind: 'send'; message: OutboundMessage; via: 'template' | 'message' }
  | { kind: 'skip'; state: 'skipped' | 'cancelled'; reason: string }
  | { kind: 'later'; at: Date };

export class ReminderWorker {
  constructor(private readonly d: ReminderWorkerDeps) {}

  async tick(): Promise<number> {
    const sent = await this.d.db.transaction().execute(async (tx) => {
      const now = this.d.clock.now();
      const due = await tx.selectFrom('reminders').select(['id', 'appointment_id', 'patient_id', 'due_at'])
        .where('state', '=', 'scheduled').where('due_at', '<=', now)
        .orderBy('due_at').orderBy('id').limit(BATCH)
        .forUpdate().skipLocked().execute();
      let queued = 0;
      for (const r of due) {
        const decision = await this.decide(tx, r, now);
        if (decision.kind === 'later') {
          await tx.updateTable('reminders').set({ due_at: decision.at }).where('id', '=', r.id).execute();
          continue;
        }
        if (decision.kind === 'skip') {
          await tx.updateTable('reminders').set({ state: decision.state, reason: decision.reason, decided_at: now }).where('id', '=', r.id).execute();
          await recordAudit(tx, { actor: SYSTEM('reminders'), action: `reminder.${decision.state}`, patientId: r.patient_id, target: `reminder:${r.id}`, details: { reason: decision.reason }, at: now });
          continue;
        }
        const to = await patientIdentifiers(tx, { cipher: this.d.cipher, keys: this.d.keys }, r.patient_id);
        if (!to || (!to.phone && !to.bsuid)) {
          await tx.updateTable('reminders').set({ state: 'skipped', reason: 'no_recipient', decided_at: now }).where('id', '=', r.id).execute();
          continue;
        }
        const own = await this.d.keys.forPatient(tx, r.patient_id);
        const [outboxId] = await enqueue(tx, own, { patientId: r.patient_id, phone: to.phone, bsuid: to.bsuid }, [decision.message], { purpose: 'care', idempotencyKey: `reminder:${r.id}` });
        await tx.updateTable('reminders').set({ state: 'sent', via: decision.via, outbox_id: outboxId ?? null, decided_at: now }).where('id', '=', r.id).execute();
        await recordAudit(tx, { actor: SYSTEM('reminders'), action: 'reminder.sent', patientId: r.patient_id, target: `reminder:${r.id}`, details: { via: decision.via }, at: now });
        queued++;
      }
      return { queued, claimed: due.length };
    });
    if (sent.queued > 0) this.d.onQueued();
    return sent.claimed;
  }

  private async decide(tx: Tx, r: Due, now: Date): Promise<Decision> {
    const a = await getAppointment(tx, { keys: this.d.keys }, r.appointment_id);
    if (!a) return { kind: 'skip', state: 'cancelled', reason: 'appointment_gone' };
    if (a.state !== 'booked' && a.state !== 'confirmed') return { kind: 'skip', state: 'cancelled', reason: `appointment_${a.state}` };
    if (a.start.getTime() - now.getTime() < TOO_LATE_MS) return { kind: 'skip', state: 'skipped', reason: 'too_late' };
    const later = await tx.selectFrom('reminders').select('id')
      .where('appointment_id', '=', r.appointment_id).where('state', '=', 'scheduled').where('due_at', '<=', now).where('due_at', '>', r.due_at)
      .executeTakeFirst();
    if (later) return { kind: 'skip', state: 'skipped', reason: 'superseded' };
    const p = await tx.selectFrom('patients as p').innerJoin('clinics as c', (j) => j.on('c.id', '=', a.clinicId))
      .select(['p.opted_out_at', 'p.last_inbound_at', 'p.language', 'c.default_language', 'c.name as clinic'])
      .where('p.id', '=', r.patient_id).executeTakeFirst();
    if (!p) return { kind: 'skip', state: 'cancelled', reason: 'patient_gone' };
    if (p.opted_out_at !== null) return { kind: 'skip', state: 'skipped', reason: 'opted_out' };
    const loc = await tx.selectFrom('locations').select('time_zone').where('id', '=', a.locationId).executeTakeFirstOrThrow();
    const settings = await reminderSettings(tx, a.clinicId);
    const free = afterQuiet(settings.quietHours, loc.time_zone, now);
    if (free.getTime() > now.getTime()) {
      return free.getTime() + QUIET_MARGIN_MS <= a.start.getTime() ? { kind: 'later', at: free } : { kind: 'skip', state: 'skipped', reason: 'quiet_hours' };
    }
    const tag = p.language?.toLowerCase().split(/[-_]/)[0];
    const language: Language = isLanguage(tag) ? tag : isLanguage(p.default_language) ? p.default_language : 'en';
    const t = translator(language, loc.time_zone);
    const view = await appointmentView(tx, a, language, p.default_language);
    if (inCustomerWindow(p.last_inbound_at, now)) {
      return {
        kind: 'send', via: 'message',
        message: replyButtons({
          body: `${t('booking.reminderBody')}\n\n${appointmentDetails(t, view)}`.slice(0, 1024),
          buttons: [
            { id: `booking:confirm:${a.id}`, title: t('booking.confirmButton') },
            { id: `booking:resched:${a.id}`, title: t('booking.rescheduleButton') },
            { id: `booking:cancel:${a.id}`, title: t('booking.cancelButton') },
          ],
        }),
      };
    }
    const def = TEMPLATES.appointmentReminder;
    const gate = await templateGate(tx, { name: def.name, language, now, retryMs: TEMPLATE_RETRY_MS, canWaitUntil: (at) => at.getTime() + TOO_LATE_MS < a.start.getTime() });
    if (gate.kind === 'later') return gate;
    if (gate.kind === 'unusable') return { kind: 'skip', state: 'skipped', reason: gate.reason };
    const place = view.mode === 'video' ? (view.videoUrl ?? t('booking.videoLater')) : (view.address ?? '');
    return {
      kind: 'send', via: 'template',
      message: templateMessage(def, language, {
        clinic: p.clinic, service: view.serviceName, when: formatWhen(a.start, language, loc.time_zone), practitioner: view.practitionerName, place,
      }, a.id),
    };
  }
}
