// The booking flow's view of scheduling (SchedulingPort, flow.ts), bound to one patient and one message's
// transaction: reads of the clinic's services, practitioners and free slots, the patient's appointments;
// and the commands, which go through src/scheduling's repository functions (the database refuses a double
// booking; bookAppointment answers a typed refusal inside its savepoint), write the audit trail with the
// patient as actor, and free time for the waitlist (the offers are sent by the waitlist notifier).
// Appointments are the patient's own: an id from a tapped button that is not theirs answers not_found.
import type { KeyRing } from '../compliance/keys.js';
import type { Cipher } from '../compliance/crypto.js';
import type { BlindIndex } from '../compliance/identifiers.js';
import { holdAuditChain, recordAudit, type AuditDetails } from '../compliance/audit.js';
import type { Tx } from '../db/database.js';
import { updatePatient } from '../patients/index.js';
import {
  acceptOffer, bookAppointment, cancelAppointment, declineOffer, getAppointment, joinWaitlist, markAppointment, nearestSlots, offerFreedSlot,
  rescheduleAppointment, searchSlots, upcomingAppointments, type Appointment, type AppointmentDeps, type FreeSlot,
} from '../scheduling/index.js';
import { appointmentView, pickText } from '../scheduling/appointment-view.js';
import { splitName } from '../scheduling/routes.js';
import type { AppointmentOutcome, AppointmentView, PractitionerChoice, SchedulingPort, ServiceChoice, SlotChoice } from './flow.js';

export interface SchedulingPortDeps {
  keys: KeyRing;
  cipher: Cipher & BlindIndex;
  videoUrlTemplate: string;
}


const slotOf = (s: FreeSlot): SlotChoice => ({ serviceId: s.serviceId, practitionerId: s.practitionerId, start: s.start, end: s.end });

export function schedulingPort(tx: Tx, d: SchedulingPortDeps, o: { patientId: string; language: string; defaultLanguage: string; now: Date }): SchedulingPort {
  const deps: AppointmentDeps = { keys: d.keys, videoUrlTemplate: d.videoUrlTemplate };
  const by = { type: 'patient' as const, id: o.patientId };
  const { now, patientId } = o;
  let services: Promise<ServiceChoice[]> | null = null;

  const view = (a: Appointment): Promise<AppointmentView> => appointmentView(tx, a, o.language, o.defaultLanguage);

  /** The patient's own appointment, locked, or null. */
  async function own(id: string): Promise<Appointment | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const a = await getAppointment(tx, deps, id);
    return a && a.patientId === patientId ? a : null;
  }

  async function freed(a: Appointment): Promise<number> {
    const offers = await offerFreedSlot(tx, { serviceId: a.serviceId, practitionerId: a.practitionerId, locationId: a.locationId, start: a.start, end: a.end }, { now });
    return offers.length;
  }

  /** Whether the patient already has an appointment that overlaps this service at this time. */
  async function busy(serviceId: string, start: Date): Promise<boolean> {
    const s = await tx.selectFrom('services').select('duration_minutes').where('id', '=', serviceId).executeTakeFirst();
    if (!s) return false;
    const end = new Date(start.getTime() + s.duration_minutes * 60_000);
    const hit = await tx.selectFrom('appointments').select('id')
      .where('patient_id', '=', patientId).where('state', 'in', ['booked', 'confirmed'])
      .where('starts_at', '<', end).where('ends_at', '>', start).executeTakeFirst();
    return hit !== undefined;
  }

  const audit = (action: string, appointmentId: string, details?: AuditDetails) =>
    recordAudit(tx, { actor: { type: 'patient', id: patientId }, action, patientId, target: `appointment:${appointmentId}`, at: now, ...(details ? { details } : {}) });

  return {
    services() {
      services ??= (async () => {
        const rows = await tx.selectFrom('services').select(['id', 'code', 'name', 'keywords', 'duration_minutes', 'mode']).where('active', '=', true).orderBy('code').execute();
        const given = rows.length === 0 ? [] : await tx.selectFrom('practitioner_services as ps').innerJoin('practitioners as p', 'p.id', 'ps.practitioner_id')
          .innerJoin('locations as l', 'l.id', 'ps.location_id')
          .select(['ps.service_id', 'ps.practitioner_id']).where('p.active', '=', true).where('l.active', '=', true)
          .where('ps.service_id', 'in', rows.map((r) => r.id)).execute();
        return rows
          .map((r) => ({
            id: r.id,
            code: r.code,
            name: pickText(r.name, o.language, o.defaultLanguage) ?? r.code,
            terms: [...Object.values(r.name), ...r.keywords, r.code.replaceAll('-', ' ')],
            durationMinutes: r.duration_minutes,
            mode: r.mode,
            practitionerIds: [...new Set(given.filter((g) => g.service_id === r.id).map((g) => g.practitioner_id))],
          }))
          .filter((s) => s.practitionerIds.length > 0)
          .sort((a, b) => a.name.localeCompare(b.name, o.language));
      })();
      return services;
    },

    async practitioners(serviceId): Promise<PractitionerChoice[]> {
      const rows = await tx.selectFrom('practitioner_services as ps').innerJoin('practitioners as p', 'p.id', 'ps.practitioner_id')
        .select(['p.id', 'p.display_name', 'p.specialties', 'p.languages']).distinct()
        .where('ps.service_id', '=', serviceId).where('p.active', '=', true).orderBy('p.display_name').execute();
      return rows.map((r) => ({ id: r.id, name: r.display_name, specialties: r.specialties, languages: r.languages }));
    },

    async slots(q) {
      const found = await searchSlots(tx, { serviceId: q.serviceId, practitionerId: q.practitionerId ?? undefined, from: q.from, to: q.to, limit: q.limit, now });
      return found.map(slotOf);
    },

    async nearest(q) {
      const found = await nearestSlots(tx, { serviceId: q.serviceId, practitionerId: q.practitionerId ?? undefined, target: q.target, limit: q.limit, now });
      return found.map(slotOf);
    },

    async upcoming() {
      const list = await upcomingAppointments(tx, deps, patientId, now);
      return Promise.all(list.map(view));
    },

    async identity() {
      const r = await tx.selectFrom('patients').select(['given_name', 'date_of_birth']).where('id', '=', patientId).executeTakeFirst();
      return { name: (r?.given_name ?? null) !== null, dateOfBirth: (r?.date_of_birth ?? null) !== null };
    },

    async saveIdentity(p) {
      const names = splitName(p.name);
      await updatePatient(tx, { cipher: d.cipher, keys: d.keys }, patientId, { givenName: names.givenName, familyName: names.familyName, dateOfBirth: p.dateOfBirth }, now);
      await recordAudit(tx, { actor: { type: 'patient', id: patientId }, action: 'patient.identity', patientId, target: `patient:${patientId}`, at: now, details: { fields: 'name,dateOfBirth' } });
    },

    async book(s): Promise<AppointmentOutcome> {
      if (await busy(s.serviceId, s.start)) return { ok: false, code: 'patient_busy' };
      // The audit chain's lock before the practitioner's booking lock, as everywhere (appointments.ts).
      await holdAuditChain(tx, patientId);
      const r = await bookAppointment(tx, deps, { serviceId: s.serviceId, practitionerId: s.practitionerId, start: s.start, patientId, by, now });
      if (!r.ok) return r;
      await audit('appointment.book', r.appointment.id, { serviceId: s.serviceId, practitionerId: s.practitionerId, channel: 'whatsapp' });
      return { ok: true, appointment: await view(r.appointment) };
    },

    async cancel(id, note) {
      const a = await own(id);
      if (!a) return { ok: false, code: 'not_found' };
      const r = await cancelAppointment(tx, deps, { appointmentId: a.id, reason: 'patient_request', note, by, now });
      if (!r.ok) return r;
      const offers = await freed(r.appointment);
      await audit('appointment.cancel', a.id, { reason: 'patient_request', waitlistOffers: offers, channel: 'whatsapp' });
      return { ok: true, appointment: await view(r.appointment) };
    },

    async reschedule(id, to) {
      const a = await own(id);
      if (!a) return { ok: false, code: 'not_found' };
      await holdAuditChain(tx, patientId);
      const r = await rescheduleAppointment(tx, deps, { appointmentId: a.id, start: to.start, practitionerId: to.practitionerId, by, now });
      if (!r.ok) return r;
      await freed(r.previous);
      await audit('appointment.reschedule', r.appointment.id, { from: a.id, channel: 'whatsapp' });
      return { ok: true, appointment: await view(r.appointment) };
    },

    async confirm(id) {
      const a = await own(id);
      if (!a) return { ok: false, code: 'not_found' };
      if (a.state === 'confirmed') return { ok: true, appointment: await view(a) };
      const r = await markAppointment(tx, deps, { appointmentId: a.id, to: 'confirmed', by, now });
      if (!r.ok) return r;
      await audit('appointment.confirm', a.id, { channel: 'whatsapp' });
      return { ok: true, appointment: await view(r.appointment) };
    },

    async joinWaitlist(w) {
      const entry = await joinWaitlist(tx, { patientId, serviceId: w.serviceId, practitionerId: w.practitionerId, fromDate: w.fromDate, toDate: w.toDate, partOfDay: w.partOfDay, now });
      if (!entry) return false;
      await recordAudit(tx, { actor: { type: 'patient', id: patientId }, action: 'waitlist.join', patientId, target: `waitlist:${entry.id}`, at: now });
      return true;
    },

    async acceptOffer(offerId) {
      if (!/^[0-9a-f-]{36}$/i.test(offerId)) return { ok: false, code: 'not_found' };
      const mine = await tx.selectFrom('waitlist_offers').select('id').where('id', '=', offerId).where('patient_id', '=', patientId).executeTakeFirst();
      if (!mine) return { ok: false, code: 'not_found' };
      await holdAuditChain(tx, patientId);
      const r = await acceptOffer(tx, deps, offerId, now);
      if (!r.ok) return { ok: false, code: r.code };
      await audit('appointment.book', r.appointment.id, { serviceId: r.appointment.serviceId, practitionerId: r.appointment.practitionerId, channel: 'whatsapp', waitlistOffer: offerId });
      return { ok: true, appointment: await view(r.appointment) };
    },

    async declineOffer(offerId) {
      if (!/^[0-9a-f-]{36}$/i.test(offerId)) return false;
      const mine = await tx.selectFrom('waitlist_offers').select('id').where('id', '=', offerId).where('patient_id', '=', patientId).executeTakeFirst();
      return mine ? declineOffer(tx, offerId, now) : false;
    },
  };
}
