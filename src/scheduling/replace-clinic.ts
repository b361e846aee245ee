// Writes a clinic definition (schemas.ts) into the database, replacing what the clinic had. Locations,
// practitioners and services are matched by their stable code and updated in place, so their ids survive a
// re-seed and whatever refers to them (appointments, conversations) stays valid; rules, closures and FAQ
// entries are plain reference data and are rewritten. The caller owns the transaction.
import { sql } from 'kysely';
import type { Tx } from '../db/database.js';
import type { ClinicDefinition } from './schemas.js';

export interface ClinicCounts {
  locations: number;
  practitioners: number;
  services: number;
  practitionerServices: number;
  openingHours: number;
  closures: number;
  faqEntries: number;
}

const json = (v: unknown) => JSON.stringify(v);
const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

/** Creates or replaces the clinic with `def.code`; returns its id. Other clinics are not touched. */
export async function replaceClinic(tx: Tx, def: ClinicDefinition): Promise<string> {
  const clinicRow = {
    code: def.code,
    name: def.name,
    default_language: def.defaultLanguage,
    languages: def.languages,
    emergency_number: def.emergencyNumber,
    phone: def.phone,
    email: def.email,
    website: def.website,
  };
  const { id: clinicId } = await tx
    .insertInto('clinics')
    .values(clinicRow)
    .onConflict((oc) => oc.column('code').doUpdateSet({ ...clinicRow, updated_at: sql`now()` }))
    .returning('id')
    .executeTakeFirstOrThrow();

  // What the definition no longer has goes first (its rules and offers cascade with it).
  const keep = (codes: string[]) => (codes.length ? codes : ['']);
  await tx.deleteFrom('locations').where('clinic_id', '=', clinicId).where('code', 'not in', keep(def.locations.map((l) => l.code))).execute();
  await tx.deleteFrom('practitioners').where('clinic_id', '=', clinicId).where('code', 'not in', keep(def.practitioners.map((p) => p.code))).execute();
  await tx.deleteFrom('services').where('clinic_id', '=', clinicId).where('code', 'not in', keep(def.services.map((s) => s.code))).execute();
  for (const table of ['practitioner_services', 'opening_hours', 'closures', 'faq_entries'] as const) {
    await tx.deleteFrom(table).where('clinic_id', '=', clinicId).execute();
  }

  const locationIds = new Map<string, string>();
  for (const l of def.locations) {
    const row = {
      clinic_id: clinicId,
      code: l.code,
      name: l.name,
      address_line1: l.address.line1,
      address_line2: l.address.line2,
      postal_code: l.address.postalCode,
      city: l.address.city,
      country: l.address.country,
      time_zone: l.timeZone,
      phone: l.phone,
      emergency_number: l.emergencyNumber,
      languages: l.languages,
      accessibility_notes: jsonOrNull(l.accessibilityNotes),
      latitude: l.latitude,
      longitude: l.longitude,
      active: true,
    };
    const { id } = await tx
      .insertInto('locations')
      .values(row)
      .onConflict((oc) => oc.columns(['clinic_id', 'code']).doUpdateSet({ ...row, updated_at: sql`now()` }))
      .returning('id')
      .executeTakeFirstOrThrow();
    locationIds.set(l.code, id);
  }

  const practitionerIds = new Map<string, string>();
  for (const p of def.practitioners) {
    const row = {
      clinic_id: clinicId,
      code: p.code,
      display_name: p.displayName,
      title: p.title,
      specialties: p.specialties,
      languages: p.languages,
      active: true,
    };
    const { id } = await tx
      .insertInto('practitioners')
      .values(row)
      .onConflict((oc) => oc.columns(['clinic_id', 'code']).doUpdateSet({ ...row, updated_at: sql`now()` }))
      .returning('id')
      .executeTakeFirstOrThrow();
    practitionerIds.set(p.code, id);
  }

  const serviceIds = new Map<string, string>();
  for (const s of def.services) {
    const row = {
      clinic_id: clinicId,
      code: s.code,
      name: json(s.name),
      instructions: jsonOrNull(s.instructions),
      duration_minutes: s.durationMinutes,
      buffer_minutes: s.bufferMinutes,
      requires_referral: s.requiresReferral,
      active: true,
    };
    const { id } = await tx
      .insertInto('services')
      .values(row)
      .onConflict((oc) => oc.columns(['clinic_id', 'code']).doUpdateSet({ ...row, updated_at: sql`now()` }))
      .returning('id')
      .executeTakeFirstOrThrow();
    serviceIds.set(s.code, id);
  }

  // The definition was cross-checked by its schema, so a missing code here is a programming error.
  const idOf = (ids: Map<string, string>, code: string): string => {
    const id = ids.get(code);
    if (id === undefined) throw new Error(`clinic definition refers to unknown code ${code}`);
    return id;
  };

  const offers = def.practitioners.flatMap((p) =>
    p.at.flatMap((a) =>
      a.services.map((s) => ({
        clinic_id: clinicId,
        practitioner_id: idOf(practitionerIds, p.code),
        service_id: idOf(serviceIds, s),
        location_id: idOf(locationIds, a.location),
      })),
    ),
  );
  if (offers.length) await tx.insertInto('practitioner_services').values(offers).execute();

  const rule = (location: string, r: { weekday: number; start: string; end: string }) => ({
    clinic_id: clinicId,
    location_id: idOf(locationIds, location),
    weekday: r.weekday,
    start_time: r.start,
    end_time: r.end,
  });
  const hours = [
    ...def.locations.flatMap((l) => l.hours.map((r) => ({ ...rule(l.code, r), practitioner_id: null, service_id: null }))),
    ...def.practitioners.flatMap((p) =>
      p.at.flatMap((a) => a.sessions.map((r) => ({ ...rule(a.location, r), practitioner_id: idOf(practitionerIds, p.code), service_id: null }))),
    ),
    ...def.services.flatMap((s) => s.windows.map((w) => ({ ...rule(w.location, w), practitioner_id: null, service_id: idOf(serviceIds, s.code) }))),
  ];
  if (hours.length) await tx.insertInto('opening_hours').values(hours).execute();

  // Closures are whole local days: midnight to midnight in the location's own zone, so a holiday on a DST
  // change day is 23 or 25 hours long, as it should be.
  const closures = def.locations.flatMap((l) =>
    l.closures.map((c) => ({
      clinic_id: clinicId,
      location_id: idOf(locationIds, l.code),
      starts_at: sql<Date>`(${c.from}::date)::timestamp at time zone ${l.timeZone}`,
      ends_at: sql<Date>`(${c.to}::date + 1)::timestamp at time zone ${l.timeZone}`,
      reason: c.reason,
    })),
  );
  if (closures.length) await tx.insertInto('closures').values(closures).execute();

  const faq = def.faq.map((f) => ({ clinic_id: clinicId, location_id: null, ...f, updated_by: 'system:seed' }));
  if (faq.length) await tx.insertInto('faq_entries').values(faq).execute();

  return clinicId;
}

export async function countClinic(tx: Tx, clinicId: string): Promise<ClinicCounts> {
  const { rows } = await sql<ClinicCounts>`
    select
      (select count(*)::int from locations where clinic_id = ${clinicId}) as "locations",
      (select count(*)::int from practitioners where clinic_id = ${clinicId}) as "practitioners",
      (select count(*)::int from services where clinic_id = ${clinicId}) as "services",
      (select count(*)::int from practitioner_services where clinic_id = ${clinicId}) as "practitionerServices",
      (select count(*)::int from opening_hours where clinic_id = ${clinicId}) as "openingHours",
      (select count(*)::int from closures where clinic_id = ${clinicId}) as "closures",
      (select count(*)::int from faq_entries where clinic_id = ${clinicId}) as "faqEntries"
  `.execute(tx);
  const counts = rows[0];
  if (!counts) throw new Error('count query returned no row');
  return counts;
}
