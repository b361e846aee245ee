// The care-plans flow's view of care plans (CarePlansPort, src/conversation/flow.ts), bound to one patient
// and one message's transaction: the open vitals prompt, and the answers (taken, snoozed, a reading), each
// the patient's own occurrence, locked, decided once, audited with the patient as actor. The row lock is
// taken before the audit chain's (the care-plan worker claims with SKIP LOCKED, then audits).
import { recordAudit } from '../compliance/audit.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Tx } from '../db/database.js';
import type { CareAnswer, CarePlansPort, OpenVitalsPrompt, RecordedReading, VitalsReading } from '../conversation/flow.js';
import { insertObservation, openDetails } from './repo.js';
import { interpret } from './vitals.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A vitals prompt is answered by a reading within this long of its sending. */
export const VITALS_OPEN_MS = 12 * 3_600_000;
export const SNOOZE_MS = 30 * 60_000;
export const MAX_SNOOZES = 2;

export function carePlansPort(tx: Tx, d: { keys: KeyRing }, o: { patientId: string; now: Date }): CarePlansPort {
  const { patientId, now } = o;
  const audit = (action: string, occurrenceId: string, details?: Record<string, string | number>) =>
    recordAudit(tx, { actor: { type: 'patient', id: patientId }, action, patientId, target: `careplan-occurrence:${occurrenceId}`, at: now, ...(details ? { details } : {}) });

  /** The patient's own occurrence with its plan, locked, or null. */
  async function own(id: string) {
    if (!UUID.test(id)) return null;
    const r = await tx.selectFrom('care_plan_occurrences as o').innerJoin('care_plans as p', 'p.id', 'o.plan_id')
      .select(['o.id', 'o.plan_id', 'o.state', 'o.snoozes', 'o.sent_at', 'p.kind', 'p.details', 'p.threshold_low', 'p.threshold_high', 'p.threshold_unit'])
      .where('o.id', '=', id).where('o.patient_id', '=', patientId)
      .forUpdate('o').executeTakeFirst();
    return r ?? null;
  }

  async function medication(id: string): Promise<{ ok: false; code: 'not_found' | 'already_answered' } | { ok: true; row: NonNullable<Awaited<ReturnType<typeof own>>>; medicine: string; dose: string }> {
    const r = await own(id);
    if (!r || r.kind !== 'medication') return { ok: false, code: 'not_found' };
    // A late Taken on a dose already marked missed still counts: the patient says they took it.
    if (r.state !== 'sent' && r.state !== 'missed') return { ok: false, code: 'already_answered' };
    const details = await openDetails(tx, d.keys, patientId, r.details);
    return { ok: true, row: r, medicine: details.medicine ?? '', dose: details.dose ?? '' };
  }

  return {
    async openVitalsPrompt(): Promise<OpenVitalsPrompt | null> {
      const r = await tx.selectFrom('care_plan_occurrences as o').innerJoin('care_plans as p', 'p.id', 'o.plan_id')
        .select(['o.id', 'p.details'])
        .where('o.patient_id', '=', patientId).where('o.state', '=', 'sent').where('p.kind', '=', 'vitals')
        .where('o.sent_at', '>', new Date(now.getTime() - VITALS_OPEN_MS))
        .orderBy('o.sent_at', 'desc').orderBy('o.id').limit(1).executeTakeFirst();
      if (!r) return null;
      const details = await openDetails(tx, d.keys, patientId, r.details);
      return details.measure ? { occurrenceId: r.id, measure: details.measure } : null;
    },

    async taken(id): Promise<CareAnswer> {
      const m = await medication(id);
      if (!m.ok) return m;
      await tx.updateTable('care_plan_occurrences').set({ state: 'taken', answered_at: now }).where('id', '=', m.row.id).execute();
      await audit('careplan.taken', m.row.id);
      return { ok: true, medicine: m.medicine, dose: m.dose };
    },

    async snooze(id): Promise<CareAnswer> {
      const m = await medication(id);
      if (!m.ok) return m;
      if (m.row.state !== 'sent') return { ok: false, code: 'already_answered' };
      if (m.row.snoozes >= MAX_SNOOZES) return { ok: false, code: 'snooze_limit' };
      const until = new Date(now.getTime() + SNOOZE_MS);
      await tx.updateTable('care_plan_occurrences').set({ state: 'snoozed', answered_at: now }).where('id', '=', m.row.id).execute();
      await tx.insertInto('care_plan_occurrences').values({ plan_id: m.row.plan_id, patient_id: patientId, due_at: until, snoozes: m.row.snoozes + 1, created_at: now })
        .onConflict((oc) => oc.columns(['plan_id', 'due_at']).doNothing()).execute();
      await audit('careplan.snoozed', m.row.id, { snoozes: m.row.snoozes + 1 });
      return { ok: true, medicine: m.medicine, dose: m.dose, until };
    },

    async recordReading(id, reading: VitalsReading): Promise<RecordedReading> {
      const r = await own(id);
      if (!r || r.kind !== 'vitals') return { ok: false, code: 'not_found' };
      if (r.state !== 'sent') return { ok: false, code: 'already_answered' };
      const interpretation = interpret(reading, r.threshold_unit ? { low: r.threshold_low, high: r.threshold_high, unit: r.threshold_unit } : null);
      await insertObservation(tx, d.keys, { patientId, planId: r.plan_id, occurrenceId: r.id, reading, interpretation, source: 'whatsapp', effectiveAt: now, now });
      await tx.updateTable('care_plan_occurrences').set({ state: 'answered', answered_at: now }).where('id', '=', r.id).execute();
      await audit('careplan.observation', r.id, { code: reading.code, interpretation });
      return { ok: true, interpretation };
    },
  };
}
