// Appointments: book, cancel, reschedule, confirm, arrived, no-show, completed, and the patient's upcoming
// ones. Every function takes the caller's transaction first (the chat flow writes its outbox rows in the
// same one). No double booking: the database refuses an overlapping appointment (exclusion constraint,
// migration 0017); bookAppointment catches that refusal (23P01) inside a savepoint so the caller's
// transaction survives and answers a typed `slot_taken`. Video visits get a join link at booking, sealed
// with the patient's key and returned with the appointment (for the confirmation, never in slot offers).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { KeyRing } from '../compliance/keys.js';
import type { DbOrTx, Tx } from '../db/database.js';
import type { AppointmentState, AppointmentsTable, CancelReason, SchedulingActorType } from '../db/schema.js';
import type { Selectable } from 'kysely';
import { cancelReminders, scheduleReminders } from '../reminders/repo.js';
import { HOLDING_STATES, serviceRules, withinAvailability } from './slot-search.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export const APPOINTMENT_STATES = ['booked', 'confirmed', 'cancelled', 'rescheduled', 'arrived', 'noshow', 'completed'] as const satisfies readonly AppointmentState[];
export const CANCEL_REASONS = ['patient_request', 'clinic_request', 'practitioner_unavailable', 'duplicate', 'other'] as const satisfies readonly CancelReason[];

/** Who acts: the patient in chat, a staff user, an API token, the system. */
export interface SchedulingActor {
  type: SchedulingActorType;
  id: string | null;
}

export interface AppointmentDeps {
  keys: KeyRing;
  /** VIDEO_URL_TEMPLATE: an https URL with {room}. */
  videoUrlTemplate: string;
  /** An unguessable room name; default 128 random bits in hex. */
  newRoom?: () => string;
}

export interface Appointment {
  id: string;
  clinicId: string;
  locationId: string;
  practitionerId: string;
  serviceId: string;
  patientId: string;
  start: Date;
  end: Date;
  state: AppointmentState;
  bookedBy: SchedulingActor;
  cancelReason: CancelReason | null;
  cancelledBy: SchedulingActor | null;
  rescheduledTo: string | null;
  /** The video visit's join link (opened); null for in-person visits or when the key is gone. */
  videoUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type BookingFailure =
  /** Another appointment holds (part of) this time. */
  | 'slot_taken'
  /** The time is outside the practitioner's availability for the service (hours, sessions, closures). */
  | 'outside_availability'
  /** Sooner than the service's lead time, later than its horizon, or in the past. */
  | 'outside_booking_window'
  | 'unknown_service'
  | 'unknown_patient';

export type BookingResult = { ok: true; appointment: Appointment } | { ok: false; code: BookingFailure };

type Row = Selectable<AppointmentsTable>;

export function newRoomName(): string {
  return crypto.randomBytes(16).toString('hex');
}

export function videoUrlFor(template: string, room: string): string {
  return template.replaceAll('{room}', encodeURIComponent(room));
}

async function toAppointment(db: DbOrTx, deps: Pick<AppointmentDeps, 'keys'>, r: Row): Promise<Appointment> {
  let videoUrl: string | null = null;
  if (r.video_url) {
    try {
      videoUrl = (await deps.keys.forPatient(db, r.patient_id)).decrypt(r.video_url).toString('utf8');
    } catch {
      videoUrl = null; // the patient's key is shredded (erasure): the link is gone with it
    }
  }
  return {
    id: r.id, clinicId: r.clinic_id, locationId: r.location_id, practitionerId: r.practitioner_id, serviceId: r.service_id, patientId: r.patient_id,
    start: r.starts_at, end: r.ends_at, state: r.state,
    bookedBy: { type: r.booked_by_type, id: r.booked_by_id },
    cancelReason: r.cancel_reason,
    cancelledBy: r.cancelled_by_type ? { type: r.cancelled_by_type, id: r.cancelled_by_id } : null,
    rescheduledTo: r.rescheduled_to, videoUrl, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

async function history(tx: DbOrTx, r: { id: string; patient_id: string }, state: AppointmentState, by: SchedulingActor, at: Date, reason: string | null = null): Promise<void> {
  await tx.insertInto('appointment_history').values({ appointment_id: r.id, patient_id: r.patient_id, state, actor_type: by.type, actor_id: by.id, reason, at }).execute();
}

/** Runs `f` inside a savepoint: on a database error the savepoint is rolled back and the error rethrown, the transaction usable. */
async function inSavepoint<T>(tx: Tx, f: () => Promise<T>): Promise<T> {
  const name = sql.raw(`pl_sp_${crypto.randomBytes(6).toString('hex')}`);
  await sql`savepoint ${name}`.execute(tx);
  try {
    const v = await f();
    await sql`release savepoint ${name}`.execute(tx);
    return v;
  } catch (e) {
    await sql`rollback to savepoint ${name}`.execute(tx);
    throw e;
  }
}

const sqlState = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);

export interface BookInput {
  serviceId: string;
  practitionerId: string;
  start: Date;
  patientId: string;
  by: SchedulingActor;
  now: Date;
}

/**
 * Books the slot for the patient, or answers why not. The patient in chat is held to the service's lead
 * time and horizon; staff may book any time inside availability that has not passed.
 */
export async function bookAppointment(tx: Tx, deps: AppointmentDeps, b: BookInput): Promise<BookingResult> {
  const service = await serviceRules(tx, b.serviceId);
  if (!service || !service.active) return { ok: false, code: 'unknown_service' };
  const patient = await tx.selectFrom('patients').select('id').where('id', '=', b.patientId).executeTakeFirst();
  if (!patient) return { ok: false, code: 'unknown_patient' };
  const start = b.start.getTime();
  const now = b.now.getTime();
  const earliest = b.by.type === 'patient' ? now + service.leadTimeMinutes * MINUTE : now;
  const latest = b.by.type === 'patient' ? now + service.horizonDays * DAY : Infinity;
  if (start < earliest || start > latest) return { ok: false, code: 'outside_booking_window' };
  const where = await withinAvailability(tx, { serviceId: b.serviceId, practitionerId: b.practitionerId, start: b.start, durationMinutes: service.durationMinutes });
  if (!where) return { ok: false, code: 'outside_availability' };
  const end = new Date(start + service.durationMinutes * MINUTE);
  const blocksUntil = new Date(end.getTime() + service.bufferMinutes * MINUTE);
  let videoUrl: Uint8Array | null = null;
  if (service.mode === 'video') {
    const own = await deps.keys.forPatient(tx, b.patientId);
    videoUrl = own.encrypt(videoUrlFor(deps.videoUrlTemplate, (deps.newRoom ?? newRoomName)()));
  }
  // One booking per practitioner at a time: two conflicting inserts checking the exclusion constraint at once
  // would each wait for the other (a deadlock PostgreSQL breaks by failing one). Queued here, the second
  // sees the first's row once it commits and is refused cleanly. Held until the caller's commit: a caller
  // that also audits takes the audit chain's lock first (holdAuditChain), so the two are always taken in
  // the same order.
  await sql`select pg_advisory_xact_lock(hashtextextended(${`patientline:practitioner:${b.practitionerId}`}, 0))`.execute(tx);
  let row: Row;
  try {
    row = await inSavepoint(tx, () => tx.insertInto('appointments').values({
      clinic_id: service.clinicId, location_id: where.locationId, practitioner_id: b.practitionerId, service_id: b.serviceId, patient_id: b.patientId,
      starts_at: b.start, ends_at: end, blocks_until: blocksUntil, state: 'booked', booked_by_type: b.by.type, booked_by_id: b.by.id,
      video_url: videoUrl, created_at: b.now, updated_at: b.now,
    }).returningAll().executeTakeFirstOrThrow());
  } catch (e) {
    // 23P01: the exclusion constraint; 40P01: a deadlock between conflicting inserts (should the lock above be
    // bypassed by a writer that does not take it): either way another booking holds the time.
    if (sqlState(e) === '23P01' || sqlState(e) === '40P01') return { ok: false, code: 'slot_taken' };
    throw e;
  }
  await history(tx, row, 'booked', b.by, b.now);
  // Its reminders, in the same transaction (the clinic's offsets and quiet hours).
  await scheduleReminders(tx, row, b.now);
  return { ok: true, appointment: await toAppointment(tx, deps, row) };
}

export async function getAppointment(db: DbOrTx, deps: Pick<AppointmentDeps, 'keys'>, id: string): Promise<Appointment | null> {
  const r = await db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toAppointment(db, deps, r) : null;
}

/** Many appointments in one read (batch workers: the reminder worker); the ones that do not exist are absent. */
export async function getAppointments(db: DbOrTx, deps: Pick<AppointmentDeps, 'keys'>, ids: readonly string[]): Promise<Map<string, Appointment>> {
  const out = new Map<string, Appointment>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('appointments').selectAll().where('id', 'in', [...new Set(ids)]).execute();
  for (const r of rows) out.set(r.id, await toAppointment(db, deps, r));
  return out;
}

async function lock(tx: Tx, id: string): Promise<Row | undefined> {
  return tx.selectFrom('appointments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export type ChangeFailure = 'not_found' | 'invalid_transition';
export type ChangeResult = { ok: true; appointment: Appointment } | { ok: false; code: ChangeFailure };

/** From which states each staff mark may be made. */
const TRANSITIONS: Record<'confirmed' | 'arrived' | 'noshow' | 'completed', readonly AppointmentState[]> = {
  confirmed: ['booked'],
  arrived: ['booked', 'confirmed'],
  noshow: ['booked', 'confirmed'],
  completed: ['booked', 'confirmed', 'arrived'],
};

/** Confirms, or marks arrived, no-show or completed. */
export async function markAppointment(tx: Tx, deps: AppointmentDeps, o: { appointmentId: string; to: keyof typeof TRANSITIONS; by: SchedulingActor; now: Date }): Promise<ChangeResult> {
  const r = await lock(tx, o.appointmentId);
  if (!r) return { ok: false, code: 'not_found' };
  if (!TRANSITIONS[o.to].includes(r.state)) return { ok: false, code: 'invalid_transition' };
  const row = await tx.updateTable('appointments').set({ state: o.to, updated_at: o.now }).where('id', '=', r.id).returningAll().executeTakeFirstOrThrow();
  await history(tx, row, o.to, o.by, o.now);
  // Arrived, no-show, completed: nothing left to remind (a confirmed appointment keeps its reminders).
  if (o.to !== 'confirmed') await cancelReminders(tx, row.id, `appointment_${o.to}`, o.now);
  return { ok: true, appointment: await toAppointment(tx, deps, row) };
}

export interface CancelInput {
  appointmentId: string;
  reason: CancelReason;
  /** Free text (the patient's words): sealed with their key, never logged. */
  note?: string | null;
  by: SchedulingActor;
  now: Date;
}

/** Cancels a booked or confirmed appointment; its time is free again at once (the caller may offer it to the waitlist). */
export async function cancelAppointment(tx: Tx, deps: AppointmentDeps, c: CancelInput): Promise<ChangeResult> {
  const r = await lock(tx, c.appointmentId);
  if (!r) return { ok: false, code: 'not_found' };
  if (r.state !== 'booked' && r.state !== 'confirmed') return { ok: false, code: 'invalid_transition' };
  const note = c.note ? (await deps.keys.forPatient(tx, r.patient_id)).encrypt(c.note) : null;
  const row = await tx.updateTable('appointments')
    .set({ state: 'cancelled', cancel_reason: c.reason, cancelled_by_type: c.by.type, cancelled_by_id: c.by.id, cancel_note: note, updated_at: c.now })
    .where('id', '=', r.id).returningAll().executeTakeFirstOrThrow();
  await history(tx, row, 'cancelled', c.by, c.now, c.reason);
  await cancelReminders(tx, row.id, 'appointment_cancelled', c.now);
  return { ok: true, appointment: await toAppointment(tx, deps, row) };
}

export interface RescheduleInput {
  appointmentId: string;
  start: Date;
  /** Default: the same practitioner. */
  practitionerId?: string | undefined;
  by: SchedulingActor;
  now: Date;
}

export type RescheduleResult =
  | { ok: true; appointment: Appointment; previous: Appointment }
  | { ok: false; code: ChangeFailure | BookingFailure };

/**
 * Moves an appointment: the new one is booked and the old one marked rescheduled (linked to it) in the
 * caller's transaction, and the old time is freed only when the new one is taken. When the new time cannot
 * be had, nothing changed. The new time may overlap the old one (a quarter of an hour later).
 */
export async function rescheduleAppointment(tx: Tx, deps: AppointmentDeps, o: RescheduleInput): Promise<RescheduleResult> {
  const r = await lock(tx, o.appointmentId);
  if (!r) return { ok: false, code: 'not_found' };
  if (r.state !== 'booked' && r.state !== 'confirmed') return { ok: false, code: 'invalid_transition' };
  const failure: { code?: BookingFailure } = {};
  try {
    return await inSavepoint(tx, async () => {
      // Frees the old time inside the savepoint, so that the new one may overlap it; rolled back on failure.
      await tx.updateTable('appointments').set({ state: 'rescheduled', updated_at: o.now }).where('id', '=', r.id).execute();
      const booked = await bookAppointment(tx, deps, { serviceId: r.service_id, practitionerId: o.practitionerId ?? r.practitioner_id, start: o.start, patientId: r.patient_id, by: o.by, now: o.now });
      if (!booked.ok) {
        failure.code = booked.code;
        throw new RescheduleRefused();
      }
      const old = await tx.updateTable('appointments').set({ rescheduled_to: booked.appointment.id }).where('id', '=', r.id).returningAll().executeTakeFirstOrThrow();
      await history(tx, old, 'rescheduled', o.by, o.now, `rescheduled_to:${booked.appointment.id}`);
      // The reminders move: the old appointment's go, the new one's were planned by its booking.
      await cancelReminders(tx, old.id, 'appointment_rescheduled', o.now);
      return { ok: true as const, appointment: booked.appointment, previous: await toAppointment(tx, deps, old) };
    });
  } catch (e) {
    if (e instanceof RescheduleRefused && failure.code) return { ok: false, code: failure.code };
    throw e;
  }
}

class RescheduleRefused extends Error {}

/** The patient's appointments still to come (booked or confirmed), soonest first. */
export async function upcomingAppointments(db: DbOrTx, deps: Pick<AppointmentDeps, 'keys'>, patientId: string, now: Date, limit = 10): Promise<Appointment[]> {
  const rows = await db.selectFrom('appointments').selectAll()
    .where('patient_id', '=', patientId).where('state', 'in', ['booked', 'confirmed']).where('ends_at', '>', now)
    .orderBy('starts_at').limit(limit).execute();
  return Promise.all(rows.map((r) => toAppointment(db, deps, r)));
}

export interface AppointmentFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  state?: AppointmentState | undefined;
  practitionerId?: string | undefined;
  patientId?: string | undefined;
  /** The last appointment of the previous page. */
  after?: { start: Date; id: string } | undefined;
  limit: number;
}

/** Appointments by start (then id), filtered: the staff calendar and lists. */
export async function listAppointments(db: DbOrTx, deps: Pick<AppointmentDeps, 'keys'>, f: AppointmentFilter): Promise<Appointment[]> {
  let q = db.selectFrom('appointments').selectAll();
  if (f.from) q = q.where('ends_at', '>', f.from);
  if (f.to) q = q.where('starts_at', '<', f.to);
  if (f.state) q = q.where('state', '=', f.state);
  if (f.practitionerId) q = q.where('practitioner_id', '=', f.practitionerId);
  if (f.patientId) q = q.where('patient_id', '=', f.patientId);
  const after = f.after;
  if (after) q = q.where((eb) => eb.or([eb('starts_at', '>', after.start), eb.and([eb('starts_at', '=', after.start), eb('id', '>', after.id)])]));
  const rows = await q.orderBy('starts_at').orderBy('id').limit(f.limit).execute();
  return Promise.all(rows.map((r) => toAppointment(db, deps, r)));
}

export { HOLDING_STATES };
