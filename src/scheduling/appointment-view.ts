// An appointment as the patient is told about it (the chat's confirmations and status, staff bookings'
// WhatsApp confirmation): the service and its preparation in the patient's language, the practitioner, the
// location's address for an in-person visit or the join link for a video visit (never both).
import type { AppointmentView } from '../conversation/flow.js';
import type { DbOrTx } from '../db/database.js';
import type { LocalizedText } from '../db/schema.js';
import type { Appointment } from './appointments.js';

export const pickText = (t: LocalizedText | null, language: string, fallback: string): string | null =>
  t ? (t[language] ?? t[fallback] ?? Object.values(t)[0] ?? null) : null;

const viewColumns = ['s.name', 's.instructions', 's.mode', 'p.display_name', 'l.name as location', 'l.address_line1', 'l.address_line2', 'l.postal_code', 'l.city'] as const;

interface ViewRow {
  name: LocalizedText;
  instructions: LocalizedText | null;
  mode: 'in_person' | 'video';
  display_name: string;
  location: string;
  address_line1: string;
  address_line2: string | null;
  postal_code: string;
  city: string;
}

function viewOf(r: ViewRow, a: Appointment, language: string, defaultLanguage: string): AppointmentView {
  const video = r.mode === 'video';
  return {
    id: a.id, serviceId: a.serviceId, serviceName: pickText(r.name, language, defaultLanguage) ?? '', practitionerId: a.practitionerId, practitionerName: r.display_name,
    start: a.start, end: a.end, state: a.state, mode: r.mode,
    address: video ? null : [r.location, r.address_line1, r.address_line2, `${r.postal_code} ${r.city}`].filter(Boolean).join(', '),
    videoUrl: video ? a.videoUrl : null,
    instructions: pickText(r.instructions, language, defaultLanguage),
  };
}

export async function appointmentView(db: DbOrTx, a: Appointment, language: string, defaultLanguage: string): Promise<AppointmentView> {
  const r = await db.selectFrom('services as s')
    .innerJoin('practitioners as p', (j) => j.on('p.id', '=', a.practitionerId))
    .innerJoin('locations as l', (j) => j.on('l.id', '=', a.locationId))
    .select(viewColumns)
    .where('s.id', '=', a.serviceId)
    .executeTakeFirstOrThrow();
  return viewOf(r, a, language, defaultLanguage);
}

/**
 * The views of many appointments (the reminder worker's batch) from one read each of their services,
 * practitioners and locations; `language` and `defaultLanguage` per appointment. Throws, as appointmentView
 * does, when one of them is missing.
 */
export async function appointmentViews(db: DbOrTx, items: readonly { a: Appointment; language: string; defaultLanguage: string }[]): Promise<AppointmentView[]> {
  if (items.length === 0) return [];
  const ids = (f: (a: Appointment) => string) => [...new Set(items.map((i) => f(i.a)))];
  // One after the other: a transaction is one session.
  const services = await db.selectFrom('services').select(['id', 'name', 'instructions', 'mode']).where('id', 'in', ids((a) => a.serviceId)).execute();
  const practitioners = await db.selectFrom('practitioners').select(['id', 'display_name']).where('id', 'in', ids((a) => a.practitionerId)).execute();
  const locations = await db.selectFrom('locations').select(['id', 'name as location', 'address_line1', 'address_line2', 'postal_code', 'city']).where('id', 'in', ids((a) => a.locationId)).execute();
  const s = new Map(services.map((r) => [r.id, r]));
  const p = new Map(practitioners.map((r) => [r.id, r]));
  const l = new Map(locations.map((r) => [r.id, r]));
  return items.map(({ a, language, defaultLanguage }) => {
    const sv = s.get(a.serviceId);
    const pr = p.get(a.practitionerId);
    const lo = l.get(a.locationId);
    if (!sv || !pr || !lo) throw new Error("the appointment's service, practitioner or location is gone");
    return viewOf({ ...sv, ...pr, ...lo }, a, language, defaultLanguage);
  });
}
