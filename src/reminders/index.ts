// Reminders (issue 15): appointment reminders at the clinic's offsets (default 72 h and 24 h before), out of
// quiet hours, as a free-form message inside the 24-hour window and as the approved template outside it,
// with Confirm / Reschedule / Cancel. The settings API and the worker that sends them; the rows are created,
// moved and cancelled by src/scheduling/appointments.ts in the booking's own transaction (repo.ts).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { Role } from '../http/api.js';
import { loopWorker } from '../jobs/index.js';
import { AppError } from '../lib/errors.js';
import type { AppModule, ModuleContext } from '../lib/module.js';
import { SENDER } from '../whatsapp/index.js';
import { reminderSettings, replanReminders } from './repo.js';
import { noShowCandidates, reminderReport } from './report.js';
import { ReminderWorker } from './worker.js';

export { cancelReminders, remindersOf, reminderSettings, scheduleReminders, type ReminderSettings, type ReminderView } from './repo.js';
export { reminderTimes, type QuietHours } from './times.js';

export const REMINDERS = 'reminders';

const READ: readonly Role[] = ['admin', 'clinician', 'reception'];
const REPORTS: readonly Role[] = ['admin', 'clinician', 'analyst'];
const ADMIN: readonly Role[] = ['admin'];
const hhmm = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a local time such as 21:00');
const settingsSchema = z.object({
  /** Minutes before the start; at most 5, each from 1 minute to 30 days. */
  appointmentOffsetsMinutes: z.array(z.number().int().min(1).max(43_200)).max(5),
  quietHours: z.object({ start: hhmm, end: hhmm }).refine((q) => q.start !== q.end, { message: 'must start and end at different times', path: ['end'] }).nullable(),
});

function routes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  const clinicId = async () => {
    const c = await db.selectFrom('clinics').select('id').orderBy('created_at').orderBy('id').executeTakeFirst();
    if (!c) throw new AppError('not_found', 404, 'No clinic is configured');
    return c.id;
  };
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get('/settings/reminders', {
      config: { access: READ },
      schema: { summary: 'Appointment reminder offsets (minutes before the start) and quiet hours (local, or null)', tags: ['reminders'], response: { 200: settingsSchema } },
    }, async () => {
      const s = await reminderSettings(db, await clinicId());
      return { appointmentOffsetsMinutes: s.appointmentOffsetsMinutes, quietHours: s.quietHours };
    });
    api.get('/reports/reminders', {
      config: { access: REPORTS },
      schema: {
        summary: 'Per ISO week of the appointments: no-show rate with and without a reminder; per reminder offset, the appointments then confirmed, cancelled, rescheduled, not attended',
        tags: ['reminders'],
        querystring: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }),
        response: { 200: z.object({ items: z.array(z.object({
          week: z.string(),
          withReminder: z.object({ appointments: z.number(), noShows: z.number(), noShowRate: z.number().nullable() }),
          withoutReminder: z.object({ appointments: z.number(), noShows: z.number(), noShowRate: z.number().nullable() }),
          byOffset: z.array(z.object({ offsetMinutes: z.number(), appointments: z.number(), confirmed: z.number(), cancelled: z.number(), rescheduled: z.number(), noShow: z.number() })),
        })) }) },
      },
    }, async (req) => {
      const from = new Date(req.query.from);
      const to = new Date(req.query.to);
      if (!(to > from) || to.getTime() - from.getTime() > 400 * 86_400_000) {
        throw new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'querystring', path: '/to', message: 'must be after from, at most 400 days later' }] });
      }
      return { items: await reminderReport(db, { from, to }) };
    });
    api.get('/appointments/no-show-candidates', {
      config: { access: READ },
      schema: {
        summary: 'Appointments still booked or confirmed after their end, most recent first: mark them arrived, completed or no-show',
        tags: ['appointments'],
        response: { 200: z.object({ items: z.array(z.object({ id: z.uuid(), start: z.string(), end: z.string(), practitionerId: z.uuid(), serviceId: z.uuid(), patientId: z.uuid(), state: z.string() })), nextCursor: z.null() }) },
      },
    }, async () => {
      const list = await noShowCandidates(db, ctx.clock.now());
      return { items: list.map((a) => ({ ...a, start: a.start.toISOString(), end: a.end.toISOString() })), nextCursor: null };
    });
    api.put('/settings/reminders', {
      config: { access: ADMIN },
      schema: { summary: 'Set the reminder offsets and quiet hours; the upcoming appointments\' reminders still to go are re-planned', tags: ['reminders'], body: settingsSchema, response: { 200: settingsSchema.extend({ replanned: z.number() }) } },
    }, async (req) => {
      const b = req.body;
      const now = ctx.clock.now();
      const id = await clinicId();
      const replanned = await db.transaction().execute(async (tx) => {
        await tx.insertInto('reminder_settings')
          .values({ clinic_id: id, appointment_offsets_minutes: [...new Set(b.appointmentOffsetsMinutes)], quiet_start: b.quietHours?.start ?? null, quiet_end: b.quietHours?.end ?? null, updated_by: actorOf(req).id, updated_at: now })
          .onConflict((oc) => oc.column('clinic_id').doUpdateSet({ appointment_offsets_minutes: [...new Set(b.appointmentOffsetsMinutes)], quiet_start: b.quietHours?.start ?? null, quiet_end: b.quietHours?.end ?? null, updated_by: actorOf(req).id, updated_at: now }))
          .execute();
        const n = await replanReminders(tx, id, now);
        await recordAudit(tx, { actor: actorOf(req), action: 'settings.reminders', ip: req.ip, details: { offsets: b.appointmentOffsetsMinutes.join(','), quietHours: b.quietHours ? `${b.quietHours.start}-${b.quietHours.end}` : 'none', replanned: n } });
        return n;
      });
      ctx.wake.wake(REMINDERS);
      return { appointmentOffsetsMinutes: [...new Set(b.appointmentOffsetsMinutes)], quietHours: b.quietHours, replanned };
    });
  };
}

/** How often a reminder loop held back by a full outbox looks again. */
const AHEAD_RETRY_MS = 200;

/**
 * Messages waiting for the sender beyond which reminders are not decided yet: three seconds of the number's
 * throughput (WHATSAPP_MPS), a thousand at least, so the sender never runs dry while the worker catches up.
 */
export function queueAheadFor(mps: number): number {
  return Math.max(1000, Math.ceil(3 * mps));
}

export function remindersModule(): AppModule {
  return {
    name: 'reminders',
    api: routes,
    workers(ctx) {
      const worker = new ReminderWorker({
        db: ctx.database.background, cipher: ctx.cipher, keys: ctx.keys, clock: ctx.clock, log: ctx.log.child({ worker: REMINDERS }),
        videoUrlTemplate: ctx.config.videoUrlTemplate, onQueued: () => ctx.wake.wake(SENDER),
        queueAhead: queueAheadFor(ctx.config.whatsapp.mps),
      });
      // A full batch means more are due: the loop goes on at once; a partial one took all there was (or what
      // another instance left), and the next poll finds what comes due next. With the sender's queue full, it
      // looks again shortly.
      return [loopWorker({ name: REMINDERS, pollMs: 5000, log: ctx.log, wake: ctx.wake, tick: async () => {
        if (await worker.ahead()) {
          await new Promise((r) => setTimeout(r, AHEAD_RETRY_MS));
          return 1;
        }
        const claimed = await worker.tick();
        return claimed >= worker.batchSize ? claimed : 0;
      } })];
    },
  };
}
