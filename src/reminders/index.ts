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
import { ReminderWorker } from './worker.js';

export { cancelReminders, remindersOf, reminderSettings, scheduleReminders, type ReminderSettings, type ReminderView } from './repo.js';
export { reminderTimes, type QuietHours } from './times.js';

export const REMINDERS = 'reminders';

const READ: readonly Role[] = ['admin', 'clinician', 'reception'];
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

export function remindersModule(): AppModule {
  return {
    name: 'reminders',
    api: routes,
    workers(ctx) {
      const worker = new ReminderWorker({
        db: ctx.database.background, cipher: ctx.cipher, keys: ctx.keys, clock: ctx.clock, log: ctx.log.child({ worker: REMINDERS }),
        videoUrlTemplate: ctx.config.videoUrlTemplate, onQueued: () => ctx.wake.wake(SENDER),
      });
      return [loopWorker({ name: REMINDERS, pollMs: 5000, log: ctx.log, wake: ctx.wake, tick: () => worker.tick() })];
    },
  };
}
