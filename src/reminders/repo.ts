// Appointment reminders as rows: created when an appointment is booked, cancelled when it is cancelled,
// moved (the old ones cancelled, the new appointment's created) when it is rescheduled, all in the caller's
// transaction (src/scheduling/appointments.ts calls these). The clinic's settings decide the offsets and quiet
// hours; a reminder whose time has already passed at booking is recorded as skipped, with why.
import type { DbOrTx } from '../db/database.js';
import type { ReminderState } from '../db/schema.js';
import { reminderTimes, type QuietHours } from './times.js';

export const DEFAULT_OFFSETS_MINUTES: readonly number[] = [4320, 1440];

export interface ReminderSettings {
  appointmentOffsetsMinutes: number[];
  quietHours: QuietHours | null;
}

type SettingsRow = { appointment_offsets_minutes: number[]; quiet_start: string | null; quiet_end: string | null };

function settingsOf(r: SettingsRow | undefined): ReminderSettings {
  if (!r) return { appointmentOffsetsMinutes: [...DEFAULT_OFFSETS_MINUTES], quietHours: null };
  return { appointmentOffsetsMinutes: r.appointment_offsets_minutes, quietHours: r.quiet_start && r.quiet_end ? { start: r.quiet_start, end: r.quiet_end } : null };
}

export async function reminderSettings(db: DbOrTx, clinicId: string): Promise<ReminderSettings> {
  return settingsOf(await db.selectFrom('reminder_settings').select(['appointment_offsets_minutes', 'quiet_start', 'quiet_end']).where('clinic_id', '=', clinicId).executeTakeFirst());
}

/** The settings of several clinics in one read (the reminder worker's batch); every clinic asked is in the map. */
export async function reminderSettingsOf(db: DbOrTx, clinicIds: readonly string[]): Promise<Map<string, ReminderSettings>> {
  const ids = [...new Set(clinicIds)];
  const rows = ids.length ? await db.selectFrom('reminder_settings').select(['clinic_id', 'appointment_offsets_minutes', 'quiet_start', 'quiet_end']).where('clinic_id', 'in', ids).execute() : [];
  const byClinic = new Map(rows.map((r) => [r.clinic_id, r]));
  return new Map(ids.map((id) => [id, settingsOf(byClinic.get(id))]));
}

export interface Remindable {
  id: string;
  patient_id: string;
  clinic_id: string;
  location_id: string;
  starts_at: Date;
}

/** Creates the appointment's reminders from the clinic's settings (its location's zone). */
export async function scheduleReminders(tx: DbOrTx, a: Remindable, now: Date): Promise<void> {
  const settings = await reminderSettings(tx, a.clinic_id);
  if (settings.appointmentOffsetsMinutes.length === 0) return;
  const loc = await tx.selectFrom('locations').select('time_zone').where('id', '=', a.location_id).executeTakeFirstOrThrow();
  const plans = reminderTimes({ start: a.starts_at, offsetsMinutes: settings.appointmentOffsetsMinutes, quiet: settings.quietHours, zone: loc.time_zone, now });
  await tx.insertInto('reminders').values(plans.map((p) => ({
    appointment_id: a.id, patient_id: a.patient_id, offset_minutes: p.offsetMinutes,
    due_at: p.dueAt ?? now,
    state: p.dueAt ? 'scheduled' as const : 'skipped' as const,
    reason: p.reason ?? null,
    decided_at: p.dueAt ? null : now,
    created_at: now,
  })))
    .onConflict((oc) => oc.columns(['appointment_id', 'kind', 'offset_minutes']).doNothing())
    .execute();
}

/** Cancels the appointment's reminders still to go (the appointment was cancelled, moved, attended). */
export async function cancelReminders(tx: DbOrTx, appointmentId: string, reason: string, now: Date): Promise<number> {
  const r = await tx.updateTable('reminders').set({ state: 'cancelled', reason, decided_at: now })
    .where('appointment_id', '=', appointmentId).where('state', '=', 'scheduled').executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Re-plans every upcoming appointment's reminders still to go after the settings changed. */
export async function replanReminders(tx: DbOrTx, clinicId: string, now: Date): Promise<number> {
  const upcoming = await tx.selectFrom('appointments').select(['id', 'patient_id', 'clinic_id', 'location_id', 'starts_at'])
    .where('clinic_id', '=', clinicId).where('state', 'in', ['booked', 'confirmed']).where('starts_at', '>', now).execute();
  if (upcoming.length === 0) return 0;
  const ids = upcoming.map((a) => a.id);
  await tx.deleteFrom('reminders').where('appointment_id', 'in', ids).where('state', 'in', ['scheduled', 'skipped']).execute();
  // Offsets already sent stay sent: the unique (appointment, offset) keeps them from being planned again.
  for (const a of upcoming) await scheduleReminders(tx, a, now);
  return upcoming.length;
}

export interface ReminderView {
  dueAt: string;
  state: ReminderState;
  reason?: string;
  offsetMinutes: number;
}

export async function remindersOf(db: DbOrTx, appointmentId: string): Promise<ReminderView[]> {
  const rows = await db.selectFrom('reminders').select(['due_at', 'state', 'reason', 'offset_minutes']).where('appointment_id', '=', appointmentId).orderBy('due_at').orderBy('offset_minutes', 'desc').execute();
  return rows.map((r) => ({ dueAt: r.due_at.toISOString(), state: r.state, offsetMinutes: r.offset_minutes, ...(r.reason ? { reason: r.reason } : {}) }));
}
