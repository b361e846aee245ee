// Care plans as rows: a plan (its details sealed with the patient's key), its occurrences materialised a
// rolling horizon ahead (unique per plan and instant: a top-up never duplicates), the patient's observations
// and the adherence staff see. Repository functions take the caller's transaction (STYLE.md 10).
import { sql } from 'kysely';
import { z } from 'zod';
import type { KeyRing } from '../compliance/keys.js';
import type { DbOrTx } from '../db/database.js';
import type { CarePlanKind, CarePlanStopReason, OccurrenceState } from '../db/schema.js';
import { lastOf, nextAfter, occurrences } from './schedule.js';
import { MEASURES, type Interpretation, type Measure, type Reading, type StoredObservation, type Thresholds } from './vitals.js';

/** How far ahead occurrences exist; the worker tops up a plan a day before it runs out. */
export const HORIZON_MS = 14 * 86_400_000;
export const TOP_UP_MS = 86_400_000;

export const detailsSchema = z.object({
  /** Medication: what and how much ("Metformin", "500 mg"). */
  medicine: z.string().trim().min(1).max(120).optional(),
  dose: z.string().trim().max(60).optional(),
  /** Follow-up: the service to book, by its code ('general-consultation'). */
  service: z.string().trim().min(1).max(80).optional(),
  /** Vitals: what to measure. */
  measure: z.enum(MEASURES).optional(),
});
export type PlanDetails = z.infer<typeof detailsSchema>;

export interface PlanRow {
  id: string;
  patient_id: string;
  kind: CarePlanKind;
  rrule: string;
  dtstart_local: string;
  time_zone: string;
  scheduled_until: Date | null;
  active: boolean;
}

export async function openDetails(db: DbOrTx, keys: KeyRing, patientId: string, sealed: Uint8Array): Promise<PlanDetails> {
  return detailsSchema.parse((await keys.forPatient(db, patientId)).decryptJson(sealed));
}

/** Creates the plan's occurrences from where they stop (or now) to the horizon; returns how many are new. */
export async function materialise(tx: DbOrTx, plan: PlanRow, now: Date): Promise<number> {
  if (!plan.active) return 0;
  const until = new Date(now.getTime() + HORIZON_MS);
  const from = plan.scheduled_until && plan.scheduled_until > now ? plan.scheduled_until : now;
  const due = occurrences({ rrule: plan.rrule, dtstartLocal: plan.dtstart_local, zone: plan.time_zone }, from, until);
  let added = 0;
  if (due.length > 0) {
    const r = await tx.insertInto('care_plan_occurrences')
      .values(due.map((d) => ({ plan_id: plan.id, patient_id: plan.patient_id, due_at: d, created_at: now })))
      .onConflict((oc) => oc.columns(['plan_id', 'due_at']).doNothing())
      .executeTakeFirst();
    added = Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  await tx.updateTable('care_plans').set({ scheduled_until: until }).where('id', '=', plan.id).execute();
  return added;
}

/** Stops a plan: no occurrence to come is sent (they are cancelled, with why), in the caller's transaction. */
export async function stopPlan(tx: DbOrTx, planId: string, now: Date, by?: { userId: string | null; reason: CarePlanStopReason | null }): Promise<number> {
  await tx.updateTable('care_plans').set({ active: false, updated_at: now, stopped_at: now, stopped_by: by?.userId ?? null, stop_reason: by?.reason ?? null }).where('id', '=', planId).execute();
  const r = await tx.updateTable('care_plan_occurrences').set({ state: 'cancelled', reason: 'plan_stopped' })
    .where('plan_id', '=', planId).where('state', '=', 'scheduled').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export interface PlanView {
  id: string;
  patientId: string;
  kind: CarePlanKind;
  details: PlanDetails;
  rrule: string;
  dtstart: string;
  timeZone: string;
  thresholds: { low: number | null; high: number | null; unit: string } | null;
  active: boolean;
  /** active; stopped by staff; finished: its schedule (COUNT or UNTIL) has nothing more to come. */
  state: 'active' | 'stopped' | 'finished';
  stoppedAt: string | null;
  stopReason: CarePlanStopReason | null;
  createdAt: string;
  /** The next occurrences materialised (at most 3). */
  next: string[];
  /** The next time it is due, even beyond the materialised horizon (a follow-up in 3 months); null: none. */
  nextDue: string | null;
  /** The last time it is due when the rule ends (COUNT or UNTIL); null: it runs until stopped. */
  lastDue: string | null;
}

export async function plansOf(db: DbOrTx, keys: KeyRing, patientId: string, now: Date, onlyId?: string): Promise<PlanView[]> {
  let q = db.selectFrom('care_plans').selectAll().where('patient_id', '=', patientId);
  if (onlyId) q = q.where('id', '=', onlyId);
  const rows = await q.orderBy('created_at').orderBy('id').execute();
  const out: PlanView[] = [];
  for (const r of rows) {
    const next = await db.selectFrom('care_plan_occurrences').select('due_at').where('plan_id', '=', r.id).where('state', '=', 'scheduled').orderBy('due_at').limit(3).execute();
    const schedule = { rrule: r.rrule, dtstartLocal: r.dtstart_local, zone: r.time_zone };
    const nextDue = next[0]?.due_at ?? (r.active ? nextAfter(schedule, r.scheduled_until && r.scheduled_until > now ? r.scheduled_until : now) : null);
    out.push({
      id: r.id, patientId: r.patient_id, kind: r.kind, details: await openDetails(db, keys, r.patient_id, r.details), rrule: r.rrule, dtstart: r.dtstart_local, timeZone: r.time_zone,
      thresholds: r.threshold_unit ? { low: r.threshold_low, high: r.threshold_high, unit: r.threshold_unit } : null,
      active: r.active, state: !r.active ? 'stopped' : nextDue === null ? 'finished' : 'active',
      stoppedAt: r.stopped_at?.toISOString() ?? null, stopReason: r.stop_reason,
      createdAt: r.created_at.toISOString(), next: next.map((n) => n.due_at.toISOString()),
      nextDue: nextDue?.toISOString() ?? null, lastDue: lastOf(schedule)?.toISOString() ?? null,
    });
  }
  return out;
}

/** The thresholds of the patient's active vitals plan for `measure` (the newest), with its id, or null. */
export async function vitalsPlanFor(db: DbOrTx, keys: KeyRing, patientId: string, measure: Measure): Promise<{ planId: string; thresholds: Thresholds | null } | null> {
  const rows = await db.selectFrom('care_plans').select(['id', 'details', 'threshold_low', 'threshold_high', 'threshold_unit'])
    .where('patient_id', '=', patientId).where('kind', '=', 'vitals').where('active', '=', true)
    .orderBy('created_at', 'desc').orderBy('id').execute();
  for (const r of rows) {
    // The measure is in the sealed details: opened per plan (a patient has a handful).
    if ((await openDetails(db, keys, patientId, r.details)).measure !== measure) continue;
    return { planId: r.id, thresholds: r.threshold_unit ? { low: r.threshold_low, high: r.threshold_high, unit: r.threshold_unit } : null };
  }
  return null;
}

/**
 * Stores a reading as an observation, its value sealed with the patient's key: the patient's answer to a
 * vitals prompt (source 'whatsapp', with the occurrence) or staff's entry (source 'staff'). The one place
 * observations are written, so that both paths store the same shape.
 */
export async function insertObservation(tx: DbOrTx, keys: KeyRing, o: {
  patientId: string; planId: string | null; occurrenceId: string | null; reading: Reading; interpretation: Interpretation | null;
  source: 'whatsapp' | 'staff'; effectiveAt: Date; now: Date;
}): Promise<string> {
  const r = o.reading;
  const sealed = (await keys.forPatient(tx, o.patientId)).encryptJson(r.systolic !== undefined ? { systolic: r.systolic, diastolic: r.diastolic } : { value: r.value });
  const row = await tx.insertInto('observations').values({
    patient_id: o.patientId, plan_id: o.planId, occurrence_id: o.occurrenceId, code: r.code, value: sealed, unit: r.unit,
    effective_at: o.effectiveAt, source: o.source, interpretation: o.interpretation, created_at: o.now,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function observationsOf(db: DbOrTx, keys: KeyRing, patientId: string): Promise<StoredObservation[]> {
  const rows = await db.selectFrom('observations').select(['id', 'patient_id', 'plan_id', 'code', 'unit', 'value', 'effective_at', 'interpretation', 'source'])
    .where('patient_id', '=', patientId).orderBy('effective_at', 'desc').orderBy('id').limit(500).execute();
  if (rows.length === 0) return [];
  const own = await keys.forPatient(db, patientId);
  return rows.map((r) => ({
    id: r.id, patientId: r.patient_id, planId: r.plan_id, code: r.code, unit: r.unit, effectiveAt: r.effective_at, interpretation: r.interpretation, source: r.source,
    value: z.object({ value: z.number().optional(), systolic: z.number().optional(), diastolic: z.number().optional() }).parse(own.decryptJson(r.value)),
  }));
}

export interface Adherence {
  planId: string;
  kind: CarePlanKind;
  sent: number;
  taken: number;
  snoozed: number;
  missed: number;
  answered: number;
  skipped: number;
  /** Doses taken (or prompts answered) over the doses decided (taken + missed; answered + missed), or null. */
  rate: number | null;
}

/** Per plan, its occurrences decided so far (due from `since` on, when given). */
export async function adherenceOf(db: DbOrTx, patientId: string, since?: Date): Promise<Adherence[]> {
  const rows = await sql<{ plan_id: string; kind: CarePlanKind; state: string; n: string }>`
    select o.plan_id, p.kind, o.state, count(*)::text as n
      from care_plan_occurrences o join care_plans p on p.id = o.plan_id
     where o.patient_id = ${patientId} and o.state not in ('scheduled', 'cancelled')
       ${since ? sql`and o.due_at >= ${since}` : sql``}
     group by o.plan_id, p.kind, o.state`.execute(db);
  const plans = await db.selectFrom('care_plans').select(['id', 'kind']).where('patient_id', '=', patientId).orderBy('created_at').orderBy('id').execute();
  return plans.map((p) => {
    const n = (state: string) => Number(rows.rows.find((r) => r.plan_id === p.id && r.state === state)?.n ?? 0);
    const taken = n('taken');
    const missed = n('missed');
    const answered = n('answered');
    const snoozed = n('snoozed');
    const sent = n('sent') + taken + missed + answered + snoozed;
    const good = p.kind === 'vitals' ? answered : taken;
    return { planId: p.id, kind: p.kind, sent, taken, snoozed, missed, answered, skipped: n('skipped'), rate: good + missed === 0 ? null : Math.round((good / (good + missed)) * 1000) / 1000 };
  });
}

export interface OccurrenceView {
  id: string;
  planId: string;
  kind: CarePlanKind;
  dueAt: string;
  state: OccurrenceState;
  /** Why it was skipped or cancelled (opted_out, too_late, plan_stopped…), or no_answer for a missed one. */
  reason: string | null;
  via: 'template' | 'message' | null;
  snoozes: number;
  sentAt: string | null;
  answeredAt: string | null;
}

/** The patient's occurrences already due (doses, prompts, follow-ups), newest first: what staff check adherence by. */
export async function recentOccurrences(db: DbOrTx, patientId: string, o: { now: Date; since?: Date; limit: number }): Promise<OccurrenceView[]> {
  let q = db.selectFrom('care_plan_occurrences as o').innerJoin('care_plans as p', 'p.id', 'o.plan_id')
    .select(['o.id', 'o.plan_id', 'p.kind', 'o.due_at', 'o.state', 'o.reason', 'o.via', 'o.snoozes', 'o.sent_at', 'o.answered_at'])
    .where('o.patient_id', '=', patientId).where('o.due_at', '<=', o.now);
  if (o.since) q = q.where('o.due_at', '>=', o.since);
  const rows = await q.orderBy('o.due_at', 'desc').orderBy('o.id').limit(o.limit).execute();
  return rows.map((r) => ({
    id: r.id, planId: r.plan_id, kind: r.kind, dueAt: r.due_at.toISOString(), state: r.state, reason: r.reason, via: r.via, snoozes: r.snoozes,
    sentAt: r.sent_at?.toISOString() ?? null, answeredAt: r.answered_at?.toISOString() ?? null,
  }));
}
