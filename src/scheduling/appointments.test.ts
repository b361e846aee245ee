// The scheduling API and repository on the real app and database (the demo clinic, Europe/Paris), with a
// pinned clock: services, slots and paging, booking on a patient's behalf (created by phone, sealed, consent
// at the desk, the confirmation only inside the 24 h window), 409s that say why, cancel / reschedule /
// marks with their history, video links sealed, the waitlist's freed-slot offers, roles and the audit trail,
// and 50 concurrent attempts at one slot giving exactly one appointment.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { phoneIndex } from '../compliance/identifiers.js';
import { bookAppointment, cancelAppointment, upcomingAppointments, type AppointmentDeps } from './appointments.js';
import { nearestSlots, searchSlots } from './slot-search.js';
import { acceptOffer, joinWaitlist, offerFreedSlot } from './waitlist.js';

// Monday 4 January 2027, 07:00 in Paris (UTC+1).
let now = new Date('2027-01-04T06:00:00Z');
const clock = { now: () => now };
let database: TestDatabase;
let api: StaffApi;
let deps: AppointmentDeps;
const svc: Record<string, string> = {};
const prac: Record<string, string> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database, { clock, env: { SEED_DEMO: '1' } });
  deps = { keys: api.services.keys, videoUrlTemplate: 'https://meet.jit.si/{room}' };
  for (const s of await database.db.selectFrom('services').select(['id', 'code']).execute()) svc[s.code] = s.id;
  for (const p of await database.db.selectFrom('practitioners').select(['id', 'code']).execute()) prac[p.code] = p.id;
});
afterAll(async () => {
  await api.stop();
});

type Role = 'admin' | 'clinician' | 'reception' | 'analyst';
const get = (url: string, role: Role = 'reception') => api.app.inject({ method: 'GET', url, headers: api.as(role) });
const post = (url: string, payload: unknown, role: Role = 'reception') => api.app.inject({ method: 'POST', url, headers: api.as(role), payload: payload as Record<string, unknown> });
const phone = () => `+33 6 ${crypto.randomInt(10_000_000, 99_999_999)}`;
const book = (start: string, o: { service?: string; practitioner?: string; phone?: string; optIn?: boolean; name?: string } = {}) => post('/api/appointments', {
  serviceId: svc[o.service ?? 'general-consultation'], practitionerId: prac[o.practitioner ?? 'camille-laurent'], start,
  patient: { phone: o.phone ?? phone(), name: o.name ?? 'Zoé Martin-Lefèvre', dateOfBirth: '1980-02-29', ...(o.optIn ? { whatsappOptIn: true } : {}) },
});

describe('services and slots', () => {
  it('GET /api/services lists the demo services with the contract fields', async () => {
    const r = await get('/api/services', 'analyst');
    expect(r.statusCode, r.body).toBe(200);
    const items = r.json().items as { id: string; code: string; name: string; names: Record<string, string>; durationMinutes: number; mode: string }[];
    const byCode = Object.fromEntries(items.map((i) => [i.code, i]));
    expect(byCode['general-consultation']).toMatchObject({ id: svc['general-consultation'], name: 'General consultation', durationMinutes: 20, mode: 'in_person' });
    expect(byCode['general-consultation']!.names['fr']).toBe('Consultation de médecine générale');
    expect(byCode['blood-test']!.durationMinutes).toBe(10);
    expect(byCode['dermatology']!.durationMinutes).toBe(30);
    expect(byCode['follow-up']!.durationMinutes).toBe(15);
  });

  it('GET /api/slots answers free slots in UTC, earliest first, paged with nextCursor', async () => {
    const q = `serviceId=${svc['general-consultation']}&practitionerId=${prac['camille-laurent']}&from=2027-01-04T00:00:00Z&to=2027-01-05T00:00:00Z`;
    const first = await get(`/api/slots?${q}&limit=3`, 'analyst');
    expect(first.statusCode, first.body).toBe(200);
    const p1 = first.json() as { items: { practitionerId: string; start: string; end: string }[]; nextCursor: string };
    // Lead time 60 minutes from 07:00 local: the first slot is 08:00 local (07:00Z), 20 minutes each.
    expect(p1.items.map((s) => [s.start, s.end])).toEqual([
      ['2027-01-04T07:00:00.000Z', '2027-01-04T07:20:00.000Z'],
      ['2027-01-04T07:20:00.000Z', '2027-01-04T07:40:00.000Z'],
      ['2027-01-04T07:40:00.000Z', '2027-01-04T08:00:00.000Z'],
    ]);
    expect(p1.items.every((s) => s.practitionerId === prac['camille-laurent'])).toBe(true);
    const second = await get(`/api/slots?${q}&limit=3&cursor=${p1.nextCursor}`);
    expect(second.json().items[0].start).toBe('2027-01-04T08:00:00.000Z');
    const all = (await get(`/api/slots?${q}&limit=200`)).json().items as { start: string }[];
    // Morning 08:00–12:30 (13 or 14 slots of 20 min: 13 end by 12:20) and afternoon 13:30–18:00 (13): lunch is never offered.
    expect(all.some((s) => s.start === '2027-01-04T11:40:00.000Z')).toBe(false); // 12:40 local, lunch
    expect(all.length).toBe(13 + 13);
    expect((await get(`/api/slots?${q}&cursor=bogus`)).statusCode).toBe(400);
    expect((await get(`/api/slots?serviceId=${svc['general-consultation']}&from=2027-01-04T00:00:00Z&to=2027-04-04T00:00:00Z`)).statusCode).toBe(400);
  });

  it('gives the blood test only in its morning windows, and dermatology only on Tuesdays and Thursdays', async () => {
    const blood = await searchSlots(database.db, { serviceId: svc['blood-test']!, from: new Date('2027-01-04T00:00Z'), to: new Date('2027-01-05T00:00Z'), limit: 1000, now });
    const local = (d: Date) => d.toLocaleTimeString('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
    expect(local(blood[0]!.start)).toBe('08:00');
    expect(local(blood[blood.length - 1]!.start)).toBe('10:20'); // every 10 minutes (the step is the duration) to the window's end at 10:30; the buffer may run past it
    const derm = await searchSlots(database.db, { serviceId: svc['dermatology']!, from: new Date('2027-01-04T00:00Z'), to: new Date('2027-01-11T00:00Z'), limit: 1000, now });
    const days = new Set(derm.map((s) => s.start.toLocaleDateString('en-GB', { timeZone: 'Europe/Paris', weekday: 'long' })));
    expect([...days].sort()).toEqual(['Thursday', 'Tuesday']);
  });

  it('nearestSlots answers the free slots closest to what was asked', async () => {
    // "Thursday around 10": Thursday 7 January 2027, 10:00 local = 09:00Z.
    const near = await nearestSlots(database.db, { serviceId: svc['general-consultation']!, practitionerId: prac['camille-laurent'], target: new Date('2027-01-07T09:00:00Z'), limit: 3, now });
    expect(near.map((s) => s.start.toISOString())).toEqual(['2027-01-07T09:00:00.000Z', '2027-01-07T08:40:00.000Z', '2027-01-07T09:20:00.000Z']);
    const morning = await nearestSlots(database.db, { serviceId: svc['general-consultation']!, target: { from: new Date('2027-01-05T07:00:00Z'), to: new Date('2027-01-05T11:00:00Z') }, limit: 2, now });
    expect(morning.every((s) => s.start >= new Date('2027-01-05T07:00:00Z') && s.start < new Date('2027-01-05T11:00:00Z'))).toBe(true);
  });
});

describe('booking on a patient\'s behalf', () => {
  it('creates the patient by phone with sealed particulars, answers 201, and the slot is gone', async () => {
    const tel = phone();
    const r = await book('2027-01-04T09:00:00Z', { phone: tel });
    expect(r.statusCode, r.body).toBe(201);
    const a = r.json();
    expect(a).toMatchObject({ serviceId: svc['general-consultation'], practitionerId: prac['camille-laurent'], start: '2027-01-04T09:00:00.000Z', end: '2027-01-04T09:20:00.000Z', state: 'booked', patientCreated: true, videoUrl: null, notified: { sent: false, reason: 'no_consent' } });
    const row = await database.db.selectFrom('patients').selectAll().where('id', '=', a.patientId).executeTakeFirstOrThrow();
    expect(row.wa_id_index).toBe(phoneIndex(api.services.cipher, tel.replace(/\D/g, '')));
    const raw = JSON.stringify(row);
    expect(raw).not.toContain('Zoé');
    expect(raw).not.toContain('1980-02-29');
    const card = (await get(`/api/patients/${a.patientId}`)).json();
    expect(card).toMatchObject({ givenName: 'Zoé', familyName: 'Martin-Lefèvre', dateOfBirth: '1980-02-29' });
    const slots = (await get(`/api/slots?serviceId=${svc['general-consultation']}&practitionerId=${prac['camille-laurent']}&from=2027-01-04T08:40:00Z&to=2027-01-04T09:40:00Z`)).json().items.map((s: { start: string }) => s.start);
    expect(slots).toEqual(['2027-01-04T08:40:00.000Z', '2027-01-04T09:20:00.000Z']);
    // The same phone again finds the same patient.
    const again = await book('2027-01-04T10:00:00Z', { phone: tel.replace(/ /g, '') });
    expect(again.json()).toMatchObject({ patientId: a.patientId, patientCreated: false });
    const audit = await database.db.selectFrom('audit_log').select(['action', 'patient_id', 'details']).where('action', '=', 'appointment.book').where('patient_id', '=', a.patientId).execute();
    expect(audit.length).toBe(2);
    expect(JSON.stringify(audit)).not.toContain(tel.replace(/\D/g, ''));
  });

  it('answers 409 problem+json saying why: taken, outside availability, outside the booking window', async () => {
    const ok = await book('2027-01-05T10:00:00Z');
    expect(ok.statusCode).toBe(201);
    const taken = await book('2027-01-05T10:00:00Z');
    expect(taken.statusCode).toBe(409);
    expect(taken.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(taken.json().code).toBe('slot_taken');
    // Overlapping by ten minutes is taken too.
    expect((await book('2027-01-05T10:10:00Z')).json().code).toBe('slot_taken');
    // Sunday: closed.
    const sunday = await book('2027-01-10T10:00:00Z');
    expect(sunday.statusCode).toBe(409);
    expect(sunday.json().code).toBe('outside_availability');
    // Lunch break.
    expect((await book('2027-01-05T12:00:00Z')).json().code).toBe('outside_availability');
    // In the past.
    expect((await book('2027-01-04T05:00:00Z')).json().code).toBe('outside_booking_window');
    // A refused booking leaves no patient behind.
    const tel = phone();
    await book('2027-01-05T10:00:00Z', { phone: tel });
    expect(await database.db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(api.services.cipher, tel.replace(/\D/g, ''))).execute()).toEqual([]);
  });

  it('whatsappOptIn records care consent at the desk, and the confirmation is queued only inside the 24 h window', async () => {
    const tel = phone();
    const first = await book('2027-01-06T09:00:00Z', { phone: tel, optIn: true });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().notified).toEqual({ sent: false, reason: 'window_closed' });
    const patientId = first.json().patientId as string;
    const consent = await database.db.selectFrom('consent_events').selectAll().where('patient_id', '=', patientId).execute();
    expect(consent).toMatchObject([{ purpose: 'care', granted: true, channel: 'desk', source: 'desk' }]);
    const audited = await database.db.selectFrom('audit_log').select('action').where('patient_id', '=', patientId).where('action', '=', 'consent.grant').execute();
    expect(audited.length).toBe(1);
    expect(await database.db.selectFrom('outbox').select('id').where('patient_id', '=', patientId).execute()).toEqual([]);
    // The patient wrote an hour ago: the window is open, the confirmation goes out.
    await database.db.updateTable('patients').set({ last_inbound_at: new Date(now.getTime() - 3_600_000) }).where('id', '=', patientId).execute();
    const second = await book('2027-01-06T10:00:00Z', { phone: tel });
    expect(second.json().notified).toEqual({ sent: true, reason: 'queued' });
    const out = await database.db.selectFrom('outbox').select(['kind', 'purpose', 'payload']).where('patient_id', '=', patientId).execute();
    expect(out.map((o) => [o.kind, o.purpose])).toEqual([['interactive', 'care']]);
    const own = await api.services.keys.forPatient(database.db, patientId);
    // The chat's confirmation, with the buttons the booking flow takes.
    const msg = own.decryptJson(out[0]!.payload) as { interactive: { body: { text: string }; action: { buttons: { reply: { id: string } }[] } } };
    expect(msg.interactive.body.text).toContain('Your appointment is booked.');
    expect(msg.interactive.body.text).toContain('with Dr Camille Laurent');
    expect(msg.interactive.body.text).not.toContain('Dr Dr');
    expect(msg.interactive.body.text).toContain('11:00'); // local time
    expect(msg.interactive.body.text).toContain('42 rue du Faubourg Saint-Martin');
    expect(msg.interactive.action.buttons.map((b) => b.reply.id)).toEqual([`booking:resched:${second.json().id}`, `booking:cancel:${second.json().id}`]);
  });

  it('is for desk roles: analysts get 403; bad bodies 400', async () => {
    expect((await get('/api/appointments', 'analyst')).statusCode).toBe(403);
    expect((await post('/api/appointments', {}, 'analyst')).statusCode).toBe(403);
    expect((await post('/api/appointments', { serviceId: svc['general-consultation'], practitionerId: prac['camille-laurent'], start: 'tomorrow', patient: { phone: 'x', name: '' } })).statusCode).toBe(400);
    expect((await book('2027-01-07T13:00:00Z', { name: 'Clin Ician' })).statusCode).toBe(201);
    const asClinician = await api.app.inject({ method: 'POST', url: '/api/appointments', headers: api.as('clinician'), payload: { serviceId: svc['general-consultation'], practitionerId: prac['camille-laurent'], start: '2027-01-07T13:20:00Z', patient: { phone: phone(), name: 'A B' } } });
    expect(asClinician.statusCode).toBe(201);
  });
});

describe('changing appointments', () => {
  it('cancels with a reason and frees the time; reschedules atomically; marks arrived and completed; keeps the history', async () => {
    const a = (await book('2027-01-07T08:00:00Z')).json();
    const cancelled = await post(`/api/appointments/${a.id}/cancel`, { reason: 'patient_request', note: 'feeling better' });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ state: 'cancelled', cancelReason: 'patient_request', cancelledBy: { type: 'token' } });
    const sealed = await database.db.selectFrom('appointments').select('cancel_note').where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(Buffer.from(sealed.cancel_note!).toString('latin1')).not.toContain('feeling');
    expect((await post(`/api/appointments/${a.id}/cancel`, { reason: 'other' })).statusCode).toBe(409);
    // The time is free again.
    const b = (await book('2027-01-07T08:00:00Z')).json();
    expect(b.state).toBe('booked');
    // Reschedule by ten minutes: overlaps its own old time, which is freed in the same transaction.
    const moved = await post(`/api/appointments/${b.id}/reschedule`, { start: '2027-01-07T08:10:00Z' });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ start: '2027-01-07T08:10:00.000Z', state: 'booked', previous: { id: b.id, state: 'rescheduled' } });
    expect(moved.json().previous.rescheduledTo).toBe(moved.json().id);
    // Rescheduling onto a taken time changes nothing.
    const c = (await book('2027-01-07T09:00:00Z')).json();
    const refused = await post(`/api/appointments/${c.id}/reschedule`, { start: '2027-01-07T08:20:00Z' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('slot_taken');
    expect((await get(`/api/appointments/${c.id}`)).json().state).toBe('booked');
    // Marks.
    const newId = moved.json().id as string;
    expect((await post(`/api/appointments/${newId}/arrived`, {})).json().state).toBe('arrived');
    expect((await post(`/api/appointments/${newId}/confirm`, {})).statusCode).toBe(409);
    expect((await post(`/api/appointments/${newId}/completed`, {})).json().state).toBe('completed');
    expect((await post(`/api/appointments/${c.id}/noshow`, {})).json().state).toBe('noshow');
    const hist = await database.db.selectFrom('appointment_history').select(['appointment_id', 'state', 'reason']).where('appointment_id', 'in', [b.id, newId]).orderBy('id').execute();
    expect(hist.map((h) => [h.appointment_id === b.id ? 'old' : 'new', h.state])).toEqual([['old', 'booked'], ['new', 'booked'], ['old', 'rescheduled'], ['new', 'arrived'], ['new', 'completed']]);
  });

  it('lists by time range, state and practitioner; a read of one appointment is audited', async () => {
    const a = (await book('2027-01-08T14:00:00Z', { practitioner: 'marco-bianchi' })).json();
    const list = await get(`/api/appointments?from=2027-01-08T00:00:00Z&to=2027-01-09T00:00:00Z&practitionerId=${prac['marco-bianchi']}&state=booked`);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().items.map((i: { id: string }) => i.id)).toEqual([a.id]);
    const one = await get(`/api/appointments/${a.id}`, 'clinician');
    expect(one.json()).toMatchObject({ id: a.id, serviceId: svc['general-consultation'], practitionerId: prac['marco-bianchi'], start: '2027-01-08T14:00:00.000Z', end: '2027-01-08T14:20:00.000Z', state: 'booked' });
    const views = await database.db.selectFrom('audit_log').select('target').where('action', '=', 'appointment.view').execute();
    expect(views.map((v) => v.target)).toContain(`appointment:${a.id}`);
    expect((await get(`/api/appointments/${crypto.randomUUID()}`)).statusCode).toBe(404);
    // Paging.
    const p1 = (await get('/api/appointments?limit=2')).json();
    const p2 = (await get(`/api/appointments?limit=2&cursor=${p1.nextCursor}`)).json();
    expect(p2.items[0].start >= p1.items[1].start).toBe(true);
    expect(p2.items.map((i: { id: string }) => i.id)).not.toContain(p1.items[1].id);
  });
});

describe('the database refuses double bookings', () => {
  it('an overlapping insert fails with an exclusion violation, a cancelled one does not hold time', async () => {
    const a = (await book('2027-01-11T08:00:00Z')).json();
    const row = await database.db.selectFrom('appointments').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    const { id: _id, ...copy } = row;
    void _id;
    const err = await database.db.insertInto('appointments').values({ ...copy, starts_at: new Date('2027-01-11T08:10:00Z'), ends_at: new Date('2027-01-11T08:30:00Z'), blocks_until: new Date('2027-01-11T08:30:00Z') }).execute().catch((e: { code?: string }) => e);
    expect((err as { code?: string }).code, String(err)).toBe('23P01');
    await database.db.insertInto('appointments').values({ ...copy, state: 'cancelled', cancel_reason: 'other', starts_at: new Date('2027-01-11T08:10:00Z'), ends_at: new Date('2027-01-11T08:30:00Z'), blocks_until: new Date('2027-01-11T08:30:00Z') }).execute();
  });

  it('50 concurrent POST /api/appointments for one slot: one 201, 49 × 409', async () => {
    const start = '2027-01-12T08:00:00Z';
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => book(start, { name: `Patient Number${i}` })));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201).length).toBe(1);
    expect(codes.filter((c) => c === 409).length).toBe(49);
    expect(new Set(results.filter((r) => r.statusCode === 409).map((r) => r.json().code))).toEqual(new Set(['slot_taken']));
    const n = await sql<{ n: number }>`select count(*)::int as n from appointments where practitioner_id = ${prac['camille-laurent']} and starts_at = ${new Date(start)} and state = 'booked'`.execute(database.db);
    expect(n.rows[0]!.n).toBe(1);
  });
});

describe('video visits', () => {
  it('get an unguessable sealed join link at booking, returned with the appointment, never with slots', async () => {
    const created = await post('/api/services', { code: 'video-follow-up', name: { en: 'Video follow-up', fr: 'Suivi en vidéo' }, durationMinutes: 15, mode: 'video', leadTimeMinutes: 30 }, 'admin');
    expect(created.statusCode, created.body).toBe(201);
    const serviceId = created.json().id as string;
    const loc = (await get('/api/locations')).json().items[0].id as string;
    const given = (await get('/api/practitioners')).json().items.find((p: { id: string }) => p.id === prac['ana-ferreira']).givesServices as { serviceId: string; locationId: string }[];
    expect((await api.app.inject({ method: 'PUT', url: `/api/practitioners/${prac['ana-ferreira']}/services`, headers: api.as('admin'), payload: { services: [...given, { serviceId, locationId: loc }] } })).statusCode).toBe(200);
    const slotsRes = await get(`/api/slots?serviceId=${serviceId}&from=2027-01-05T00:00:00Z&to=2027-01-06T00:00:00Z`);
    const slot = slotsRes.json().items[0];
    expect(JSON.stringify(slotsRes.json())).not.toContain('meet.jit.si');
    const r = await post('/api/appointments', { serviceId, practitionerId: slot.practitionerId, start: slot.start, patient: { phone: phone(), name: 'Vid Eo' } });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().videoUrl).toMatch(/^https:\/\/meet\.jit\.si\/[0-9a-f]{32}$/);
    const raw = await database.db.selectFrom('appointments').select('video_url').where('id', '=', r.json().id).executeTakeFirstOrThrow();
    expect(Buffer.from(raw.video_url!).toString('latin1')).not.toContain('meet.jit.si');
    expect((await get(`/api/appointments/${r.json().id}`)).json().videoUrl).toBe(r.json().videoUrl);
  });
});

describe('availability exceptions', () => {
  it('extra hours add slots on a closed day; leave removes them', async () => {
    const q = `serviceId=${svc['follow-up']}&practitionerId=${prac['marco-bianchi']}&from=2027-01-16T00:00:00Z&to=2027-01-17T00:00:00Z`;
    expect((await get(q.replace(/^/, '/api/slots?'))).json().items).toEqual([]); // Saturday: Dr Bianchi does not work
    const loc = (await get('/api/locations')).json().items[0].id as string;
    const extra = await post(`/api/practitioners/${prac['marco-bianchi']}/exceptions`, { kind: 'extra_hours', locationId: loc, start: '2027-01-16T13:00:00Z', end: '2027-01-16T14:00:00Z' });
    expect(extra.statusCode, extra.body).toBe(201);
    expect((await get(`/api/slots?${q}`)).json().items.length).toBe(4);
    const leave = await post(`/api/practitioners/${prac['marco-bianchi']}/exceptions`, { kind: 'leave', start: '2027-01-16T13:30:00Z', end: '2027-01-16T14:00:00Z', reason: 'training' });
    expect(leave.statusCode, leave.body).toBe(201);
    expect((await get(`/api/slots?${q}`)).json().items.length).toBe(2);
    const listedRes = await get(`/api/practitioners/${prac['marco-bianchi']}/exceptions?from=2027-01-16T00:00:00Z`);
    expect(listedRes.statusCode, listedRes.body).toBe(200);
    const listed = listedRes.json().items;
    expect(listed.map((e: { kind: string }) => e.kind)).toEqual(['extra_hours', 'leave']);
    expect((await api.app.inject({ method: 'DELETE', url: `/api/practitioners/${prac['marco-bianchi']}/exceptions/${leave.json().id}`, headers: api.as('reception') })).statusCode).toBe(204);
    expect((await get(`/api/slots?${q}`)).json().items.length).toBe(4);
    expect((await post(`/api/practitioners/${prac['marco-bianchi']}/exceptions`, { kind: 'leave', start: '2027-01-16T13:30:00Z', end: '2027-01-16T14:00:00Z' }, 'clinician')).statusCode).toBe(403);
  });
});

describe('the waitlist', () => {
  it('offers a freed slot to waiting patients in order; the first to accept gets it, the other is told it went', async () => {
    const db = database.db;
    const holder = (await book('2027-01-13T08:00:00Z')).json();
    const w1 = (await book('2027-01-20T08:00:00Z')).json().patientId as string;
    const w2 = (await book('2027-01-20T08:20:00Z')).json().patientId as string;
    const late = (await book('2027-01-20T08:40:00Z')).json().patientId as string;
    await db.transaction().execute(async (tx) => {
      await joinWaitlist(tx, { patientId: w1, serviceId: svc['general-consultation']!, fromDate: '2027-01-11', toDate: '2027-01-15', partOfDay: 'morning', now });
      await joinWaitlist(tx, { patientId: w2, serviceId: svc['general-consultation']!, fromDate: '2027-01-13', toDate: '2027-01-13', now: new Date(now.getTime() + 1000) });
      // Wants afternoons: not offered a morning.
      await joinWaitlist(tx, { patientId: late, serviceId: svc['general-consultation']!, fromDate: '2027-01-13', toDate: '2027-01-13', partOfDay: 'afternoon', now: new Date(now.getTime() + 2000) });
    });
    const offers = await db.transaction().execute(async (tx) => {
      const c = await cancelAppointment(tx, deps, { appointmentId: holder.id, reason: 'patient_request', by: { type: 'patient', id: holder.patientId }, now });
      if (!c.ok) throw new Error(c.code);
      const a = c.appointment;
      return offerFreedSlot(tx, { serviceId: a.serviceId, practitionerId: a.practitionerId, locationId: a.locationId, start: a.start, end: a.end }, { now });
    });
    expect(offers.map((o) => o.patientId)).toEqual([w1, w2]);
    const second = offers[1]!;
    const won = await db.transaction().execute((tx) => acceptOffer(tx, deps, second.id, now));
    expect(won.ok).toBe(true);
    if (!won.ok) return;
    expect(won.appointment).toMatchObject({ patientId: w2, start: new Date('2027-01-13T08:00:00Z'), state: 'booked' });
    expect(won.gone.map((g) => g.patientId)).toEqual([w1]);
    const lost = await db.transaction().execute((tx) => acceptOffer(tx, deps, offers[0]!.id, now));
    expect(lost).toEqual({ ok: false, code: 'gone' });
    expect((await upcomingAppointments(db, deps, w2, now)).map((a) => a.start.toISOString())).toEqual(['2027-01-13T08:00:00.000Z', '2027-01-20T08:20:00.000Z']);
    const entry = await db.selectFrom('waitlist_entries').select(['state', 'appointment_id']).where('patient_id', '=', w2).executeTakeFirstOrThrow();
    expect(entry).toEqual({ state: 'booked', appointment_id: won.appointment.id });
  });

  it('bookAppointment holds a patient in chat to the lead time, and survives a taken slot inside the caller\'s transaction', async () => {
    const patientId = (await book('2027-01-21T08:00:00Z')).json().patientId as string;
    const r = await database.db.transaction().execute(async (tx) => {
      const soon = await bookAppointment(tx, deps, { serviceId: svc['general-consultation']!, practitionerId: prac['camille-laurent']!, start: new Date('2027-01-04T06:20:00Z'), patientId, by: { type: 'patient', id: patientId }, now });
      const taken = await bookAppointment(tx, deps, { serviceId: svc['general-consultation']!, practitionerId: prac['camille-laurent']!, start: new Date('2027-01-21T08:00:00Z'), patientId, by: { type: 'patient', id: patientId }, now });
      // The transaction is still usable after the refused insert.
      const fine = await bookAppointment(tx, deps, { serviceId: svc['general-consultation']!, practitionerId: prac['camille-laurent']!, start: new Date('2027-01-21T08:20:00Z'), patientId, by: { type: 'patient', id: patientId }, now });
      return [soon.ok ? 'ok' : soon.code, taken.ok ? 'ok' : taken.code, fine.ok ? 'ok' : fine.code];
    });
    expect(r).toEqual(['outside_booking_window', 'slot_taken', 'ok']);
  });
});

describe('the catalogue', () => {
  const put = (url: string, payload: unknown, role: Role = 'admin') => api.app.inject({ method: 'PUT', url, headers: api.as(role), payload: payload as Record<string, unknown> });
  const patch = (url: string, payload: unknown, role: Role = 'admin') => api.app.inject({ method: 'PATCH', url, headers: api.as(role), payload: payload as Record<string, unknown> });
  const del = (url: string, role: Role = 'admin') => api.app.inject({ method: 'DELETE', url, headers: api.as(role) });

  it('creates a location with hours, a practitioner with sessions, a service; slots follow; deactivating stops bookings', async () => {
    const loc = await post('/api/locations', { code: 'annexe', name: 'Annexe', addressLine1: '3 rue Neuve', postalCode: '69001', city: 'Lyon', country: 'FR', timeZone: 'Europe/Paris', emergencyNumber: '112', languages: ['fr', 'en'] }, 'admin');
    expect(loc.statusCode, loc.body).toBe(201);
    const locationId = loc.json().id as string;
    expect((await post('/api/locations', { code: 'annexe', name: 'Again', addressLine1: 'x', postalCode: '1', city: 'y', country: 'FR', timeZone: 'Europe/Paris', emergencyNumber: '112', languages: ['fr'] }, 'admin')).statusCode).toBe(409);
    expect((await post('/api/locations', { code: 'bad', name: 'Bad', addressLine1: 'x', postalCode: '1', city: 'y', country: 'FR', timeZone: 'Mars/Olympus', emergencyNumber: '112', languages: ['fr'] }, 'admin')).statusCode).toBe(400);
    expect((await post('/api/locations', { code: 'nope', name: 'Nope', addressLine1: 'x', postalCode: '1', city: 'y', country: 'FR', timeZone: 'Europe/Paris', emergencyNumber: '112', languages: ['fr'] }, 'reception')).statusCode).toBe(403);
    expect((await put(`/api/locations/${locationId}/hours`, { hours: [{ weekday: 1, start: '09:00', end: '17:00' }] })).statusCode).toBe(200);
    const service = await post('/api/services', { code: 'vaccination', name: { en: 'Vaccination', fr: 'Vaccination' }, durationMinutes: 10, bufferMinutes: 5, slotStepMinutes: 15 }, 'admin');
    expect(service.statusCode, service.body).toBe(201);
    const serviceId = service.json().id as string;
    const nurse = await post('/api/practitioners', { code: 'lea-nurse', displayName: 'Léa Nurse', languages: ['fr'] }, 'admin');
    expect(nurse.statusCode, nurse.body).toBe(201);
    const nurseId = nurse.json().id as string;
    expect((await put(`/api/practitioners/${nurseId}/services`, { services: [{ serviceId, locationId }] })).json().givesServices).toEqual([{ serviceId, locationId }]);
    const sessions = await put(`/api/practitioners/${nurseId}/sessions`, { locationId, sessions: [{ weekday: 1, start: '08:00', end: '10:00' }] }, 'reception');
    expect(sessions.statusCode, sessions.body).toBe(200);
    expect(sessions.json().items).toMatchObject([{ weekday: 1, start: '08:00', end: '10:00' }]);
    // Sessions 08:00–10:00 ∩ doors 09:00–17:00 = 09:00–10:00 local, every 15 minutes.
    const q = `/api/slots?serviceId=${serviceId}&from=2027-01-11T00:00:00Z&to=2027-01-12T00:00:00Z`;
    expect((await get(q)).json().items.map((s: { start: string }) => s.start)).toEqual(['2027-01-11T08:00:00.000Z', '2027-01-11T08:15:00.000Z', '2027-01-11T08:30:00.000Z', '2027-01-11T08:45:00.000Z']);
    expect((await patch(`/api/services/${serviceId}`, { slotStepMinutes: 30 })).json().slotStepMinutes).toBe(30);
    expect((await get(q)).json().items.length).toBe(2);
    const services = (await get('/api/services')).json().items as { id: string }[];
    expect(services.map((s) => s.id)).toContain(serviceId);
    expect((await del(`/api/services/${serviceId}`)).statusCode).toBe(204);
    expect((await get(q)).json().items).toEqual([]);
    expect(((await get('/api/services')).json().items as { id: string }[]).map((s) => s.id)).not.toContain(serviceId);
    const audited = await database.db.selectFrom('audit_log').select('action').where('action', 'like', 'catalog.%').execute();
    expect(new Set(audited.map((a) => a.action))).toEqual(new Set([
      'catalog.location.create', 'catalog.location.hours', 'catalog.service.create', 'catalog.service.update', 'catalog.service.deactivate',
      'catalog.practitioner.create', 'catalog.practitioner.services',
    ]));
  });

  it('documents every scheduling route in the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const path of ['/api/services', '/api/slots', '/api/appointments', '/api/appointments/{id}', '/api/appointments/{id}/cancel', '/api/appointments/{id}/reschedule', '/api/locations', '/api/practitioners/{id}/sessions', '/api/practitioners/{id}/exceptions']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });
});

describe('appointments are the patient\'s data', () => {
  it('are in the GDPR export (with the video link opened) and gone after erasure', async () => {
    const r = await book('2027-01-18T08:00:00Z', { name: 'Export Me' });
    const { id, patientId } = r.json() as { id: string; patientId: string };
    await post(`/api/appointments/${id}/cancel`, { reason: 'other', note: 'moving away' });
    const exp = await get(`/api/patients/${patientId}/export`, 'admin');
    expect(exp.statusCode, exp.body).toBe(200);
    const sections = exp.json().sections as Record<string, Record<string, unknown>[]>;
    expect(sections['appointments']!.map((a) => a['id'])).toEqual([id]);
    expect(sections['appointments']![0]!['cancel_note']).toBe('moving away');
    expect(sections['appointmentHistory']!.map((h) => h['state'])).toEqual(['booked', 'cancelled']);
    const erase = await post(`/api/patients/${patientId}/erase`, { confirm: `ERASE ${patientId}` }, 'admin');
    expect(erase.statusCode, erase.body).toBe(200);
    expect(await database.db.selectFrom('appointments').select('id').where('patient_id', '=', patientId).execute()).toEqual([]);
    expect(await database.db.selectFrom('appointment_history').select('id').where('patient_id', '=', patientId).execute()).toEqual([]);
  });
});
