// The waitlist: a patient who found nothing that fits asks for a service in a local date range (a
// practitioner and a part of the day if they care). When an appointment's time is freed, it is offered to
// the waiting patients it fits, in the order they joined (the first `fanout` of them at once, each offer
// expiring); the first to accept gets it, through the same booking as any other (the database still
// refuses a double booking), and the others' offers are marked gone so the flow can tell them it went.
import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../db/database.js';
import type { OfferOutcome, PartOfDay, WaitlistState } from '../db/schema.js';
import { bookAppointment, type Appointment, type AppointmentDeps } from './appointments.js';
import { localDateOf, localMinuteOf, formatLocalDate } from './intervals.js';

export interface WaitlistEntry {
  id: string;
  patientId: string;
  serviceId: string;
  practitionerId: string | null;
  /** Local dates, 'YYYY-MM-DD'. */
  fromDate: string;
  toDate: string;
  partOfDay: PartOfDay;
  state: WaitlistState;
  createdAt: Date;
}

export interface JoinWaitlistInput {
  patientId: string;
  serviceId: string;
  practitionerId?: string | null | undefined;
  fromDate: string;
  toDate: string;
  partOfDay?: PartOfDay | undefined;
  now: Date;
}

const entryColumns = ['id', 'patient_id', 'service_id', 'practitioner_id', sql<string>`from_date::text`.as('from_date'), sql<string>`to_date::text`.as('to_date'), 'part_of_day', 'state', 'created_at'] as const;

type EntryRow = { id: string; patient_id: string; service_id: string; practitioner_id: string | null; from_date: string; to_date: string; part_of_day: PartOfDay; state: WaitlistState; created_at: Date };
const toEntry = (r: EntryRow): WaitlistEntry => ({
  id: r.id, patientId: r.patient_id, serviceId: r.service_id, practitionerId: r.practitioner_id, fromDate: r.from_date, toDate: r.to_date, partOfDay: r.part_of_day, state: r.state, createdAt: r.created_at,
});

/** Puts the patient on the waitlist for the service (one waiting entry per patient and service: joining again updates it, keeping their place). */
export async function joinWaitlist(tx: Tx, w: JoinWaitlistInput): Promise<WaitlistEntry | null> {
  const service = await tx.selectFrom('services').select(['clinic_id']).where('id', '=', w.serviceId).executeTakeFirst();
  if (!service) return null;
  const row = await tx.insertInto('waitlist_entries')
    .values({ clinic_id: service.clinic_id, patient_id: w.patientId, service_id: w.serviceId, practitioner_id: w.practitionerId ?? null, from_date: w.fromDate, to_date: w.toDate, part_of_day: w.partOfDay ?? 'any', created_at: w.now, updated_at: w.now })
    .onConflict((oc) => oc.columns(['patient_id', 'service_id']).where('state', '=', 'waiting').doUpdateSet({
      practitioner_id: w.practitionerId ?? null, from_date: w.fromDate, to_date: w.toDate, part_of_day: w.partOfDay ?? 'any', updated_at: w.now,
    }))
    .returning(entryColumns)
    .executeTakeFirstOrThrow();
  return toEntry(row);
}

export async function leaveWaitlist(tx: Tx, entryId: string, now: Date): Promise<boolean> {
  const r = await tx.updateTable('waitlist_entries').set({ state: 'cancelled', updated_at: now }).where('id', '=', entryId).where('state', '=', 'waiting').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function waitlistOf(db: DbOrTx, patientId: string): Promise<WaitlistEntry[]> {
  const rows = await db.selectFrom('waitlist_entries').select(entryColumns).where('patient_id', '=', patientId).where('state', '=', 'waiting').orderBy('created_at').execute();
  return rows.map(toEntry);
}

export interface WaitlistOffer {
  id: string;
  entryId: string;
  patientId: string;
  serviceId: string;
  locationId: string;
  practitionerId: string;
  start: Date;
  end: Date;
  expiresAt: Date;
  outcome: OfferOutcome;
}

type OfferRow = { id: string; entry_id: string; patient_id: string; service_id: string; location_id: string; practitioner_id: string; starts_at: Date; ends_at: Date; expires_at: Date; outcome: OfferOutcome };
const toOffer = (r: OfferRow): WaitlistOffer => ({
  id: r.id, entryId: r.entry_id, patientId: r.patient_id, serviceId: r.service_id, locationId: r.location_id, practitionerId: r.practitioner_id,
  start: r.starts_at, end: r.ends_at, expiresAt: r.expires_at, outcome: r.outcome,
});
const offerColumns = ['id', 'entry_id', 'patient_id', 'service_id', 'location_id', 'practitioner_id', 'starts_at', 'ends_at', 'expires_at', 'outcome'] as const;

export interface FreedSlot {
  serviceId: string;
  practitionerId: string;
  locationId: string;
  start: Date;
  end: Date;
}

/** A time counts as morning when it starts before noon, local time. */
export function partOfDayOf(zone: string, instant: Date): Exclude<PartOfDay, 'any'> {
  return localMinuteOf(zone, instant.getTime()) < 12 * 60 ? 'morning' : 'afternoon';
}

/**
 * Offers a freed time to the waiting patients it fits (service, practitioner if they named one, local date
 * range, part of day), in the order they joined, the first `fanout` of them; each offer expires after
 * `ttlMinutes`. Returns the offers made: the caller (the chat flow) sends them.
 */
export async function offerFreedSlot(tx: Tx, slot: FreedSlot, o: { now: Date; fanout?: number; ttlMinutes?: number }): Promise<WaitlistOffer[]> {
  if (slot.start.getTime() <= o.now.getTime()) return [];
  const loc = await tx.selectFrom('locations').select('time_zone').where('id', '=', slot.locationId).executeTakeFirst();
  if (!loc) return [];
  const day = formatLocalDate(localDateOf(loc.time_zone, slot.start.getTime()));
  const part = partOfDayOf(loc.time_zone, slot.start);
  const entries = await tx.selectFrom('waitlist_entries').select(['id', 'patient_id'])
    .where('service_id', '=', slot.serviceId).where('state', '=', 'waiting')
    .where((eb) => eb.or([eb('practitioner_id', 'is', null), eb('practitioner_id', '=', slot.practitionerId)]))
    .where(sql<boolean>`from_date <= ${day}::date and to_date >= ${day}::date`)
    .where('part_of_day', 'in', ['any', part])
    .orderBy('created_at').orderBy('id')
    .limit(o.fanout ?? 3)
    .forUpdate().skipLocked()
    .execute();
  if (entries.length === 0) return [];
  const expiresAt = new Date(Math.min(o.now.getTime() + (o.ttlMinutes ?? 120) * 60_000, slot.start.getTime()));
  const rows = await tx.insertInto('waitlist_offers')
    .values(entries.map((e) => ({
      entry_id: e.id, patient_id: e.patient_id, service_id: slot.serviceId, location_id: slot.locationId, practitioner_id: slot.practitionerId,
      starts_at: slot.start, ends_at: slot.end, expires_at: expiresAt, created_at: o.now,
    })))
    .onConflict((oc) => oc.columns(['entry_id', 'practitioner_id', 'starts_at']).doNothing())
    .returning(offerColumns)
    .execute();
  return rows.map(toOffer);
}

export type AcceptResult =
  | { ok: true; appointment: Appointment; offer: WaitlistOffer; /** The other patients offered this time: tell them it went. */ gone: WaitlistOffer[] }
  | { ok: false; code: 'gone' | 'not_found' };

/** The patient takes the offered time: booked for them if it is still free and the offer still stands; else `gone`. */
export async function acceptOffer(tx: Tx, deps: AppointmentDeps, offerId: string, now: Date): Promise<AcceptResult> {
  const offer = await tx.selectFrom('waitlist_offers').select(offerColumns).where('id', '=', offerId).forUpdate().executeTakeFirst();
  if (!offer) return { ok: false, code: 'not_found' };
  const settle = (outcome: OfferOutcome) => tx.updateTable('waitlist_offers').set({ outcome, decided_at: now }).where('id', '=', offerId).execute();
  if (offer.outcome !== 'pending') return { ok: false, code: 'gone' };
  if (offer.expires_at.getTime() <= now.getTime()) {
    await settle('expired');
    return { ok: false, code: 'gone' };
  }
  const booked = await bookAppointment(tx, deps, { serviceId: offer.service_id, practitionerId: offer.practitioner_id, start: offer.starts_at, patientId: offer.patient_id, by: { type: 'patient', id: offer.patient_id }, now });
  if (!booked.ok) {
    await settle('gone');
    return { ok: false, code: 'gone' };
  }
  await tx.updateTable('waitlist_offers').set({ outcome: 'accepted', decided_at: now, appointment_id: booked.appointment.id }).where('id', '=', offerId).execute();
  await tx.updateTable('waitlist_entries').set({ state: 'booked', appointment_id: booked.appointment.id, updated_at: now }).where('id', '=', offer.entry_id).execute();
  const gone = await tx.updateTable('waitlist_offers').set({ outcome: 'gone', decided_at: now })
    .where('practitioner_id', '=', offer.practitioner_id).where('starts_at', '=', offer.starts_at).where('outcome', '=', 'pending').where('id', '<>', offerId)
    .returning(offerColumns).execute();
  return { ok: true, appointment: booked.appointment, offer: toOffer({ ...offer, outcome: 'accepted' }), gone: gone.map(toOffer) };
}

export async function declineOffer(tx: Tx, offerId: string, now: Date): Promise<boolean> {
  const r = await tx.updateTable('waitlist_offers').set({ outcome: 'declined', decided_at: now }).where('id', '=', offerId).where('outcome', '=', 'pending').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
