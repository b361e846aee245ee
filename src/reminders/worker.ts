// Sends due reminders, each exactly once, also across instances and crashes: a tick claims due rows with
// FOR UPDATE SKIP LOCKED and, in the same transaction, queues the message in the outbox (idempotency key
// `reminder:<id>`) and marks the row sent, or skipped with why. The outbox and the sender do the rest
// (pacing, retries, statuses; the sender refuses a care message to a patient who opted out, again).
//
// Set-based (issue 15: 100,000 due in one minute): a tick claims up to BATCH rows and reads what it needs
// for all of them at once (appointments, patients and clinics, locations, settings, views, keys, template
// statuses), decides each in memory, then writes in bulk: one INSERT into the outbox, one UPDATE per kind of
// outcome, one audit append (the audit chain's lock is taken last, so it is held only until the commit).
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
import { sql } from 'kysely';
import type { KeyRing } from '../compliance/keys.js';
import type { Cipher } from '../compliance/crypto.js';
import { recordAudit, SYSTEM, type AuditEvent } from '../compliance/index.js';
import type { Db, Tx } from '../db/database.js';
import { appointmentDetails } from '../flows/booking/format.js';
import { formatWhen, translator } from '../flows/i18n.js';
import type { Clock } from '../lib/clock.js';
import { isLanguage, type Language } from '../nlu/types.js';
import { appointmentViews } from '../scheduling/appointment-view.js';
import { getAppointments, type Appointment } from '../scheduling/appointments.js';
import { enqueueMany, type Enqueueable } from '../whatsapp/outbox.js';
import { replyButtons, type OutboundMessage } from '../whatsapp/outbound.js';
import { inCustomerWindow, releaseTemplateWaits, templateGate, templateStatus, type TemplateGate } from '../whatsapp/template-sync.js';
import { templateMessage, TEMPLATES } from '../whatsapp/templates.js';
import { afterQuiet } from './times.js';
import { reminderSettingsOf } from './repo.js';

/** Reminders claimed per tick: a full one means more are due, and the loop goes on at once (index.ts). */
export const BATCH = 500;
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
  /** Reminders claimed per tick (default BATCH). */
  batchSize?: number;
  /**
   * Decide no more while this many messages already wait in the outbox for the sender (default: none: no
   * limit). See tick().
   */
  queueAhead?: number;
}

interface Due {
  id: string;
  appointment_id: string;
  patient_id: string;
  due_at: Date;
}

interface PatientRow {
  id: string;
  opted_out_at: Date | null;
  last_inbound_at: Date | null;
  language: string | null;
  wa_id_sealed: Uint8Array | null;
  bsuid_sealed: Uint8Array | null;
}

type Decision =
  | { kind: 'send'; message: OutboundMessage; via: 'template' | 'message' }
  | { kind: 'skip'; state: 'skipped' | 'cancelled'; reason: string }
  /** `reason`: the template it waits for (released when approved, releaseTemplateWaits); none for quiet hours. */
  | { kind: 'later'; at: Date; reason?: string };

/** What a reminder needs to be decided, read for the whole batch. */
interface Context {
  appointments: Map<string, Appointment>;
  /** Appointment id → the latest due_at among its scheduled reminders already due. */
  latestDue: Map<string, number>;
  patients: Map<string, PatientRow>;
  clinics: Map<string, { default_language: string; name: string }>;
  zones: Map<string, string>;
  settings: Awaited<ReturnType<typeof reminderSettingsOf>>;
  ciphers: Map<string, Cipher>;
}

export class ReminderWorker {
  constructor(private readonly d: ReminderWorkerDeps) {}

  get batchSize(): number {
    return this.d.batchSize ?? BATCH;
  }

  /**
   * Whether `queueAhead` messages already wait for the sender (the loop then decides no more for a moment).
   * Deciding faster than the number's throughput only moves reminders into the outbox early: decided just
   * before they can leave, they see a cancellation, a move or an opt-out of the last minutes, and the process
   * does not hold a whole burst's work at once.
   */
  async ahead(): Promise<boolean> {
    if (this.d.queueAhead === undefined) return false;
    const waiting = await sql<{ n: number }>`select count(*)::int as n from (select 1 from outbox where state = 'pending' and kind <> 'read' limit ${this.d.queueAhead}) q`.execute(this.d.db);
    return (waiting.rows[0]?.n ?? 0) >= this.d.queueAhead;
  }

  /** Decides up to a batch of due reminders; returns how many it claimed. */
  async tick(): Promise<number> {
    const sent = await this.d.db.transaction().execute(async (tx) => {
      const now = this.d.clock.now();
      // Reminders held for a template approved since are due now, not at their retry.
      await releaseTemplateWaits(tx, 'reminders', now);
      // By due_at alone: the partial index reminders_due gives that order, and the LIMIT stops the walk. A
      // tie-break on id would sort every due row first (100,000 due in one minute: 150 ms per batch).
      const due = await tx.selectFrom('reminders').select(['id', 'appointment_id', 'patient_id', 'due_at'])
        .where('state', '=', 'scheduled').where('due_at', '<=', now)
        .orderBy('due_at').limit(this.batchSize)
        .forUpdate().skipLocked().execute();
      if (due.length === 0) return { queued: 0, claimed: 0 };
      const ctx = await this.context(tx, due, now);
      const decisions = await this.decideAll(tx, due, ctx, now);

      const later: { id: string; at: Date; reason: string | null }[] = [];
      const closed: { id: string; state: 'skipped' | 'cancelled'; reason: string }[] = [];
      const sends: { r: Due; via: 'template' | 'message'; entry: Enqueueable }[] = [];
      const audit: AuditEvent[] = [];
      for (const [i, r] of due.entries()) {
        const decision = decisions[i]!;
        if (decision.kind === 'later') {
          later.push({ id: r.id, at: decision.at, reason: decision.reason ?? null });
          continue;
        }
        if (decision.kind === 'skip') {
          closed.push({ id: r.id, state: decision.state, reason: decision.reason });
          audit.push({ actor: SYSTEM('reminders'), action: `reminder.${decision.state}`, patientId: r.patient_id, target: `reminder:${r.id}`, details: { reason: decision.reason }, at: now });
          continue;
        }
        const p = ctx.patients.get(r.patient_id);
        const own = ctx.ciphers.get(r.patient_id);
        const open = (v: Uint8Array | null) => (v && own ? own.decrypt(v).toString('utf8') : null);
        const to = p ? { phone: open(p.wa_id_sealed), bsuid: open(p.bsuid_sealed) } : null;
        if (!own || !to || (!to.phone && !to.bsuid)) {
          // No audit entry: nothing was decided about the patient, there is no one to send to.
          closed.push({ id: r.id, state: 'skipped', reason: 'no_recipient' });
          continue;
        }
        sends.push({ r, via: decision.via, entry: { cipher: own, to: { patientId: r.patient_id, phone: to.phone, bsuid: to.bsuid }, items: [decision.message], opts: { purpose: 'care', idempotencyKey: `reminder:${r.id}` } } });
        audit.push({ actor: SYSTEM('reminders'), action: 'reminder.sent', patientId: r.patient_id, target: `reminder:${r.id}`, details: { via: decision.via }, at: now });
      }

      const outboxIds = await enqueueMany(tx, sends.map((s) => s.entry));
      if (later.length) {
        await sql`update reminders r set due_at = v.at, reason = v.reason
          from (select unnest(${later.map((l) => l.id)}::uuid[]) as id, unnest(${later.map((l) => l.at)}::timestamptz[]) as at, unnest(${later.map((l) => l.reason)}::text[]) as reason) v
         where r.id = v.id`.execute(tx);
      }
      if (closed.length) {
        await sql`update reminders r set state = v.state, reason = v.reason, decided_at = ${now}
          from (select unnest(${closed.map((c) => c.id)}::uuid[]) as id, unnest(${closed.map((c) => c.state)}::text[]) as state, unnest(${closed.map((c) => c.reason)}::text[]) as reason) v
         where r.id = v.id`.execute(tx);
      }
      if (sends.length) {
        await sql`update reminders r set state = 'sent', via = v.via, outbox_id = v.outbox_id, decided_at = ${now}, reason = null
          from (select unnest(${sends.map((s) => s.r.id)}::uuid[]) as id, unnest(${sends.map((s) => s.via)}::text[]) as via, unnest(${outboxIds.map((ids) => ids[0] ?? null)}::bigint[]) as outbox_id) v
         where r.id = v.id`.execute(tx);
      }
      // Last: the chain's lock is held from here to the commit only.
      await recordAudit(tx, audit);
      return { queued: sends.length, claimed: due.length };
    });
    if (sent.queued > 0) this.d.onQueued();
    return sent.claimed;
  }

  /** Everything the batch's decisions read, a few queries for all of it. */
  private async context(tx: Tx, due: readonly Due[], now: Date): Promise<Context> {
    const patientIds = [...new Set(due.map((r) => r.patient_id))];
    // The patients' keys first, in one read: the appointments' video links and the phone numbers open with them.
    const ciphers = await this.d.keys.forPatients(tx, patientIds);
    const appointments = await getAppointments(tx, { keys: this.d.keys }, due.map((r) => r.appointment_id));
    const appointmentIds = [...appointments.keys()];
    const latest = appointmentIds.length
      ? await tx.selectFrom('reminders').select(['appointment_id', (eb) => eb.fn.max('due_at').as('due_at')])
        .where('appointment_id', 'in', appointmentIds).where('state', '=', 'scheduled').where('due_at', '<=', now)
        .groupBy('appointment_id').execute()
      : [];
    const patients = await tx.selectFrom('patients').select(['id', 'opted_out_at', 'last_inbound_at', 'language', 'wa_id_sealed', 'bsuid_sealed']).where('id', 'in', patientIds).execute();
    const list = [...appointments.values()];
    const clinicIds = [...new Set(list.map((a) => a.clinicId))];
    const locationIds = [...new Set(list.map((a) => a.locationId))];
    const clinics = clinicIds.length ? await tx.selectFrom('clinics').select(['id', 'default_language', 'name']).where('id', 'in', clinicIds).execute() : [];
    const locations = locationIds.length ? await tx.selectFrom('locations').select(['id', 'time_zone']).where('id', 'in', locationIds).execute() : [];
    return {
      appointments,
      latestDue: new Map(latest.map((l) => [l.appointment_id, new Date(l.due_at).getTime()])),
      patients: new Map(patients.map((p) => [p.id, p])),
      clinics: new Map(clinics.map((c) => [c.id, c])),
      zones: new Map(locations.map((l) => [l.id, l.time_zone])),
      settings: await reminderSettingsOf(tx, clinicIds),
      ciphers,
    };
  }

  /** Each reminder's decision, in order, by the rules of the header. */
  private async decideAll(tx: Tx, due: readonly Due[], ctx: Context, now: Date): Promise<Decision[]> {
    const out: (Decision | null)[] = [];
    /** Reminders that got as far as their message: their view is read for all of them at once. */
    const pending: { i: number; a: Appointment; language: Language; defaultLanguage: string; zone: string; clinic: string; window: boolean }[] = [];
    for (const r of due) {
      const a = ctx.appointments.get(r.appointment_id);
      const first = this.check(r, a, ctx, now);
      if (first) {
        out.push(first);
        continue;
      }
      const p = ctx.patients.get(r.patient_id)!;
      const c = ctx.clinics.get(a!.clinicId)!;
      const tag = p.language?.toLowerCase().split(/[-_]/)[0];
      const language: Language = isLanguage(tag) ? tag : isLanguage(c.default_language) ? c.default_language : 'en';
      pending.push({ i: out.length, a: a!, language, defaultLanguage: c.default_language, zone: ctx.zones.get(a!.locationId)!, clinic: c.name, window: inCustomerWindow(p.last_inbound_at, now) });
      out.push(null);
    }
    const views = await appointmentViews(tx, pending.map((x) => ({ a: x.a, language: x.language, defaultLanguage: x.defaultLanguage })));
    // A template's status is read once per language (and its gate taken per reminder only when not approved:
    // whether it may wait depends on the appointment's start).
    const statuses = new Map<Language, Awaited<ReturnType<typeof templateStatus>>>();
    const def = TEMPLATES.appointmentReminder;
    for (const [k, x] of pending.entries()) {
      const view = views[k]!;
      const t = translator(x.language, x.zone);
      if (x.window) {
        out[x.i] = {
          kind: 'send', via: 'message',
          message: replyButtons({
            body: `${t('booking.reminderBody')}\n\n${appointmentDetails(t, view)}`.slice(0, 1024),
            buttons: [
              { id: `booking:confirm:${x.a.id}`, title: t('booking.confirmButton') },
              { id: `booking:resched:${x.a.id}`, title: t('booking.rescheduleButton') },
              { id: `booking:cancel:${x.a.id}`, title: t('booking.cancelButton') },
            ],
          }),
        };
        continue;
      }
      let status = statuses.get(x.language);
      if (status === undefined) {
        status = await templateStatus(tx, def.name, x.language);
        statuses.set(x.language, status);
      }
      const start = x.a.start.getTime();
      const gate: TemplateGate = status === 'APPROVED' ? { kind: 'approved' }
        : await templateGate(tx, { name: def.name, language: x.language, now, retryMs: TEMPLATE_RETRY_MS, canWaitUntil: (at) => at.getTime() + TOO_LATE_MS < start });
      if (gate.kind === 'later') {
        out[x.i] = gate;
        continue;
      }
      if (gate.kind === 'unusable') {
        out[x.i] = { kind: 'skip', state: 'skipped', reason: gate.reason };
        continue;
      }
      const place = view.mode === 'video' ? (view.videoUrl ?? t('booking.videoLater')) : (view.address ?? '');
      out[x.i] = {
        kind: 'send', via: 'template',
        message: templateMessage(def, x.language, {
          clinic: x.clinic, service: view.serviceName, when: formatWhen(x.a.start, x.language, x.zone), practitioner: view.practitionerName, place,
        }, x.a.id),
      };
    }
    return out.map((d) => d!);
  }

  /** The rules that need no message: a decision, or null when the reminder goes on to its message. */
  private check(r: Due, a: Appointment | undefined, ctx: Context, now: Date): Decision | null {
    if (!a) return { kind: 'skip', state: 'cancelled', reason: 'appointment_gone' };
    if (a.state !== 'booked' && a.state !== 'confirmed') return { kind: 'skip', state: 'cancelled', reason: `appointment_${a.state}` };
    if (a.start.getTime() - now.getTime() < TOO_LATE_MS) return { kind: 'skip', state: 'skipped', reason: 'too_late' };
    if ((ctx.latestDue.get(a.id) ?? Number.NEGATIVE_INFINITY) > r.due_at.getTime()) return { kind: 'skip', state: 'skipped', reason: 'superseded' };
    const p = ctx.patients.get(r.patient_id);
    if (!p || !ctx.clinics.has(a.clinicId)) return { kind: 'skip', state: 'cancelled', reason: 'patient_gone' };
    if (p.opted_out_at !== null) return { kind: 'skip', state: 'skipped', reason: 'opted_out' };
    const zone = ctx.zones.get(a.locationId);
    if (zone === undefined) throw new Error("a reminder's appointment has no location");
    const settings = ctx.settings.get(a.clinicId)!;
    const free = afterQuiet(settings.quietHours, zone, now);
    if (free.getTime() > now.getTime()) {
      return free.getTime() + QUIET_MARGIN_MS <= a.start.getTime() ? { kind: 'later', at: free } : { kind: 'skip', state: 'skipped', reason: 'quiet_hours' };
    }
    return null;
  }
}
