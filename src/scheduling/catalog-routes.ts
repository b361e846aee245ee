// The clinic catalogue staff maintain: locations (with their opening hours), practitioners (with the
// services they give where), services, weekly availability (practitioner sessions) and exceptions (extra
// hours; leave, which is a closure with the practitioner). Reads for every role; the catalogue is the
// admin's, availability and exceptions also reception's. Removing a location, practitioner or service
// deactivates it (appointments keep referring to it). Every write is audited with ids, never content.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { Db, Tx } from '../db/database.js';
import { ANY_ROLE, type Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { e164, emergencyNumber, languageList, localizedText, serviceKeywords, slug, timeZone, weeklyRule } from './schemas.js';

const ADMIN: readonly Role[] = ['admin'];
const ROTA: readonly Role[] = ['admin', 'reception'];
const instant = z.iso.datetime({ offset: true });
const idParams = z.object({ id: z.uuid() });
const notFound = () => new AppError('not_found', 404, 'Not found');

const locationBody = z.object({
  code: slug,
  name: z.string().trim().min(1).max(200),
  addressLine1: z.string().trim().min(1).max(200),
  addressLine2: z.string().trim().min(1).max(200).nullable().default(null),
  postalCode: z.string().trim().min(1).max(20),
  city: z.string().trim().min(1).max(100),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR'),
  timeZone,
  phone: e164.nullable().default(null),
  emergencyNumber,
  languages: languageList,
  active: z.boolean().default(true),
});
const locationSchema = locationBody.extend({ id: z.uuid() });

const practitionerBody = z.object({
  code: slug,
  displayName: z.string().trim().min(1).max(200),
  title: z.string().trim().min(1).max(40).nullable().default(null),
  specialties: z.array(slug).max(20).default([]),
  languages: languageList,
  active: z.boolean().default(true),
});
const practitionerSchema = practitionerBody.extend({ id: z.uuid(), givesServices: z.array(z.object({ serviceId: z.uuid(), locationId: z.uuid() })) });

const serviceBody = z.object({
  code: slug,
  name: localizedText,
  instructions: localizedText.nullable().default(null),
  durationMinutes: z.number().int().min(1).max(480),
  bufferMinutes: z.number().int().min(0).max(240).default(0),
  mode: z.enum(['in_person', 'video']).default('in_person'),
  leadTimeMinutes: z.number().int().min(0).max(43_200).default(60),
  horizonDays: z.number().int().min(1).max(730).default(90),
  slotStepMinutes: z.number().int().min(5).max(480).nullable().default(null),
  requiresReferral: z.boolean().default(false),
  keywords: serviceKeywords,
  active: z.boolean().default(true),
});
const serviceOut = serviceBody.extend({ id: z.uuid() });

const rules = z.array(weeklyRule).max(100);
const sessionsBody = z.object({ locationId: z.uuid(), sessions: rules });
const ruleOut = z.object({ id: z.uuid(), locationId: z.uuid(), weekday: z.number(), start: z.string(), end: z.string() });
const exceptionBody = z.object({
  kind: z.enum(['extra_hours', 'leave']),
  /** Extra hours: where (required). Leave: only at this location; absent, everywhere. */
  locationId: z.uuid().optional(),
  start: instant,
  end: instant,
  reason: z.string().trim().min(1).max(200).optional(),
}).refine((e) => new Date(e.end) > new Date(e.start), { message: 'must end after it starts', path: ['end'] });
const exceptionOut = z.object({ id: z.uuid(), kind: z.enum(['extra_hours', 'leave']), locationId: z.uuid().nullable(), start: z.string(), end: z.string(), reason: z.string().nullable() });

async function clinicId(db: Db | Tx): Promise<string> {
  const c = await db.selectFrom('clinics').select('id').orderBy('created_at').limit(1).executeTakeFirst();
  if (!c) throw new AppError('no_clinic', 409, 'No clinic is set up yet (seed one first)');
  return c.id;
}

const sqlState = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);
/** A unique or check violation as a 409/400 problem (PHI-free: the catalogue holds none). */
async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const code = sqlState(e);
    if (code === '23505') throw new AppError('conflict', 409, 'A row with this code already exists');
    if (code === '23514' || code === '23503') throw new AppError('validation_failed', 400, 'The request is not valid', { detail: 'refused by a database constraint' });
    throw e;
  }
}

type LocationRow = { id: string; code: string; name: string; address_line1: string; address_line2: string | null; postal_code: string; city: string; country: string; time_zone: string; phone: string | null; emergency_number: string; languages: string[]; active: boolean };
const locationJson = (r: LocationRow) => ({
  id: r.id, code: r.code, name: r.name, addressLine1: r.address_line1, addressLine2: r.address_line2, postalCode: r.postal_code, city: r.city, country: r.country,
  timeZone: r.time_zone, phone: r.phone, emergencyNumber: r.emergency_number, languages: r.languages, active: r.active,
});
const locationCols = (b: Partial<z.infer<typeof locationBody>>) => ({
  ...(b.code !== undefined ? { code: b.code } : {}), ...(b.name !== undefined ? { name: b.name } : {}),
  ...(b.addressLine1 !== undefined ? { address_line1: b.addressLine1 } : {}), ...(b.addressLine2 !== undefined ? { address_line2: b.addressLine2 } : {}),
  ...(b.postalCode !== undefined ? { postal_code: b.postalCode } : {}), ...(b.city !== undefined ? { city: b.city } : {}), ...(b.country !== undefined ? { country: b.country } : {}),
  ...(b.timeZone !== undefined ? { time_zone: b.timeZone } : {}), ...(b.phone !== undefined ? { phone: b.phone } : {}),
  ...(b.emergencyNumber !== undefined ? { emergency_number: b.emergencyNumber } : {}), ...(b.languages !== undefined ? { languages: b.languages } : {}),
  ...(b.active !== undefined ? { active: b.active } : {}),
});

type ServiceRow = { id: string; code: string; name: Record<string, string>; instructions: Record<string, string> | null; duration_minutes: number; buffer_minutes: number; mode: 'in_person' | 'video'; lead_time_minutes: number; horizon_days: number; slot_step_minutes: number | null; requires_referral: boolean; keywords: string[]; active: boolean };
const serviceJson = (r: ServiceRow) => ({
  id: r.id, code: r.code, name: r.name, instructions: r.instructions, durationMinutes: r.duration_minutes, bufferMinutes: r.buffer_minutes, mode: r.mode,
  leadTimeMinutes: r.lead_time_minutes, horizonDays: r.horizon_days, slotStepMinutes: r.slot_step_minutes, requiresReferral: r.requires_referral, keywords: r.keywords, active: r.active,
});
const serviceCols = (b: Partial<z.infer<typeof serviceBody>>) => ({
  ...(b.code !== undefined ? { code: b.code } : {}), ...(b.name !== undefined ? { name: JSON.stringify(b.name) } : {}),
  ...(b.instructions !== undefined ? { instructions: b.instructions === null ? null : JSON.stringify(b.instructions) } : {}),
  ...(b.durationMinutes !== undefined ? { duration_minutes: b.durationMinutes } : {}), ...(b.bufferMinutes !== undefined ? { buffer_minutes: b.bufferMinutes } : {}),
  ...(b.mode !== undefined ? { mode: b.mode } : {}), ...(b.leadTimeMinutes !== undefined ? { lead_time_minutes: b.leadTimeMinutes } : {}),
  ...(b.horizonDays !== undefined ? { horizon_days: b.horizonDays } : {}), ...(b.slotStepMinutes !== undefined ? { slot_step_minutes: b.slotStepMinutes } : {}),
  ...(b.requiresReferral !== undefined ? { requires_referral: b.requiresReferral } : {}), ...(b.keywords !== undefined ? { keywords: b.keywords } : {}), ...(b.active !== undefined ? { active: b.active } : {}),
});
const serviceSelect = ['id', 'code', 'name', 'instructions', 'duration_minutes', 'buffer_minutes', 'mode', 'lead_time_minutes', 'horizon_days', 'slot_step_minutes', 'requires_referral', 'keywords', 'active'] as const;

type PractitionerRow = { id: string; code: string; display_name: string; title: string | null; specialties: string[]; languages: string[]; active: boolean };
const practitionerCols = (b: Partial<z.infer<typeof practitionerBody>>) => ({
  ...(b.code !== undefined ? { code: b.code } : {}), ...(b.displayName !== undefined ? { display_name: b.displayName } : {}), ...(b.title !== undefined ? { title: b.title } : {}),
  ...(b.specialties !== undefined ? { specialties: b.specialties } : {}), ...(b.languages !== undefined ? { languages: b.languages } : {}), ...(b.active !== undefined ? { active: b.active } : {}),
});

const hhmm = sql<string>`to_char(start_time, 'HH24:MI')`.as('start');
const hhmmEnd = sql<string>`case when end_time = '24:00' then '24:00' else to_char(end_time, 'HH24:MI') end`.as('end');

export function catalogRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    const audit = (tx: Tx, req: Parameters<typeof actorOf>[0], action: string, target: string) => recordAudit(tx, { actor: actorOf(req), action, target, ip: req.ip });

    async function practitionerJson(d: Db | Tx, r: PractitionerRow) {
      const given = await d.selectFrom('practitioner_services').select(['service_id', 'location_id']).where('practitioner_id', '=', r.id).orderBy('service_id').execute();
      return { id: r.id, code: r.code, displayName: r.display_name, title: r.title, specialties: r.specialties, languages: r.languages, active: r.active, givesServices: given.map((g) => ({ serviceId: g.service_id, locationId: g.location_id })) };
    }
    const practitionerSelect = ['id', 'code', 'display_name', 'title', 'specialties', 'languages', 'active'] as const;
    async function practitionerOr404(d: Db | Tx, id: string): Promise<PractitionerRow> {
      const r = await d.selectFrom('practitioners').select(practitionerSelect).where('id', '=', id).executeTakeFirst();
      if (!r) throw notFound();
      return r;
    }

    // Locations
    api.get('/locations', { config: { access: ANY_ROLE }, schema: { summary: 'Locations', tags: ['catalogue'], response: { 200: z.object({ items: z.array(locationSchema), nextCursor: z.null() }) } } }, async () => {
      const rows = await db.selectFrom('locations').selectAll().orderBy('code').execute();
      return { items: rows.map(locationJson), nextCursor: null };
    });
    api.post('/locations', { config: { access: ADMIN }, schema: { summary: 'Add a location', tags: ['catalogue'], body: locationBody, response: { 201: locationSchema } } }, async (req, reply) => {
      const created = await db.transaction().execute(async (tx) => {
        const b = req.body;
        const clinic = await clinicId(tx);
        const r = await guarded(() => tx.insertInto('locations').values({
          clinic_id: clinic, code: b.code, name: b.name, address_line1: b.addressLine1, address_line2: b.addressLine2, postal_code: b.postalCode, city: b.city, country: b.country,
          time_zone: b.timeZone, phone: b.phone, emergency_number: b.emergencyNumber, languages: b.languages, active: b.active,
        }).returningAll().executeTakeFirstOrThrow());
        await audit(tx, req, 'catalog.location.create', `location:${r.id}`);
        return r;
      });
      return reply.code(201).send(locationJson(created));
    });
    api.patch('/locations/:id', { config: { access: ADMIN }, schema: { summary: 'Edit a location', tags: ['catalogue'], params: idParams, body: locationBody.partial(), response: { 200: locationSchema } } }, async (req) => {
      const r = await db.transaction().execute(async (tx) => {
        const cols = locationCols(req.body);
        const row = await guarded(() => tx.updateTable('locations').set({ ...cols, updated_at: new Date() }).where('id', '=', req.params.id).returningAll().executeTakeFirst());
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.location.update', `location:${row.id}`);
        return row;
      });
      return locationJson(r);
    });
    api.delete('/locations/:id', { config: { access: ADMIN }, schema: { summary: 'Deactivate a location (no new bookings there)', tags: ['catalogue'], params: idParams } }, async (req, reply) => {
      await db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('locations').set({ active: false, updated_at: new Date() }).where('id', '=', req.params.id).returning('id').executeTakeFirst();
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.location.deactivate', `location:${row.id}`);
      });
      return reply.code(204).send();
    });
    api.get('/locations/:id/hours', { config: { access: ANY_ROLE }, schema: { summary: 'A location\'s opening hours', tags: ['catalogue'], params: idParams, response: { 200: z.object({ items: z.array(ruleOut), nextCursor: z.null() }) } } }, async (req) => {
      const rows = await db.selectFrom('opening_hours').select(['id', 'location_id', 'weekday', hhmm, hhmmEnd]).where('location_id', '=', req.params.id).where('practitioner_id', 'is', null).where('service_id', 'is', null).orderBy('weekday').orderBy('start_time').execute();
      return { items: rows.map((r) => ({ id: r.id, locationId: r.location_id, weekday: r.weekday, start: r.start, end: r.end })), nextCursor: null };
    });
    api.put('/locations/:id/hours', { config: { access: ADMIN }, schema: { summary: 'Replace a location\'s opening hours', tags: ['catalogue'], params: idParams, body: z.object({ hours: rules }), response: { 200: z.object({ items: z.array(ruleOut), nextCursor: z.null() }) } } }, async (req) => {
      const rows = await db.transaction().execute(async (tx) => {
        const loc = await tx.selectFrom('locations').select(['id', 'clinic_id']).where('id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!loc) throw notFound();
        await tx.deleteFrom('opening_hours').where('location_id', '=', loc.id).where('practitioner_id', 'is', null).where('service_id', 'is', null).execute();
        const out = req.body.hours.length ? await tx.insertInto('opening_hours').values(req.body.hours.map((h) => ({ clinic_id: loc.clinic_id, location_id: loc.id, weekday: h.weekday, start_time: h.start, end_time: h.end }))).returning(['id', 'location_id', 'weekday', hhmm, hhmmEnd]).execute() : [];
        await audit(tx, req, 'catalog.location.hours', `location:${loc.id}`);
        return out;
      });
      return { items: rows.map((r) => ({ id: r.id, locationId: r.location_id, weekday: r.weekday, start: r.start, end: r.end })), nextCursor: null };
    });

    // Services (GET /services is in routes.ts, with names in the clinic's language)
    api.post('/services', { config: { access: ADMIN }, schema: { summary: 'Add a service', tags: ['catalogue'], body: serviceBody, response: { 201: serviceOut } } }, async (req, reply) => {
      const r = await db.transaction().execute(async (tx) => {
        const b = req.body;
        const clinic = await clinicId(tx);
        const row = await guarded(() => tx.insertInto('services').values({
          clinic_id: clinic, code: b.code, name: JSON.stringify(b.name), instructions: b.instructions ? JSON.stringify(b.instructions) : null, duration_minutes: b.durationMinutes,
          buffer_minutes: b.bufferMinutes, mode: b.mode, lead_time_minutes: b.leadTimeMinutes, horizon_days: b.horizonDays, slot_step_minutes: b.slotStepMinutes,
          requires_referral: b.requiresReferral, keywords: b.keywords, active: b.active,
        }).returning(serviceSelect).executeTakeFirstOrThrow());
        await audit(tx, req, 'catalog.service.create', `service:${row.id}`);
        return row;
      });
      return reply.code(201).send(serviceJson(r));
    });
    api.patch('/services/:id', { config: { access: ADMIN }, schema: { summary: 'Edit a service', tags: ['catalogue'], params: idParams, body: serviceBody.partial(), response: { 200: serviceOut } } }, async (req) => {
      const r = await db.transaction().execute(async (tx) => {
        const row = await guarded(() => tx.updateTable('services').set({ ...serviceCols(req.body), updated_at: new Date() }).where('id', '=', req.params.id).returning(serviceSelect).executeTakeFirst());
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.service.update', `service:${row.id}`);
        return row;
      });
      return serviceJson(r);
    });
    api.delete('/services/:id', { config: { access: ADMIN }, schema: { summary: 'Deactivate a service (no new bookings)', tags: ['catalogue'], params: idParams } }, async (req, reply) => {
      await db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('services').set({ active: false, updated_at: new Date() }).where('id', '=', req.params.id).returning('id').executeTakeFirst();
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.service.deactivate', `service:${row.id}`);
      });
      return reply.code(204).send();
    });

    // Practitioners
    api.get('/practitioners', { config: { access: ANY_ROLE }, schema: { summary: 'Practitioners and the services they give where', tags: ['catalogue'], response: { 200: z.object({ items: z.array(practitionerSchema), nextCursor: z.null() }) } } }, async () => {
      const rows = await db.selectFrom('practitioners').select(practitionerSelect).orderBy('code').execute();
      return { items: await Promise.all(rows.map((r) => practitionerJson(db, r))), nextCursor: null };
    });
    api.post('/practitioners', { config: { access: ADMIN }, schema: { summary: 'Add a practitioner', tags: ['catalogue'], body: practitionerBody, response: { 201: practitionerSchema } } }, async (req, reply) => {
      const out = await db.transaction().execute(async (tx) => {
        const b = req.body;
        const clinic = await clinicId(tx);
        const row = await guarded(() => tx.insertInto('practitioners').values({ clinic_id: clinic, code: b.code, display_name: b.displayName, title: b.title, specialties: b.specialties, languages: b.languages, active: b.active }).returning(practitionerSelect).executeTakeFirstOrThrow());
        await audit(tx, req, 'catalog.practitioner.create', `practitioner:${row.id}`);
        return practitionerJson(tx, row);
      });
      return reply.code(201).send(out);
    });
    api.patch('/practitioners/:id', { config: { access: ADMIN }, schema: { summary: 'Edit a practitioner', tags: ['catalogue'], params: idParams, body: practitionerBody.partial(), response: { 200: practitionerSchema } } }, async (req) => {
      return db.transaction().execute(async (tx) => {
        const row = await guarded(() => tx.updateTable('practitioners').set({ ...practitionerCols(req.body), updated_at: new Date() }).where('id', '=', req.params.id).returning(practitionerSelect).executeTakeFirst());
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.practitioner.update', `practitioner:${row.id}`);
        return practitionerJson(tx, row);
      });
    });
    api.delete('/practitioners/:id', { config: { access: ADMIN }, schema: { summary: 'Deactivate a practitioner (no new bookings)', tags: ['catalogue'], params: idParams } }, async (req, reply) => {
      await db.transaction().execute(async (tx) => {
        const row = await tx.updateTable('practitioners').set({ active: false, updated_at: new Date() }).where('id', '=', req.params.id).returning('id').executeTakeFirst();
        if (!row) throw notFound();
        await audit(tx, req, 'catalog.practitioner.deactivate', `practitioner:${row.id}`);
      });
      return reply.code(204).send();
    });
    api.put('/practitioners/:id/services', { config: { access: ADMIN }, schema: { summary: 'Replace which services the practitioner gives where', tags: ['catalogue'], params: idParams, body: z.object({ services: z.array(z.object({ serviceId: z.uuid(), locationId: z.uuid() })).max(200) }), response: { 200: practitionerSchema } } }, async (req) => {
      return db.transaction().execute(async (tx) => {
        const p = await tx.selectFrom('practitioners').select(['id', 'clinic_id']).where('id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!p) throw notFound();
        await tx.deleteFrom('practitioner_services').where('practitioner_id', '=', p.id).execute();
        if (req.body.services.length) {
          await guarded(() => tx.insertInto('practitioner_services').values(req.body.services.map((s) => ({ clinic_id: p.clinic_id, practitioner_id: p.id, service_id: s.serviceId, location_id: s.locationId }))).onConflict((oc) => oc.doNothing()).execute());
        }
        await audit(tx, req, 'catalog.practitioner.services', `practitioner:${p.id}`);
        return practitionerJson(tx, await practitionerOr404(tx, p.id));
      });
    });

    // Weekly availability: the practitioner's sessions at a location
    api.get('/practitioners/:id/sessions', { config: { access: ANY_ROLE }, schema: { summary: 'The practitioner\'s weekly sessions', tags: ['availability'], params: idParams, response: { 200: z.object({ items: z.array(ruleOut), nextCursor: z.null() }) } } }, async (req) => {
      const rows = await db.selectFrom('opening_hours').select(['id', 'location_id', 'weekday', hhmm, hhmmEnd]).where('practitioner_id', '=', req.params.id).orderBy('location_id').orderBy('weekday').orderBy('start_time').execute();
      return { items: rows.map((r) => ({ id: r.id, locationId: r.location_id, weekday: r.weekday, start: r.start, end: r.end })), nextCursor: null };
    });
    api.put('/practitioners/:id/sessions', { config: { access: ROTA }, schema: { summary: 'Replace the practitioner\'s weekly sessions at one location', tags: ['availability'], params: idParams, body: sessionsBody, response: { 200: z.object({ items: z.array(ruleOut), nextCursor: z.null() }) } } }, async (req) => {
      const rows = await db.transaction().execute(async (tx) => {
        const p = await tx.selectFrom('practitioners').select(['id', 'clinic_id']).where('id', '=', req.params.id).forUpdate().executeTakeFirst();
        if (!p) throw notFound();
        const loc = req.body.locationId;
        await tx.deleteFrom('opening_hours').where('practitioner_id', '=', p.id).where('location_id', '=', loc).execute();
        const out = req.body.sessions.length
          ? await guarded(() => tx.insertInto('opening_hours').values(req.body.sessions.map((s) => ({ clinic_id: p.clinic_id, location_id: loc, practitioner_id: p.id, weekday: s.weekday, start_time: s.start, end_time: s.end }))).returning(['id', 'location_id', 'weekday', hhmm, hhmmEnd]).execute())
          : [];
        await audit(tx, req, 'availability.sessions', `practitioner:${p.id}`);
        return out;
      });
      return { items: rows.map((r) => ({ id: r.id, locationId: r.location_id, weekday: r.weekday, start: r.start, end: r.end })), nextCursor: null };
    });

    // Exceptions: extra hours and leave
    api.get('/practitioners/:id/exceptions', {
      config: { access: ANY_ROLE },
      schema: { summary: 'The practitioner\'s extra hours and leave overlapping a time range', tags: ['availability'], params: idParams, querystring: z.object({ from: instant.optional(), to: instant.optional() }), response: { 200: z.object({ items: z.array(exceptionOut), nextCursor: z.null() }) } },
    }, async (req) => {
      const from = req.query.from ? new Date(req.query.from) : null;
      const to = req.query.to ? new Date(req.query.to) : null;
      const [extra, leave] = await Promise.all([
        db.selectFrom('availability_exceptions').select(['id', 'location_id', 'starts_at', 'ends_at', 'reason']).where('practitioner_id', '=', req.params.id)
          .$if(from !== null, (q) => q.where('ends_at', '>', from!)).$if(to !== null, (q) => q.where('starts_at', '<', to!)).execute(),
        db.selectFrom('closures').select(['id', 'location_id', 'starts_at', 'ends_at', 'reason']).where('practitioner_id', '=', req.params.id)
          .$if(from !== null, (q) => q.where('ends_at', '>', from!)).$if(to !== null, (q) => q.where('starts_at', '<', to!)).execute(),
      ]);
      const items = [
        ...extra.map((e) => ({ id: e.id, kind: 'extra_hours' as const, locationId: e.location_id, start: e.starts_at.toISOString(), end: e.ends_at.toISOString(), reason: e.reason })),
        ...leave.map((e) => ({ id: e.id, kind: 'leave' as const, locationId: e.location_id, start: e.starts_at.toISOString(), end: e.ends_at.toISOString(), reason: e.reason })),
      ].sort((a, b) => a.start.localeCompare(b.start));
      return { items, nextCursor: null };
    });
    api.post('/practitioners/:id/exceptions', { config: { access: ROTA }, schema: { summary: 'Add extra hours or leave', tags: ['availability'], params: idParams, body: exceptionBody, response: { 201: exceptionOut } } }, async (req, reply) => {
      const b = req.body;
      const out = await db.transaction().execute(async (tx) => {
        const p = await tx.selectFrom('practitioners').select(['id', 'clinic_id']).where('id', '=', req.params.id).executeTakeFirst();
        if (!p) throw notFound();
        const values = { clinic_id: p.clinic_id, practitioner_id: p.id, location_id: b.locationId ?? null, starts_at: new Date(b.start), ends_at: new Date(b.end) };
        let row: { id: string; location_id: string | null; starts_at: Date; ends_at: Date; reason: string | null };
        if (b.kind === 'extra_hours') {
          if (!b.locationId) throw new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'body', path: '/locationId', message: 'extra hours need a location' }] });
          row = await guarded(() => tx.insertInto('availability_exceptions').values({ ...values, location_id: b.locationId!, reason: b.reason ?? null }).returning(['id', 'location_id', 'starts_at', 'ends_at', 'reason']).executeTakeFirstOrThrow());
        } else {
          row = await guarded(() => tx.insertInto('closures').values({ ...values, reason: b.reason ?? 'leave' }).returning(['id', 'location_id', 'starts_at', 'ends_at', 'reason']).executeTakeFirstOrThrow());
        }
        await audit(tx, req, `availability.${b.kind}.create`, `practitioner:${p.id}`);
        return { id: row.id, kind: b.kind, locationId: row.location_id, start: row.starts_at.toISOString(), end: row.ends_at.toISOString(), reason: row.reason };
      });
      return reply.code(201).send(out);
    });
    api.delete('/practitioners/:id/exceptions/:exceptionId', { config: { access: ROTA }, schema: { summary: 'Remove extra hours or leave', tags: ['availability'], params: z.object({ id: z.uuid(), exceptionId: z.uuid() }) } }, async (req, reply) => {
      await db.transaction().execute(async (tx) => {
        const a = await tx.deleteFrom('availability_exceptions').where('id', '=', req.params.exceptionId).where('practitioner_id', '=', req.params.id).executeTakeFirst();
        const b = Number(a.numDeletedRows) > 0 ? null : await tx.deleteFrom('closures').where('id', '=', req.params.exceptionId).where('practitioner_id', '=', req.params.id).executeTakeFirst();
        if (b && Number(b.numDeletedRows) === 0) throw notFound();
        await audit(tx, req, 'availability.exception.delete', `practitioner:${req.params.id}`);
      });
      return reply.code(204).send();
    });

  };
}
