// The care-plans staff API: plans per patient (admin and clinicians write, reception reads; analysts see
// aggregates only, never a patient's plans), their observations as FHIR R4 Observations, adherence per plan
// and the recent doses. A plan's schedule is checked at entry: a rule that is not RFC 5545, a zone that is
// not IANA, or a local time the zone skips (spring forward) is a 400 naming the field. Staff stop a plan
// (the occurrences to come cancelled in the same transaction, why as a code) and enter readings, read by the
// chat's parser (vitals.ts) and judged and alerted on as the chat's are.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { raiseAlert } from '../conversation/handoff.js';
import { STOP_REASONS } from '../db/migrations/0023-care-plan-stop.js';
import type { Tx } from '../db/database.js';
import { adherenceOf, detailsSchema, insertObservation, materialise, observationsOf, openDetails, plansOf, recentOccurrences, stopPlan, vitalsPlanFor } from './repo.js';
import { checkSchedule } from './schedule.js';
import { fhirObservation, interpret, MEASURE_UNITS, MEASURES, readingOfEntry, type Measure } from './vitals.js';

export const CAREPLANS = 'careplans';

const READ: readonly Role[] = ['admin', 'clinician', 'reception'];
const WRITE: readonly Role[] = ['admin', 'clinician'];

const params = z.object({ id: z.uuid() });
const planParams = z.object({ id: z.uuid(), planId: z.uuid() });
const UNITS = ['mg/dL', 'mmol/L', 'mm[Hg]', 'Cel', '[degF]', 'kg', '[lb_av]', '/min'] as const;
/** The units a measure's thresholds may be given in (blood pressure: the systolic pressure). */
const THRESHOLD_UNITS: Record<Measure, readonly string[]> = MEASURE_UNITS;
const thresholdsSchema = z.object({ low: z.number().nullable().default(null), high: z.number().nullable().default(null), unit: z.enum(UNITS) })
  .refine((t) => t.low !== null || t.high !== null, { message: 'needs low or high', path: ['high'] })
  .refine((t) => t.low === null || t.high === null || t.low < t.high, { message: 'must be above low', path: ['high'] });

const createSchema = z.object({
  kind: z.enum(['medication', 'follow_up', 'vitals']),
  details: detailsSchema,
  /** RFC 5545 RRULE without DTSTART. */
  rrule: z.string().min(6).max(300),
  /** Local date and time of the first occurrence in `timeZone`: '2027-03-01T08:00'. */
  dtstart: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'must be a local date and time such as 2027-03-01T08:00'),
  /** IANA zone; default the clinic's main location's. */
  timeZone: z.string().min(1).max(64).optional(),
  thresholds: thresholdsSchema.nullable().optional(),
}).superRefine((b, c) => {
  if (b.kind === 'medication' && !b.details.medicine) c.addIssue({ code: 'custom', message: 'a medication plan needs the medicine', path: ['details', 'medicine'] });
  if (b.kind === 'follow_up' && !b.details.service) c.addIssue({ code: 'custom', message: 'a follow-up plan needs the service code', path: ['details', 'service'] });
  if (b.kind === 'vitals' && !b.details.measure) c.addIssue({ code: 'custom', message: 'a vitals plan needs the measure', path: ['details', 'measure'] });
  if (b.kind !== 'vitals' && b.thresholds) c.addIssue({ code: 'custom', message: 'only a vitals plan has thresholds', path: ['thresholds'] });
  if (b.kind === 'vitals' && b.details.measure && b.thresholds && !THRESHOLD_UNITS[b.details.measure].includes(b.thresholds.unit)) {
    c.addIssue({ code: 'custom', message: `must be one of ${THRESHOLD_UNITS[b.details.measure].join(', ')} for ${b.details.measure}`, path: ['thresholds', 'unit'] });
  }
});

const planSchema = z.object({
  id: z.string(), patientId: z.string(), kind: z.enum(['medication', 'follow_up', 'vitals']), details: detailsSchema, rrule: z.string(), dtstart: z.string(), timeZone: z.string(),
  thresholds: z.object({ low: z.number().nullable(), high: z.number().nullable(), unit: z.string() }).nullable(),
  active: z.boolean(), state: z.enum(['active', 'stopped', 'finished']), stoppedAt: z.string().nullable(), stopReason: z.enum(STOP_REASONS).nullable(),
  createdAt: z.string(), next: z.array(z.string()), nextDue: z.string().nullable(), lastDue: z.string().nullable(),
});
/** Why a plan is stopped: a code, never free text (it is stored and audited in the clear). */
const stopSchema = z.object({ reason: z.enum(STOP_REASONS).optional() });
const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(366).optional() });
const occurrenceSchema = z.object({
  id: z.string(), planId: z.string(), kind: z.enum(['medication', 'follow_up', 'vitals']), dueAt: z.string(),
  state: z.enum(['scheduled', 'sent', 'taken', 'snoozed', 'missed', 'answered', 'skipped', 'cancelled']), reason: z.string().nullable(),
  via: z.enum(['template', 'message']).nullable(), snoozes: z.number(), sentAt: z.string().nullable(), answeredAt: z.string().nullable(),
});
const readingSchema = z.object({
  measure: z.enum(MEASURES),
  /** As the patient would write it: "135/85", "5,8", "118 mg/dl", "101 F". */
  text: z.string().trim().min(1).max(60).optional(),
  /** Or a number (blood pressure: the systolic) with its UCUM unit (default: as the chat reads a bare number). */
  value: z.number().finite().optional(),
  unit: z.enum(UNITS).optional(),
  diastolic: z.number().finite().optional(),
  /** When it was measured (default now); never in the future. */
  effectiveAt: z.iso.datetime({ offset: true }).optional(),
  /** The vitals plan it belongs to (its thresholds judge it); default the patient's active plan for the measure. */
  planId: z.uuid().optional(),
}).superRefine((b, c) => {
  if ((b.text === undefined) === (b.value === undefined)) c.addIssue({ code: 'custom', message: 'give either text or value', path: ['text'] });
  if (b.text !== undefined && (b.unit !== undefined || b.diastolic !== undefined)) c.addIssue({ code: 'custom', message: 'the unit goes in the text', path: ['unit'] });
  if (b.value !== undefined && b.measure === 'blood_pressure' && b.diastolic === undefined) c.addIssue({ code: 'custom', message: 'a blood pressure needs the diastolic', path: ['diastolic'] });
  if (b.value !== undefined && b.measure !== 'blood_pressure' && b.diastolic !== undefined) c.addIssue({ code: 'custom', message: 'only a blood pressure has a diastolic', path: ['diastolic'] });
  if (b.unit !== undefined && !MEASURE_UNITS[b.measure].includes(b.unit)) c.addIssue({ code: 'custom', message: `must be one of ${MEASURE_UNITS[b.measure].join(', ')} for ${b.measure}`, path: ['unit'] });
});
/** What a reading should look like, per measure: said in a 400 (never the value that was sent: it is PHI). */
const READING_EXAMPLE: Record<Measure, string> = {
  glucose: '110 mg/dL or 6.1 mmol/L (20 to 800 mg/dL)', blood_pressure: '135/85 (systolic 60 to 260 above diastolic 30 to 160)',
  weight: '72 kg or 160 lb (1 to 400 kg)', temperature: '37.8 or 101 F (30 to 45 °C)', heart_rate: '72 (20 to 250 per minute)',
};
const adherenceSchema = z.object({
  planId: z.string(), kind: z.enum(['medication', 'follow_up', 'vitals']), sent: z.number(), taken: z.number(), snoozed: z.number(), missed: z.number(), answered: z.number(), skipped: z.number(), rate: z.number().nullable(),
});

const invalid = (path: string, message: string) => new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'body', path, message }] });
type StopReason = (typeof STOP_REASONS)[number];
const notFound = () => new AppError('not_found', 404, 'No such patient');

export function carePlanRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  const keys = ctx.keys;
  const patientExists = async (id: string) => (await db.selectFrom('patients').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.post('/patients/:id/care-plans', {
      config: { access: WRITE },
      schema: { summary: 'Give a patient a care plan: medication reminders, a follow-up reminder or vitals prompts on an RFC 5545 schedule', tags: ['careplans'], params, body: createSchema, response: { 201: planSchema } },
    }, async (req, reply) => {
      const b = req.body;
      const now = ctx.clock.now();
      if (!(await patientExists(req.params.id))) throw notFound();
      let zone = b.timeZone;
      if (!zone) {
        const loc = await db.selectFrom('locations').select('time_zone').orderBy('created_at').orderBy('id').executeTakeFirst();
        zone = loc?.time_zone ?? 'UTC';
      }
      const problem = checkSchedule({ rrule: b.rrule, dtstartLocal: b.dtstart, zone });
      if (problem) throw invalid(`/${problem.field}`, problem.message);
      if (b.kind === 'follow_up') {
        const s = await db.selectFrom('services').select('id').where('code', '=', b.details.service ?? '').executeTakeFirst();
        if (!s) throw invalid('/details/service', 'is not the code of one of the clinic\'s services');
      }
      const id = await db.transaction().execute(async (tx) => {
        const sealed = (await keys.forPatient(tx, req.params.id)).encryptJson(b.details);
        const row = await tx.insertInto('care_plans').values({
          patient_id: req.params.id, kind: b.kind, details: sealed, rrule: b.rrule.replace(/^RRULE:/i, '').trim(), dtstart_local: b.dtstart, time_zone: zone,
          threshold_low: b.thresholds?.low ?? null, threshold_high: b.thresholds?.high ?? null, threshold_unit: b.thresholds?.unit ?? null,
          created_by: actorOf(req).id, created_at: now, updated_at: now,
        }).returning(['id', 'patient_id', 'kind', 'rrule', 'dtstart_local', 'time_zone', 'scheduled_until', 'active']).executeTakeFirstOrThrow();
        const n = await materialise(tx, row, now);
        await recordAudit(tx, { actor: actorOf(req), action: 'careplan.create', patientId: req.params.id, target: `careplan:${row.id}`, ip: req.ip, details: { kind: b.kind, occurrences: n } });
        return row.id;
      });
      ctx.wake.wake(CAREPLANS);
      const [plan] = await plansOf(db, keys, req.params.id, now, id);
      return reply.code(201).send(plan!);
    });

    api.get('/patients/:id/care-plans', {
      config: { access: READ },
      schema: { summary: 'A patient\'s care plans, with their next occurrences', tags: ['careplans'], params, response: { 200: z.object({ items: z.array(planSchema) }) } },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      const items = await plansOf(db, keys, req.params.id, ctx.clock.now());
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'careplan.view', patientId: req.params.id, ip: req.ip }));
      return { items };
    });

    /** Stops the plan in `tx` (locked): its occurrences to come cancelled; an already stopped plan is left as it is. */
    const stop = async (tx: Tx, req: FastifyRequest & { params: { id: string; planId: string } }, reason: StopReason | null, now: Date): Promise<boolean> => {
      const row = await tx.selectFrom('care_plans').select(['id', 'patient_id', 'active'])
        .where('id', '=', req.params.planId).where('patient_id', '=', req.params.id).forUpdate().executeTakeFirst();
      if (!row) return false;
      if (!row.active) return true;
      const actor = actorOf(req);
      const n = await stopPlan(tx, row.id, now, { userId: actor.id, reason });
      await recordAudit(tx, { actor, action: 'careplan.stop', patientId: row.patient_id, target: `careplan:${row.id}`, ip: req.ip, details: { cancelled: n, ...(reason ? { reason } : {}) } });
      return true;
    };

    api.post('/patients/:id/care-plans/:planId/stop', {
      config: { access: WRITE },
      schema: {
        summary: 'Stop a care plan: the occurrences to come are cancelled in the same transaction (nothing more is sent); why, as a code, optional. Stopping a stopped plan changes nothing.',
        tags: ['careplans'], params: planParams, body: stopSchema.nullish(), response: { 200: planSchema },
      },
    }, async (req) => {
      const now = ctx.clock.now();
      const done = await db.transaction().execute((tx) => stop(tx, req, req.body?.reason ?? null, now));
      if (!done) throw new AppError('not_found', 404, 'No such care plan');
      const [plan] = await plansOf(db, keys, req.params.id, now, req.params.planId);
      return plan!;
    });

    api.patch('/patients/:id/care-plans/:planId', {
      config: { access: WRITE },
      schema: { summary: 'Stop (active: false, with an optional reason code) or resume a care plan; stopping cancels the occurrences to come', tags: ['careplans'], params: planParams, body: z.object({ active: z.boolean(), reason: z.enum(STOP_REASONS).optional() }), response: { 200: planSchema } },
    }, async (req) => {
      const now = ctx.clock.now();
      const done = await db.transaction().execute(async (tx) => {
        if (!req.body.active) return stop(tx, req, req.body.reason ?? null, now);
        const row = await tx.selectFrom('care_plans').select(['id', 'patient_id', 'kind', 'rrule', 'dtstart_local', 'time_zone', 'scheduled_until', 'active'])
          .where('id', '=', req.params.planId).where('patient_id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!row) return false;
        if (!row.active) {
          await tx.updateTable('care_plans').set({ active: true, scheduled_until: null, stopped_at: null, stopped_by: null, stop_reason: null, updated_at: now }).where('id', '=', row.id).execute();
          // The stop's cancelled occurrences still to come hold their (plan, instant) slot: scheduled again,
          // else the top-up below could not re-create them (unique per plan and instant) and nothing would be sent.
          await tx.updateTable('care_plan_occurrences').set({ state: 'scheduled', reason: null })
            .where('plan_id', '=', row.id).where('state', '=', 'cancelled').where('reason', '=', 'plan_stopped').where('due_at', '>', now).execute();
          const n = await materialise(tx, { ...row, active: true, scheduled_until: null }, now);
          await recordAudit(tx, { actor: actorOf(req), action: 'careplan.resume', patientId: row.patient_id, target: `careplan:${row.id}`, ip: req.ip, details: { occurrences: n } });
        }
        return true;
      });
      if (!done) throw new AppError('not_found', 404, 'No such care plan');
      const [plan] = await plansOf(db, keys, req.params.id, now, req.params.planId);
      return plan!;
    });

    api.post('/patients/:id/observations', {
      config: { access: WRITE },
      schema: {
        summary: 'Enter a reading for a patient (staff): text as the patient would send it ("135/85", "5,8", "118 mg/dl") or a value with its UCUM unit, read by the chat\'s parser, stored as an observation (source staff), judged against the vitals plan\'s thresholds; out of range raises a staff alert',
        tags: ['careplans'], params, body: readingSchema, response: { 201: z.record(z.string(), z.unknown()) },
      },
    }, async (req, reply) => {
      const b = req.body;
      const now = ctx.clock.now();
      if (!(await patientExists(req.params.id))) throw notFound();
      const reading = readingOfEntry(b.measure, b.text !== undefined ? { text: b.text } : { value: b.value!, ...(b.unit ? { unit: b.unit } : {}), ...(b.diastolic !== undefined ? { diastolic: b.diastolic } : {}) });
      if (!reading) throw invalid(b.text !== undefined ? '/text' : '/value', `is not a ${b.measure.replace('_', ' ')} reading: write it like ${READING_EXAMPLE[b.measure]}`);
      const effectiveAt = b.effectiveAt ? new Date(b.effectiveAt) : now;
      if (effectiveAt.getTime() > now.getTime() + 60_000) throw invalid('/effectiveAt', 'is in the future');
      const stored = await db.transaction().execute(async (tx) => {
        let plan: { planId: string; thresholds: { low: number | null; high: number | null; unit: string } | null } | null;
        if (b.planId) {
          const r = await tx.selectFrom('care_plans').select(['id', 'kind', 'details', 'threshold_low', 'threshold_high', 'threshold_unit'])
            .where('id', '=', b.planId).where('patient_id', '=', req.params.id).executeTakeFirst();
          if (!r || r.kind !== 'vitals' || (await openDetails(tx, keys, req.params.id, r.details)).measure !== b.measure) throw invalid('/planId', `is not one of the patient's vitals plans for ${b.measure}`);
          plan = { planId: r.id, thresholds: r.threshold_unit ? { low: r.threshold_low, high: r.threshold_high, unit: r.threshold_unit } : null };
        } else {
          plan = await vitalsPlanFor(tx, keys, req.params.id, b.measure);
        }
        // Judged as the chat's reading is (against the plan's thresholds); without a plan there is nothing to
        // judge it by: no interpretation, rather than a "normal" nobody decided.
        const interpretation = plan ? interpret(reading, plan.thresholds) : null;
        const id = await insertObservation(tx, keys, { patientId: req.params.id, planId: plan?.planId ?? null, occurrenceId: null, reading, interpretation, source: 'staff', effectiveAt, now });
        if (interpretation === 'low' || interpretation === 'high') {
          await raiseAlert(tx, { kind: 'other', patientId: req.params.id, codes: [`vitals_out_of_range:${reading.code}`], now });
        }
        await recordAudit(tx, { actor: actorOf(req), action: 'observation.create', patientId: req.params.id, target: `observation:${id}`, ip: req.ip, details: { code: reading.code, source: 'staff', interpretation: interpretation ?? 'none' } });
        return id;
      });
      const row = (await observationsOf(db, keys, req.params.id)).find((o) => o.id === stored)!;
      return reply.code(201).send(fhirObservation(row));
    });

    api.get('/patients/:id/care-plan-occurrences', {
      config: { access: READ },
      schema: {
        summary: 'A patient\'s care-plan occurrences already due (doses, vitals prompts, follow-ups), newest first, with what became of each; `days` back (default 30)',
        tags: ['careplans'], params, querystring: daysQuery.extend({ limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: z.object({ items: z.array(occurrenceSchema) }) },
      },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      const now = ctx.clock.now();
      const items = await recentOccurrences(db, req.params.id, { now, since: new Date(now.getTime() - (req.query.days ?? 30) * 86_400_000), limit: req.query.limit });
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'careplan.view', patientId: req.params.id, ip: req.ip, details: { occurrences: items.length } }));
      return { items };
    });

    api.get('/patients/:id/observations', {
      config: { access: READ },
      schema: { summary: 'A patient\'s observations (vitals), newest first, as FHIR R4 Observation resources with LOINC codes', tags: ['careplans'], params, response: { 200: z.object({ items: z.array(z.record(z.string(), z.unknown())) }) } },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      const rows = await observationsOf(db, keys, req.params.id);
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'observation.view', patientId: req.params.id, ip: req.ip, details: { results: rows.length } }));
      return { items: rows.map(fhirObservation) };
    });

    api.get('/patients/:id/adherence', {
      config: { access: READ },
      schema: { summary: 'Per care plan: occurrences sent, taken, snoozed, missed, answered, skipped, and the adherence rate; `days`: only those due in the last so many days', tags: ['careplans'], params, querystring: daysQuery, response: { 200: z.object({ items: z.array(adherenceSchema) }) } },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      const since = req.query.days ? new Date(ctx.clock.now().getTime() - req.query.days * 86_400_000) : undefined;
      const items = await adherenceOf(db, req.params.id, since);
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'careplan.view', patientId: req.params.id, ip: req.ip, details: { adherence: items.length } }));
      return { items };
    });
  };
}
