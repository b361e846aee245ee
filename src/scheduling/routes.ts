// The scheduling staff API: services (read), slot search, and appointments — book on a patient's behalf
// (found by phone or created, name and date of birth sealed; consent collected at the desk recorded),
// list and read them, cancel, reschedule, confirm, arrived, no-show, completed. Desk roles (admin,
// clinician, reception) for everything about patients; analysts see services and slots only. Every write
// and every read of a patient's appointments is in the audit trail, PHI-free.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, currentConsents, holdAuditChain, phoneIndex, recordAudit, recordConsent } from '../compliance/index.js';
import type { Tx } from '../db/database.js';
import { ANY_ROLE, decodeCursor, listSchema, page, principalOf, type Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { findPatientsByPhone, phoneDigits, updatePatient } from '../patients/index.js';
import { enqueue } from '../whatsapp/outbox.js';
import {
  APPOINTMENT_STATES, bookAppointment, cancelAppointment, CANCEL_REASONS, getAppointment, listAppointments, markAppointment, rescheduleAppointment,
  type Appointment, type AppointmentDeps, type BookingFailure, type SchedulingActor,
} from './appointments.js';
import { confirmationMessage } from '../flows/booking/format.js';
import { appointmentView } from './appointment-view.js';
import { remindersOf } from '../reminders/repo.js';
import { translator } from '../flows/i18n.js';
import { isLanguage } from '../nlu/types.js';
import { searchSlots } from './slot-search.js';
import { offerFreedSlot } from './waitlist.js';

const DESK: readonly Role[] = ['admin', 'clinician', 'reception'];
const DAY = 86_400_000;
const instant = z.iso.datetime({ offset: true });

const reminderSchema = z.object({
  dueAt: z.string(), state: z.enum(['scheduled', 'sent', 'cancelled', 'skipped']), reason: z.string().optional(), offsetMinutes: z.number(),
});

export const appointmentSchema = z.object({
  id: z.uuid(),
  serviceId: z.uuid(),
  practitionerId: z.uuid(),
  locationId: z.uuid(),
  patientId: z.uuid(),
  start: z.string(),
  end: z.string(),
  state: z.enum(APPOINTMENT_STATES),
  bookedBy: z.object({ type: z.string(), id: z.string().nullable() }),
  cancelReason: z.string().nullable(),
  cancelledBy: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
  rescheduledTo: z.uuid().nullable(),
  videoUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function appointmentJson(a: Appointment): z.infer<typeof appointmentSchema> {
  return {
    id: a.id, serviceId: a.serviceId, practitionerId: a.practitionerId, locationId: a.locationId, patientId: a.patientId,
    start: a.start.toISOString(), end: a.end.toISOString(), state: a.state, bookedBy: a.bookedBy, cancelReason: a.cancelReason, cancelledBy: a.cancelledBy,
    rescheduledTo: a.rescheduledTo, videoUrl: a.videoUrl, createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(),
  };
}

const notifiedSchema = z.object({
  sent: z.boolean(),
  /** queued; or why nothing was sent: no_consent, opted_out, window_closed (a template is needed: issue 15), no_phone. */
  reason: z.enum(['queued', 'no_consent', 'opted_out', 'window_closed', 'no_phone']),
});

const bookBody = z.object({
  serviceId: z.uuid(),
  practitionerId: z.uuid(),
  start: instant,
  patient: z.object({
    phone: z.string().trim().min(6).max(32).refine((p) => phoneDigits(p) !== null, 'must be a phone number such as +33 6 12 34 56 78'),
    name: z.string().trim().min(1).max(200),
    dateOfBirth: z.iso.date().optional(),
    whatsappOptIn: z.boolean().optional(),
  }),
});

const listQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  state: z.enum(APPOINTMENT_STATES).optional(),
  practitionerId: z.uuid().optional(),
  patientId: z.uuid().optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const apptCursor = z.object({ s: z.number().int(), id: z.uuid() });

const slotQuery = z.object({
  serviceId: z.uuid(),
  from: instant,
  to: instant,
  practitionerId: z.uuid().optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const slotCursor = z.object({ s: z.number().int(), p: z.uuid() });
const slotSchema = z.object({ practitionerId: z.uuid(), locationId: z.uuid(), serviceId: z.uuid(), start: z.string(), end: z.string() });

const idParams = z.object({ id: z.uuid() });
const cancelBody = z.object({ reason: z.enum(CANCEL_REASONS).default('clinic_request'), note: z.string().trim().min(1).max(500).optional() });
const rescheduleBody = z.object({ start: instant, practitionerId: z.uuid().optional() });

const FAILURE_STATUS: Record<BookingFailure, { status: number; title: string }> = {
  slot_taken: { status: 409, title: 'The slot is taken' },
  outside_availability: { status: 409, title: 'The time is outside the practitioner\'s availability for this service' },
  outside_booking_window: { status: 409, title: 'The time is in the past, or outside the service\'s booking window' },
  unknown_service: { status: 404, title: 'No such service' },
  unknown_patient: { status: 404, title: 'No such patient' },
};
const bookingError = (code: BookingFailure) => new AppError(code, FAILURE_STATUS[code].status, FAILURE_STATUS[code].title);
const notFound = () => new AppError('not_found', 404, 'Not found');

/** Who acts, as the appointment history says it. */
export function schedulingActor(req: FastifyRequest): SchedulingActor {
  const p = principalOf(req);
  return p.kind === 'user' ? { type: 'staff', id: p.id } : { type: 'token', id: p.id };
}

/** Splits "Marie-Claire Dupont Durand" into given ("Marie-Claire") and family ("Dupont Durand") names; one word is a given name. */
export function splitName(name: string): { givenName: string; familyName: string | null } {
  const words = name.trim().split(/\s+/);
  return words.length === 1 ? { givenName: words[0]!, familyName: null } : { givenName: words[0]!, familyName: words.slice(1).join(' ') };
}

export function schedulingRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  const deps: AppointmentDeps = { keys: ctx.keys, videoUrlTemplate: ctx.config.videoUrlTemplate };
  const dir = { cipher: ctx.cipher, keys: ctx.keys };

  /** The patient with this phone, or a new one (no 24 h window: they have not written). */
  async function patientFor(tx: Tx, p: z.infer<typeof bookBody>['patient'], now: Date): Promise<{ id: string; created: boolean }> {
    const digits = phoneDigits(p.phone)!;
    const found = await findPatientsByPhone(tx, ctx.cipher, digits);
    if (found[0]) return { id: found[0], created: false };
    const index = phoneIndex(ctx.cipher, digits);
    const inserted = await tx.insertInto('patients').values({ wa_id_index: index, created_at: now, updated_at: now }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    if (!inserted) {
      const again = await findPatientsByPhone(tx, ctx.cipher, digits);
      if (!again[0]) throw new Error('patient vanished during upsert');
      return { id: again[0], created: false };
    }
    const own = await ctx.keys.forPatient(tx, inserted.id);
    await tx.updateTable('patients').set({ wa_id_sealed: own.encrypt(digits) }).where('id', '=', inserted.id).execute();
    return { id: inserted.id, created: true };
  }

  /** A confirmation on WhatsApp when the patient consented to care messages and their 24 h window is open. */
  async function notify(tx: Tx, a: Appointment, phone: string, now: Date): Promise<z.infer<typeof notifiedSchema>> {
    const consents = await currentConsents(tx, a.patientId);
    if (consents.optedOut) return { sent: false, reason: 'opted_out' };
    if (!consents.care?.granted) return { sent: false, reason: 'no_consent' };
    const p = await tx.selectFrom('patients').select(['last_inbound_at', 'language']).where('id', '=', a.patientId).executeTakeFirstOrThrow();
    if (!p.last_inbound_at || now.getTime() - p.last_inbound_at.getTime() >= DAY) return { sent: false, reason: 'window_closed' };
    const clinic = await tx.selectFrom('clinics').select('default_language').where('id', '=', a.clinicId).executeTakeFirstOrThrow();
    const zone = await tx.selectFrom('locations').select('time_zone').where('id', '=', a.locationId).executeTakeFirstOrThrow();
    // The chat's own confirmation (src/flows/booking), in the patient's language and the location's zone.
    const tag = p.language?.toLowerCase().split(/[-_]/)[0];
    const language = isLanguage(tag) ? tag : isLanguage(clinic.default_language) ? clinic.default_language : 'en';
    const message = confirmationMessage(translator(language, zone.time_zone), await appointmentView(tx, a, language, clinic.default_language), 'booking.bookedBody');
    const own = await ctx.keys.forPatient(tx, a.patientId);
    await enqueue(tx, own, { patientId: a.patientId, phone, bsuid: null }, [message], { purpose: 'care', idempotencyKey: `appointment-booked:${a.id}` });
    return { sent: true, reason: 'queued' };
  }

  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.get('/services', {
      config: { access: ANY_ROLE },
      schema: {
        summary: 'Services: name in the clinic\'s default language and per language, duration, mode, booking rules, who gives them where', tags: ['scheduling'],
        querystring: z.object({ includeInactive: z.coerce.boolean().default(false) }),
        response: { 200: listSchema(z.object({
          id: z.uuid(), code: z.string(), name: z.string(), names: z.record(z.string(), z.string()), instructions: z.record(z.string(), z.string()).nullable(),
          durationMinutes: z.number(), bufferMinutes: z.number(), mode: z.enum(['in_person', 'video']), leadTimeMinutes: z.number(), horizonDays: z.number(),
          slotStepMinutes: z.number(), requiresReferral: z.boolean(), keywords: z.array(z.string()), active: z.boolean(),
          givenBy: z.array(z.object({ practitionerId: z.uuid(), locationId: z.uuid() })),
        })) },
      },
    }, async (req) => {
      const rows = await db.selectFrom('services as s').innerJoin('clinics as c', 'c.id', 's.clinic_id')
        .select(['s.id', 's.code', 's.name', 's.instructions', 's.duration_minutes', 's.buffer_minutes', 's.mode', 's.lead_time_minutes', 's.horizon_days', 's.slot_step_minutes', 's.requires_referral', 's.keywords', 's.active', 'c.default_language'])
        .$if(!req.query.includeInactive, (q) => q.where('s.active', '=', true))
        .orderBy('s.code').execute();
      const given = rows.length ? await db.selectFrom('practitioner_services').select(['service_id', 'practitioner_id', 'location_id']).where('service_id', 'in', rows.map((r) => r.id)).execute() : [];
      return {
        items: rows.map((r) => ({
          id: r.id, code: r.code, name: r.name[r.default_language] ?? Object.values(r.name)[0]!, names: r.name, instructions: r.instructions,
          durationMinutes: r.duration_minutes, bufferMinutes: r.buffer_minutes, mode: r.mode, leadTimeMinutes: r.lead_time_minutes, horizonDays: r.horizon_days,
          slotStepMinutes: r.slot_step_minutes ?? r.duration_minutes, requiresReferral: r.requires_referral, keywords: r.keywords, active: r.active,
          givenBy: given.filter((g) => g.service_id === r.id).map((g) => ({ practitionerId: g.practitioner_id, locationId: g.location_id })),
        })),
        nextCursor: null,
      };
    });

    api.get('/slots', {
      config: { access: ANY_ROLE },
      schema: { summary: 'Free slots of a service between two instants (at most 62 days), earliest first', tags: ['scheduling'], querystring: slotQuery, response: { 200: listSchema(slotSchema) } },
    }, async (req) => {
      const q = req.query;
      const from = new Date(q.from);
      const to = new Date(q.to);
      if (to <= from || to.getTime() - from.getTime() > 62 * DAY) {
        throw new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'querystring', path: '/to', message: 'must be after from, at most 62 days later' }] });
      }
      const c = decodeCursor(slotCursor, q.cursor);
      const found = await searchSlots(db, { serviceId: q.serviceId, practitionerId: q.practitionerId, from, to, limit: q.limit + 1, after: c ? { start: new Date(c.s), practitionerId: c.p } : undefined, now: ctx.clock.now() });
      return page(found, q.limit, (s) => ({ practitionerId: s.practitionerId, locationId: s.locationId, serviceId: s.serviceId, start: s.start.toISOString(), end: s.end.toISOString() }), (s) => ({ s: s.start.getTime(), p: s.practitionerId }));
    });

    api.post('/appointments', {
      config: { access: DESK },
      schema: {
        summary: 'Book on a patient\'s behalf (found by phone or created); 409 when the slot is taken or outside availability', tags: ['appointments'], body: bookBody,
        response: { 201: appointmentSchema.extend({ notified: notifiedSchema, patientCreated: z.boolean() }) },
      },
    }, async (req, reply) => {
      const b = req.body;
      const now = ctx.clock.now();
      const by = schedulingActor(req);
      const actor = actorOf(req);
      const result = await db.transaction().execute(async (tx) => {
        // The audit chain's lock before the practitioner's booking lock, as in every transaction that audits
        // (the chat's holds it from its message.in entry): one order, no deadlock between the two.
        await holdAuditChain(tx);
        const patient = await patientFor(tx, b.patient, now);
        const booked = await bookAppointment(tx, deps, { serviceId: b.serviceId, practitionerId: b.practitionerId, start: new Date(b.start), patientId: patient.id, by, now });
        // Thrown inside the transaction: a refused booking leaves no patient, consent or audit entry behind.
        if (!booked.ok) throw bookingError(booked.code);
        // Particulars fill what is missing; the desk edits a known patient's through /api/patients.
        const card = await tx.selectFrom('patients').select(['given_name', 'date_of_birth']).where('id', '=', patient.id).executeTakeFirstOrThrow();
        const names = splitName(b.patient.name);
        await updatePatient(tx, dir, patient.id, {
          ...(card.given_name === null ? { givenName: names.givenName, familyName: names.familyName } : {}),
          ...(card.date_of_birth === null && b.patient.dateOfBirth ? { dateOfBirth: b.patient.dateOfBirth } : {}),
        }, now);
        if (b.patient.whatsappOptIn) {
          await recordConsent(tx, {
            patientId: patient.id, purpose: 'care', granted: true, textVersion: 'desk-1', language: null, channel: 'desk',
            recordedBy: principalOf(req).userId, source: 'desk', at: now, actor, ip: req.ip,
          });
        }
        await recordAudit(tx, {
          actor, action: 'appointment.book', patientId: patient.id, target: `appointment:${booked.appointment.id}`, ip: req.ip,
          details: { serviceId: b.serviceId, practitionerId: b.practitionerId, patientCreated: patient.created },
        });
        const notified = await notify(tx, booked.appointment, phoneDigits(b.patient.phone)!, now);
        return { appointment: booked.appointment, notified, patientCreated: patient.created };
      });
      if (result.notified.sent) ctx.wake.wake('sender');
      return reply.code(201).send({ ...appointmentJson(result.appointment), notified: result.notified, patientCreated: result.patientCreated });
    });

    api.get('/appointments', {
      config: { access: DESK },
      schema: { summary: 'Appointments by start time, filtered by time range, state, practitioner, patient', tags: ['appointments'], querystring: listQuery, response: { 200: listSchema(appointmentSchema) } },
    }, async (req) => {
      const q = req.query;
      const c = decodeCursor(apptCursor, q.cursor);
      const found = await listAppointments(db, deps, {
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, state: q.state, practitionerId: q.practitionerId, patientId: q.patientId,
        after: c ? { start: new Date(c.s), id: c.id } : undefined, limit: q.limit + 1,
      });
      const result = page(found, q.limit, appointmentJson, (a) => ({ s: a.start.getTime(), id: a.id }));
      await db.transaction().execute((tx) => recordAudit(tx, {
        actor: actorOf(req), action: 'appointment.list', patientId: q.patientId ?? null, ip: req.ip, details: { results: result.items.length, byPatient: q.patientId !== undefined },
      }));
      return result;
    });

    api.get('/appointments/:id', {
      config: { access: DESK },
      schema: { summary: 'One appointment, with its video link for staff and its reminders', tags: ['appointments'], params: idParams, response: { 200: appointmentSchema.extend({ reminders: z.array(reminderSchema) }) } },
    }, async (req) => {
      const a = await getAppointment(db, deps, req.params.id);
      if (!a) throw notFound();
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'appointment.view', patientId: a.patientId, target: `appointment:${a.id}`, ip: req.ip }));
      return { ...appointmentJson(a), reminders: await remindersOf(db, a.id) };
    });

    api.post('/appointments/:id/cancel', {
      config: { access: DESK },
      schema: { summary: 'Cancel (with a reason); the freed time is offered to the waitlist', tags: ['appointments'], params: idParams, body: cancelBody, response: { 200: appointmentSchema.extend({ waitlistOffers: z.number() }) } },
    }, async (req) => {
      const now = ctx.clock.now();
      const out = await db.transaction().execute(async (tx) => {
        const r = await cancelAppointment(tx, deps, { appointmentId: req.params.id, reason: req.body.reason, note: req.body.note ?? null, by: schedulingActor(req), now });
        if (!r.ok) throw r.code === 'not_found' ? notFound() : new AppError('invalid_transition', 409, 'The appointment cannot be cancelled in its state');
        const a = r.appointment;
        const offers = await offerFreedSlot(tx, { serviceId: a.serviceId, practitionerId: a.practitionerId, locationId: a.locationId, start: a.start, end: a.end }, { now });
        await recordAudit(tx, { actor: actorOf(req), action: 'appointment.cancel', patientId: a.patientId, target: `appointment:${a.id}`, ip: req.ip, details: { reason: req.body.reason, waitlistOffers: offers.length } });
        return { a, offers: offers.length };
      });
      return { ...appointmentJson(out.a), waitlistOffers: out.offers };
    });

    api.post('/appointments/:id/reschedule', {
      config: { access: DESK },
      schema: { summary: 'Move to another time (and practitioner); the old time is freed only when the new one is taken', tags: ['appointments'], params: idParams, body: rescheduleBody, response: { 200: appointmentSchema.extend({ previous: appointmentSchema }) } },
    }, async (req) => {
      const now = ctx.clock.now();
      const out = await db.transaction().execute(async (tx) => {
        await holdAuditChain(tx);
        const r = await rescheduleAppointment(tx, deps, { appointmentId: req.params.id, start: new Date(req.body.start), practitionerId: req.body.practitionerId, by: schedulingActor(req), now });
        if (!r.ok) {
          if (r.code === 'not_found') throw notFound();
          if (r.code === 'invalid_transition') throw new AppError('invalid_transition', 409, 'The appointment cannot be moved in its state');
          throw bookingError(r.code);
        }
        const old = r.previous;
        await offerFreedSlot(tx, { serviceId: old.serviceId, practitionerId: old.practitionerId, locationId: old.locationId, start: old.start, end: old.end }, { now });
        await recordAudit(tx, { actor: actorOf(req), action: 'appointment.reschedule', patientId: old.patientId, target: `appointment:${r.appointment.id}`, ip: req.ip, details: { from: old.id } });
        return r;
      });
      return { ...appointmentJson(out.appointment), previous: appointmentJson(out.previous) };
    });

    for (const [path, to] of [['confirm', 'confirmed'], ['arrived', 'arrived'], ['noshow', 'noshow'], ['completed', 'completed']] as const) {
      api.post(`/appointments/:id/${path}`, {
        config: { access: DESK },
        schema: { summary: `Mark the appointment ${to}`, tags: ['appointments'], params: idParams, response: { 200: appointmentSchema } },
      }, async (req) => {
        const now = ctx.clock.now();
        const a = await db.transaction().execute(async (tx) => {
          const r = await markAppointment(tx, deps, { appointmentId: req.params.id, to, by: schedulingActor(req), now });
          if (!r.ok) throw r.code === 'not_found' ? notFound() : new AppError('invalid_transition', 409, `The appointment cannot be marked ${to} in its state`);
          await recordAudit(tx, { actor: actorOf(req), action: `appointment.${path}`, patientId: r.appointment.patientId, target: `appointment:${r.appointment.id}`, ip: req.ip });
          return r.appointment;
        });
        return appointmentJson(a);
      });
    }
  };
}
