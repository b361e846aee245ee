// The care-plans staff API: plans per patient (admin and clinicians write, reception reads), their
// observations as FHIR R4 Observations, and adherence per plan. A plan's schedule is checked at entry: a
// rule that is not RFC 5545, a zone that is not IANA, or a local time the zone skips (spring forward) is a
// 400 naming the field.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { adherenceOf, detailsSchema, materialise, observationsOf, plansOf, stopPlan } from './repo.js';
import { checkSchedule } from './schedule.js';
import { fhirObservation, type Measure } from './vitals.js';

export const CAREPLANS = 'careplans';

const READ: readonly Role[] = ['admin', 'clinician', 'reception'];
const WRITE: readonly Role[] = ['admin', 'clinician'];

const params = z.object({ id: z.uuid() });
const planParams = z.object({ id: z.uuid(), planId: z.uuid() });
const UNITS = ['mg/dL', 'mmol/L', 'mm[Hg]', 'Cel', '[degF]', 'kg', '[lb_av]', '/min'] as const;
/** The units a measure's thresholds may be given in (blood pressure: the systolic pressure). */
const THRESHOLD_UNITS: Record<Measure, readonly string[]> = {
  glucose: ['mg/dL', 'mmol/L'], blood_pressure: ['mm[Hg]'], weight: ['kg', '[lb_av]'], temperature: ['Cel', '[degF]'], heart_rate: ['/min'],
};
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
  active: z.boolean(), createdAt: z.string(), next: z.array(z.string()),
});
const adherenceSchema = z.object({
  planId: z.string(), kind: z.enum(['medication', 'follow_up', 'vitals']), sent: z.number(), taken: z.number(), snoozed: z.number(), missed: z.number(), answered: z.number(), skipped: z.number(), rate: z.number().nullable(),
});

const invalid = (path: string, message: string) => new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'body', path, message }] });
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
      const [plan] = await plansOf(db, keys, req.params.id, id);
      return reply.code(201).send(plan!);
    });

    api.get('/patients/:id/care-plans', {
      config: { access: READ },
      schema: { summary: 'A patient\'s care plans, with their next occurrences', tags: ['careplans'], params, response: { 200: z.object({ items: z.array(planSchema) }) } },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      const items = await plansOf(db, keys, req.params.id);
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'careplan.view', patientId: req.params.id, ip: req.ip }));
      return { items };
    });

    api.patch('/patients/:id/care-plans/:planId', {
      config: { access: WRITE },
      schema: { summary: 'Stop (active: false) or resume a care plan; stopping cancels the occurrences to come', tags: ['careplans'], params: planParams, body: z.object({ active: z.boolean() }), response: { 200: planSchema } },
    }, async (req) => {
      const now = ctx.clock.now();
      const done = await db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('care_plans').select(['id', 'patient_id', 'kind', 'rrule', 'dtstart_local', 'time_zone', 'scheduled_until', 'active'])
          .where('id', '=', req.params.planId).where('patient_id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!row) return false;
        if (!req.body.active) {
          const n = await stopPlan(tx, row.id, now);
          await recordAudit(tx, { actor: actorOf(req), action: 'careplan.stop', patientId: row.patient_id, target: `careplan:${row.id}`, ip: req.ip, details: { cancelled: n } });
        } else if (!row.active) {
          await tx.updateTable('care_plans').set({ active: true, scheduled_until: null, updated_at: now }).where('id', '=', row.id).execute();
          const n = await materialise(tx, { ...row, active: true, scheduled_until: null }, now);
          await recordAudit(tx, { actor: actorOf(req), action: 'careplan.resume', patientId: row.patient_id, target: `careplan:${row.id}`, ip: req.ip, details: { occurrences: n } });
        }
        return true;
      });
      if (!done) throw new AppError('not_found', 404, 'No such care plan');
      const [plan] = await plansOf(db, keys, req.params.id, req.params.planId);
      return plan!;
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
      schema: { summary: 'Per care plan: occurrences sent, taken, snoozed, missed, answered, skipped, and the adherence rate', tags: ['careplans'], params, response: { 200: z.object({ items: z.array(adherenceSchema) }) } },
    }, async (req) => {
      if (!(await patientExists(req.params.id))) throw notFound();
      return { items: await adherenceOf(db, req.params.id) };
    });
  };
}
