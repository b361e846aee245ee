// The care-plan worker (a loopWorker, like the reminder worker): per tick, in one transaction each,
//   1. tops up active plans' occurrences to the rolling horizon (unique per plan and instant: no duplicate);
//   2. marks sent doses not answered in 3 hours, and vitals prompts not answered in 12, missed;
//   3. claims due occurrences with FOR UPDATE SKIP LOCKED (two instances never take the same row) and, in the
//      transaction that queues the outbox message (purpose 'care', idempotency key `careplan:<id>`), marks
//      each sent, or skipped/cancelled with why.
// Per occurrence, at send time: the plan stopped → cancelled; the patient opted out → skipped `opted_out`
// (checked here, not only when the plan was made); a dose more than 2 hours late (the instance was down) →
// skipped `too_late`; the patient wrote in the last 24 hours → a free-form message with buttons; else the
// approved template (src/careplans/templates.ts) with quick replies; a template not approved yet is retried
// in 5 minutes while the dose is not too late, rejected/paused/disabled: skipped with a staff alert.
import type { Logger } from 'pino';
import { sql } from 'kysely';
import type { KeyRing } from '../compliance/keys.js';
import type { Cipher } from '../compliance/crypto.js';
import { recordAudit, SYSTEM } from '../compliance/index.js';
import type { Db, Tx } from '../db/database.js';
import type { CarePlanKind } from '../db/schema.js';
import { translator } from '../flows/i18n.js';
import { measureName } from '../flows/careplans/index.js';
import type { Clock } from '../lib/clock.js';
import { isLanguage, type Language } from '../nlu/types.js';
import { patientIdentifiers } from '../patients/index.js';
import { pickText } from '../scheduling/appointment-view.js';
import { enqueue } from '../whatsapp/outbox.js';
import { replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';
import { inCustomerWindow, releaseTemplateWaits, templateGate } from '../whatsapp/template-sync.js';
import { templateMessage, TEMPLATES, type TemplateDefinition } from '../whatsapp/templates.js';
import { materialise, openDetails, TOP_UP_MS, HORIZON_MS, type PlanDetails } from './repo.js';
import { VITALS_OPEN_MS } from './port.js';
import { dateTimeFormat } from '../lib/intl.js';

const BATCH = 50;
const MINUTE = 60_000;
const TOO_LATE_MS = 120 * MINUTE;
export const MISSED_AFTER_MS = 180 * MINUTE;
const TEMPLATE_RETRY_MS = 5 * MINUTE;

export interface CarePlanWorkerDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
  onQueued(): void;
}

interface Due {
  id: string;
  plan_id: string;
  patient_id: string;
  due_at: Date;
}

type Decision =
  | { kind: 'send'; message: OutboundMessage; via: 'template' | 'message' }
  | { kind: 'skip'; state: 'skipped' | 'cancelled'; reason: string }
  | { kind: 'later'; at: Date; reason?: string };

export class CarePlanWorker {
  constructor(private readonly d: CarePlanWorkerDeps) {}

  async tick(): Promise<number> {
    const topped = await this.topUp();
    const missed = await this.markMissed();
    const sent = await this.d.db.transaction().execute(async (tx) => {
      const now = this.d.clock.now();
      // Occurrences held for a template approved since are due now, not at their retry.
      await releaseTemplateWaits(tx, 'care_plan_occurrences', now);
      const due = await tx.selectFrom('care_plan_occurrences').select(['id', 'plan_id', 'patient_id', 'due_at'])
        .where('state', '=', 'scheduled').where('due_at', '<=', now)
        .orderBy('due_at').orderBy('id').limit(BATCH)
        .forUpdate().skipLocked().execute();
      let queued = 0;
      for (const r of due) {
        const decision = await this.decide(tx, r, now);
        if (decision.kind === 'later') {
          await tx.updateTable('care_plan_occurrences').set({ due_at: decision.at, reason: decision.reason ?? null }).where('id', '=', r.id).execute();
          continue;
        }
        if (decision.kind === 'skip') {
          await tx.updateTable('care_plan_occurrences').set({ state: decision.state, reason: decision.reason }).where('id', '=', r.id).execute();
          await recordAudit(tx, { actor: SYSTEM('careplans'), action: `careplan.${decision.state}`, patientId: r.patient_id, target: `careplan-occurrence:${r.id}`, details: { reason: decision.reason }, at: now });
          continue;
        }
        const to = await patientIdentifiers(tx, { cipher: this.d.cipher, keys: this.d.keys }, r.patient_id);
        if (!to || (!to.phone && !to.bsuid)) {
          await tx.updateTable('care_plan_occurrences').set({ state: 'skipped', reason: 'no_recipient' }).where('id', '=', r.id).execute();
          continue;
        }
        const own = await this.d.keys.forPatient(tx, r.patient_id);
        const [outboxId] = await enqueue(tx, own, { patientId: r.patient_id, phone: to.phone, bsuid: to.bsuid }, [decision.message], { purpose: 'care', idempotencyKey: `careplan:${r.id}` });
        await tx.updateTable('care_plan_occurrences').set({ state: 'sent', via: decision.via, outbox_id: outboxId ?? null, sent_at: now, reason: null }).where('id', '=', r.id).execute();
        await recordAudit(tx, { actor: SYSTEM('careplans'), action: 'careplan.sent', patientId: r.patient_id, target: `careplan-occurrence:${r.id}`, details: { via: decision.via }, at: now });
        queued++;
      }
      return { queued, claimed: due.length };
    });
    if (sent.queued > 0) this.d.onQueued();
    return sent.claimed + topped + missed;
  }

  /** Active plans whose occurrences run out within a day: materialised to the horizon again. */
  private async topUp(): Promise<number> {
    return this.d.db.transaction().execute(async (tx) => {
      const now = this.d.clock.now();
      const plans = await tx.selectFrom('care_plans').select(['id', 'patient_id', 'kind', 'rrule', 'dtstart_local', 'time_zone', 'scheduled_until', 'active'])
        .where('active', '=', true)
        .where((eb) => eb.or([eb('scheduled_until', 'is', null), eb('scheduled_until', '<', new Date(now.getTime() + HORIZON_MS - TOP_UP_MS))]))
        .orderBy('scheduled_until').limit(20).forUpdate().skipLocked().execute();
      for (const p of plans) await materialise(tx, p, now);
      return plans.length;
    });
  }

  /** Doses and prompts sent and never answered. Locked rows (being answered right now) wait for the next tick. */
  private async markMissed(): Promise<number> {
    const now = this.d.clock.now();
    const r = await sql<{ id: string }>`
      update care_plan_occurrences set state = 'missed', reason = 'no_answer'
       where id in (
         select o.id from care_plan_occurrences o join care_plans p on p.id = o.plan_id
          where o.state = 'sent' and (
                (p.kind = 'medication' and o.sent_at < ${new Date(now.getTime() - MISSED_AFTER_MS)})
             or (p.kind = 'vitals' and o.sent_at < ${new Date(now.getTime() - VITALS_OPEN_MS)}))
          limit 200 for update of o skip locked)
      returning id`.execute(this.d.db);
    return r.rows.length;
  }

  private async decide(tx: Tx, r: Due, now: Date): Promise<Decision> {
    const plan = await tx.selectFrom('care_plans').select(['kind', 'details', 'active', 'time_zone']).where('id', '=', r.plan_id).executeTakeFirst();
    if (!plan || !plan.active) return { kind: 'skip', state: 'cancelled', reason: 'plan_stopped' };
    const p = await tx.selectFrom('patients').select(['opted_out_at', 'last_inbound_at', 'language']).where('id', '=', r.patient_id).executeTakeFirst();
    if (!p) return { kind: 'skip', state: 'cancelled', reason: 'patient_gone' };
    if (p.opted_out_at !== null) return { kind: 'skip', state: 'skipped', reason: 'opted_out' };
    if (plan.kind === 'medication' && now.getTime() - r.due_at.getTime() > TOO_LATE_MS) return { kind: 'skip', state: 'skipped', reason: 'too_late' };
    const clinic = await tx.selectFrom('clinics').select(['id', 'name', 'default_language']).orderBy('created_at').orderBy('id').executeTakeFirst();
    const tag = p.language?.toLowerCase().split(/[-_]/)[0];
    const language: Language = isLanguage(tag) ? tag : isLanguage(clinic?.default_language) ? clinic.default_language : 'en';
    const t = translator(language, plan.time_zone);
    const details = await openDetails(tx, this.d.keys, r.patient_id, plan.details);
    const serviceName = plan.kind === 'follow_up' ? await this.serviceName(tx, details, language, clinic?.default_language ?? 'en') : '';
    if (inCustomerWindow(p.last_inbound_at, now)) return { kind: 'send', via: 'message', message: freeForm(plan.kind, t, details, r.id, clinic?.name ?? '', serviceName) };

    const def: TemplateDefinition = plan.kind === 'medication' ? TEMPLATES.medicationReminder : plan.kind === 'follow_up' ? TEMPLATES.followUp : TEMPLATES.vitalsPrompt;
    const gate = await templateGate(tx, { name: def.name, language, now, retryMs: TEMPLATE_RETRY_MS, canWaitUntil: (at) => at.getTime() - r.due_at.getTime() < TOO_LATE_MS });
    if (gate.kind === 'later') return gate;
    if (gate.kind === 'unusable') return { kind: 'skip', state: 'skipped', reason: gate.reason };
    const time = dateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: plan.time_zone }).format(r.due_at);
    const values: Record<CarePlanKind, Record<string, string>> = {
      medication: { medicine: details.medicine ?? '', dose: details.dose ?? '', time },
      follow_up: { clinic: clinic?.name ?? '', service: serviceName },
      vitals: { clinic: clinic?.name ?? '', measure: details.measure ? measureName({ t }, details.measure) : '' },
    };
    // Medication quick replies carry the occurrence (`taken:<id>`); the follow-up's Book, the service's code.
    const subject = plan.kind === 'follow_up' ? (details.service ?? '') : r.id;
    return { kind: 'send', via: 'template', message: templateMessage(def, language, values[plan.kind], subject) };
  }

  private async serviceName(tx: Tx, details: PlanDetails, language: string, fallback: string): Promise<string> {
    if (!details.service) return '';
    const s = await tx.selectFrom('services').select('name').where('code', '=', details.service).executeTakeFirst();
    return (s ? pickText(s.name, language, fallback) : null) ?? details.service;
  }
}

type T = (key: string, vars?: Record<string, unknown>) => string;

/** The message inside the 24-hour window: buttons of the care-plans flow (or the booking flow's). */
function freeForm(kind: CarePlanKind, t: T, details: PlanDetails, occurrenceId: string, clinic: string, serviceName: string): OutboundMessage {
  if (kind === 'medication') {
    return replyButtons({
      body: t('careplans.medicationBody', { medicine: details.medicine ?? '', dose: details.dose ?? '' }).slice(0, 1024),
      buttons: [{ id: `careplans:taken:${occurrenceId}`, title: t('careplans.takenButton') }, { id: `careplans:snooze:${occurrenceId}`, title: t('careplans.snoozeButton') }],
    });
  }
  if (kind === 'follow_up') {
    return replyButtons({
      body: t('careplans.followUpBody', { clinic, service: serviceName }).slice(0, 1024),
      buttons: [{ id: `booking:start:${details.service ?? ''}`, title: t('careplans.bookButton') }],
    });
  }
  return text(t('careplans.vitalsPrompt', { measure: details.measure ? measureName({ t }, details.measure) : '' }));
}
