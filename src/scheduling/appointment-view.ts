// An appointment as the patient is told about it (the chat's confirmations and status, staff bookings'
// WhatsApp confirmation): the service and its preparation in the patient's language, the practitioner, the
// location's address for an in-person visit or the join link for a video visit (never both).
import type { AppointmentView } from '../conversation/flow.js';
import type { DbOrTx } from '../db/database.js';
import type { LocalizedText } from '../db/schema.js';
import type { Appointment } from './appointments.js';

export const pickText = (t: LocalizedText | null, language: string, fallback: string): string | null =>
  t ? (t[language] ?? t[fallback] ?? Object.values(t)[0] ?? null) : null;

export async function appointmentView(db: DbOrTx, a: Appointment, language: string, defaultLanguage: string): Promise<AppointmentView> {
  const r = await db.selectFrom('services as s')
    .innerJoin('practitioners as p', (j) => j.on('p.id', '=', a.practitionerId))
    .innerJoin('locations as l', (j) => j.on('l.id', '=', a.locationId))
    .select(['s.name', 's.instructions', 's.mode', 'p.display_name', 'l.name as location', 'l.address_line1', 'l.address_line2', 'l.postal_code', 'l.city'])
    .where('s.id', '=', a.serviceId)
    .executeTakeFirstOrThrow();
  const video = r.mode === 'video';
  return {
    id: a.id, serviceId: a.serviceId, serviceName: pickText(r.name, language, defaultLanguage) ?? '', practitionerId: a.practitionerId, practitionerName: r.display_name,
    start: a.start, end: a.end, state: a.state, mode: r.mode,
    address: video ? null : [r.location, r.address_line1, r.address_line2, `${r.postal_code} ${r.city}`].filter(Boolean).join(', '),
    videoUrl: video ? a.videoUrl : null,
    instructions: pickText(r.instructions, language, defaultLanguage),
  };
}
