// Booking in chat, end to end: signed webhooks from patients' phones, the inbound worker with the real NLU,
// the booking flow and the scheduling repository on the real database, the sender, the fake Graph API. The
// demo clinic is seeded; the clock is the real one, so every expected slot is read from the staff API
// (GET /api/slots) at the time of the check, never written down. In four languages:
//   en: the lists all the way (service → first available → day → time), name and date of birth once (a bad
//       date asked again), the confirmation, "when is my appointment?", confirm;
//   fr: free text ("une prise de sang demain matin") turned into the nearest free slot, then moving it (the
//       old time freed only with the new one taken) and cancelling it with a reason;
//   it + es: nothing free (the dermatologist on leave): both join the waitlist; staff cancel an appointment,
//       both are offered the time, the first to accept gets it, the other is told it went;
//   and a tap on another patient's appointment changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Running } from '../../src/main.js';
import type { Nlu } from '../../src/nlu/index.js';
import { createNlu } from '../../src/nlu/nlu.js';
import { APP_SECRET, startTestApp } from '../support/app.js';
import { bodyText, choices, ids, interactive, newPhone, Phone, type Wire } from '../support/chat.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph.js';

const ADMIN = 'booking-chat-admin-token-0123456789abcdef';
const DAY = 86_400_000;
let db: TestDatabase;
let fake: FakeGraph;
let nlu: Nlu;
let app: Running & { base: string };

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  nlu = await createNlu();
  app = await startTestApp(db, fake.url, { SEED_DEMO: '1', ADMIN_API_TOKEN: ADMIN, VIDEO_URL_TEMPLATE: 'https://meet.example.org/{room}' }, { conversation: { nlu } });
  db = { ...app.services.database, url: null };
  fake.setWebhook(`${app.base}/webhooks/whatsapp`);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const phone = (name: string) => new Phone({ base: () => app.base, db: () => db.db, fake, secret: APP_SECRET }, newPhone(), name);

async function api<T>(method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const r = await fetch(`${app.base}/api${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: (await r.json()) as T };
}

interface Slot { practitionerId: string; start: string; end: string }
interface Appointment { id: string; serviceId: string; practitionerId: string; patientId: string; start: string; state: string; rescheduledTo?: string | null }

async function serviceId(code: string): Promise<string> {
  const r = await api<{ items: { id: string; code: string }[] }>('GET', '/services');
  return r.json.items.find((s) => s.code === code)!.id;
}

/** Every free slot between two instants, through the staff API's pages. */
async function freeSlots(service: string, from: Date, to: Date): Promise<Slot[]> {
  const out: Slot[] = [];
  let cursor: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ serviceId: service, from: from.toISOString(), to: to.toISOString(), limit: '200', ...(cursor ? { cursor } : {}) });
    const r: { status: number; json: { items: Slot[]; nextCursor: string | null } } = await api<{ items: Slot[]; nextCursor: string | null }>('GET', `/slots?${q}`);
    expect(r.status).toBe(200);
    out.push(...r.json.items);
    cursor = r.json.nextCursor;
  } while (cursor);
  return out;
}

const parisDay = (at: Date | string) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(at));
const slotStart = (id: string) => new Date(Number(id.split(':').at(-1)) * 60_000).toISOString();
const last = (r: Wire[]) => r.at(-1);

async function patientAppointments(patientPhone: Phone): Promise<Appointment[]> {
  const p = await api<{ items: { id: string }[] }>('GET', `/patients?q=${patientPhone.number}`);
  const id = p.json.items[0]?.id;
  if (!id) return [];
  return (await api<{ items: Appointment[] }>('GET', `/appointments?patientId=${id}`)).json.items;
}

describe('booking in chat', () => {
  it('en: service, first available, day, time from the lists; name and date of birth once; status and confirm', async () => {
    const alice = phone('Alice');
    const general = await serviceId('general-consultation');
    let r = await alice.say('Hello, I would like to book an appointment');
    expect(interactive(last(r))?.type).toBe('list');
    const services = choices(last(r));
    expect(services.map((s) => s.title)).toEqual(['Blood test', 'Dermatology consultation', 'Follow-up visit', 'General consultation', 'Video consultation']);
    expect(services.every((s) => s.id.startsWith('booking:svc:'))).toBe(true);

    r = await alice.tap(services.find((s) => s.title === 'General consultation')!, 'list');
    expect(ids(last(r))[0]).toBe(`booking:pr:new:${general}:any`);
    expect(choices(last(r)).map((c) => c.title)).toEqual(['First available', 'Dr Camille Laurent', 'Dr Marco Bianchi']);

    r = await alice.choose(last(r), `booking:pr:new:${general}:any`);
    const now = new Date();
    const free = await freeSlots(general, now, new Date(now.getTime() + 28 * DAY));
    expect(free.length).toBeGreaterThan(0);
    const days = ids(last(r));
    expect(days[0]).toBe(`booking:day:new:${general}:any:${parisDay(free[0]!.start)}`);
    expect(choices(last(r))[0]!.description).toMatch(/^\d+ free times?, from \d\d:\d\d$/);

    r = await alice.choose(last(r), days[0]!);
    const times = choices(last(r)).filter((c) => c.id.startsWith('booking:slot:'));
    expect(times.length).toBeGreaterThan(0);
    expect(times.length).toBeLessThanOrEqual(8);
    expect(slotStart(times[0]!.id)).toBe(free[0]!.start);
    expect(choices(last(r)).length).toBeLessThanOrEqual(10);

    r = await alice.tap(times[0]!, 'list');
    expect(bodyText(last(r))).toContain('full name');
    r = await alice.say('Alice Martin');
    expect(bodyText(last(r))).toContain('DD/MM/YYYY');
    r = await alice.say('31/02/1980');
    expect(bodyText(last(r))).toContain('not a date of birth I can use');
    r = await alice.say('12/04/1980');
    const confirmation = bodyText(last(r));
    expect(confirmation).toContain('Your appointment is booked.');
    expect(confirmation).toContain('General consultation');
    expect(confirmation).toContain('42 rue du Faubourg Saint-Martin');
    const [resched, cancel] = ids(last(r));
    expect(resched).toMatch(/^booking:resched:[0-9a-f-]{36}$/);
    const appointmentId = resched!.split(':')[2]!;
    expect(cancel).toBe(`booking:cancel:${appointmentId}`);

    const booked = (await api<Appointment>('GET', `/appointments/${appointmentId}`)).json;
    expect(booked).toMatchObject({ serviceId: general, start: free[0]!.start, state: 'booked', practitionerId: free[0]!.practitionerId });
    const patient = (await api<{ givenName: string; familyName: string; dateOfBirth: string }>('GET', `/patients/${booked.patientId}`)).json;
    expect(patient).toMatchObject({ givenName: 'Alice', familyName: 'Martin', dateOfBirth: '1980-04-12' });
    // Sealed at rest: the name is not in the row in clear.
    const row = await db.db.selectFrom('patients').select(['given_name', 'date_of_birth']).where('id', '=', booked.patientId).executeTakeFirstOrThrow();
    expect(Buffer.from(row.given_name!).toString('latin1')).not.toContain('Alice');
    expect(Buffer.from(row.date_of_birth!).toString('latin1')).not.toContain('1980');
    const audit = await db.db.selectFrom('audit_log').select('action').where('patient_id', '=', booked.patientId).where('action', '=', 'appointment.book').execute();
    expect(audit).toHaveLength(1);

    // "When is my appointment?": the one, with Confirm / Reschedule / Cancel.
    r = await alice.say('When is my appointment?');
    expect(bodyText(last(r))).toContain('Your next appointment:');
    expect(bodyText(last(r))).toContain('General consultation');
    expect(ids(last(r))).toEqual([`booking:confirm:${appointmentId}`, `booking:resched:${appointmentId}`, `booking:cancel:${appointmentId}`]);
    r = await alice.choose(last(r), 'booking:confirm:');
    expect(bodyText(last(r))).toContain('your appointment is confirmed');
    expect((await api<Appointment>('GET', `/appointments/${appointmentId}`)).json.state).toBe('confirmed');

    // A second booking does not ask for the particulars again; one at the same time as hers is refused.
    r = await alice.say('I need a blood test');
    const day = await alice.choose(last(r), 'booking:day:');
    const overlaps = (c: { id: string }) => Math.abs(Date.parse(slotStart(c.id)) - Date.parse(booked.start)) < 20 * 60_000;
    const slot = choices(last(day)).find((c) => c.id.startsWith('booking:slot:') && !overlaps(c))!;
    r = await alice.tap(slot, 'list');
    expect(bodyText(last(r))).toContain('Your appointment is booked.');
    expect(bodyText(last(r))).toContain('Before you come:');
    expect(await patientAppointments(alice)).toHaveLength(2);
    // A time she already has an appointment at is refused, with other times offered.
    const blood = await serviceId('blood-test');
    r = await alice.tap({ id: `booking:slot:new:${blood}:${slot.id.split(':')[4]}:${Math.round(Date.parse(booked.start) / 60_000)}`, title: 'x' });
    expect(bodyText(last(r))).toContain('You already have an appointment at that time.');
    expect(await patientAppointments(alice)).toHaveLength(2);
    fake.expectNoInvalidRequests();
  });

  it('fr: free text to the nearest free slot, then moved (the old time freed with the new one taken) and cancelled with a reason', async () => {
    const jean = phone('Jean');
    const blood = await serviceId('blood-test');
    const text = 'Bonjour, je voudrais une prise de sang demain matin';
    const asked = nlu.parse(text, { now: new Date(), timeZone: 'Europe/Paris' }).entities.dates?.[0];
    expect(asked?.partOfDay).toBe('morning');
    let r = await jean.say(text);
    // The oracle: the free slots inside the window asked for, else the nearest to its middle.
    const from = new Date(asked!.start);
    const to = new Date(asked!.end!);
    const inside = await freeSlots(blood, from, to);
    const mid = (from.getTime() + to.getTime()) / 2;
    const around = inside.length > 0 ? inside : (await freeSlots(blood, new Date(mid - 14 * DAY), new Date(mid + 14 * DAY))).sort((a, b) => Math.abs(Date.parse(a.start) - mid) - Math.abs(Date.parse(b.start) - mid));
    const buttons = choices(last(r));
    expect(interactive(last(r))?.type).toBe('button');
    expect(bodyText(last(r))).toContain('Prise de sang');
    expect(slotStart(buttons[0]!.id)).toBe(around[0]!.start);
    expect(buttons.at(-1)!.title).toBe('Autres créneaux');

    r = await jean.tap(buttons[0]!);
    expect(bodyText(last(r))).toContain('nom et prénom');
    r = await jean.say('Jean Dupont');
    expect(bodyText(last(r))).toContain('JJ/MM/AAAA');
    r = await jean.say('01/02/1975');
    expect(bodyText(last(r))).toContain('Votre rendez-vous est réservé.');
    expect(bodyText(last(r))).toContain("Apportez l'ordonnance");
    const first = ids(last(r))[0]!.split(':')[2]!;

    // Moving it: nearby free times, one tap, the old appointment marked rescheduled and linked.
    r = await jean.say('je voudrais déplacer mon rendez-vous');
    expect(bodyText(last(r))).toContain('Votre rendez-vous : Prise de sang');
    const move = choices(last(r)).find((c) => c.id.startsWith(`booking:slot:${first}:`))!;
    expect(move).toBeDefined();
    r = await jean.tap(move);
    expect(bodyText(last(r))).toContain('Votre rendez-vous a été déplacé.');
    const second = ids(last(r))[0]!.split(':')[2]!;
    expect(second).not.toBe(first);
    const old = (await api<Appointment & { rescheduledTo: string }>('GET', `/appointments/${first}`)).json;
    expect(old).toMatchObject({ state: 'rescheduled', rescheduledTo: second });
    expect((await api<Appointment>('GET', `/appointments/${second}`)).json).toMatchObject({ state: 'booked', start: slotStart(move.id) });
    // The old time is free again.
    const oldStart = new Date(old.start);
    expect((await freeSlots(blood, oldStart, new Date(oldStart.getTime() + 2 * 3_600_000))).some((s) => s.start === old.start)).toBe(true);

    // Cancelling it, with a reason from the list.
    r = await jean.say('je veux annuler mon rendez-vous');
    expect(ids(last(r))).toEqual([`booking:why:${second}:better`, `booking:why:${second}:cannot`, `booking:why:${second}:elsewhere`, `booking:why:${second}:other`, `booking:keep:${second}`]);
    r = await jean.choose(last(r), `booking:why:${second}:cannot`);
    expect(bodyText(last(r))).toContain('est annulé');
    expect((await api<Appointment>('GET', `/appointments/${second}`)).json.state).toBe('cancelled');
    r = await jean.say('quand est mon rendez-vous ?');
    expect(bodyText(last(r))).toContain("Vous n'avez aucun rendez-vous à venir");
    fake.expectNoInvalidRequests();
  });

  it('it + es: the waitlist when nothing is free; a freed time offered to both, the first to accept gets it, the other is told', async () => {
    const derm = await serviceId('dermatology');
    const people = (await api<{ items: { id: string; displayName: string }[] }>('GET', '/practitioners')).json.items;
    const ana = people.find((p) => p.displayName === 'Dr Ana Ferreira')!.id;
    const now = new Date();
    // A patient of the clinic's has the first free dermatology time; from its end Dr Ferreira is on leave
    // for 40 days: nothing else is free.
    const first = (await freeSlots(derm, now, new Date(now.getTime() + 28 * DAY)))[0]!;
    const other = await api<Appointment>('POST', '/appointments', { serviceId: derm, practitionerId: first.practitionerId, start: first.start, patient: { phone: '+33 6 00 00 00 01', name: 'Desk Patient' } });
    expect(other.status).toBe(201);
    const leave = await api<{ id: string }>('POST', `/practitioners/${ana}/exceptions`, { kind: 'leave', start: first.end, end: new Date(now.getTime() + 40 * DAY).toISOString(), reason: 'congress' });
    expect(leave.status).toBe(201);

    const maria = phone('Maria');
    let r = await maria.say('Vorrei una visita dermatologica');
    expect(bodyText(last(r))).toContain("Mi dispiace, non c'è nessun orario libero per Visita dermatologica");
    r = await maria.choose(last(r), `booking:wl:${derm}:`);
    expect(bodyText(last(r))).toContain('nome e cognome');
    r = await maria.say('Maria Rossi');
    r = await maria.say('03/03/1990');
    expect(bodyText(last(r))).toContain("È nella lista d'attesa per Visita dermatologica");

    const lucia = phone('Lucía');
    r = await lucia.say('Quiero una cita con el dermatólogo');
    expect(bodyText(last(r))).toContain('no hay ninguna hora libre para Consulta de dermatología');
    r = await lucia.choose(last(r), `booking:wl:${derm}:`);
    r = await lucia.say('Lucía García');
    r = await lucia.say('1980-07-21');
    expect(bodyText(last(r))).toContain('Está en la lista de espera');

    // Reception cancels the desk patient's appointment: the time goes to the waitlist, in the order they joined.
    const cancelled = await api<{ waitlistOffers: number }>('POST', `/appointments/${other.json.id}/cancel`, { reason: 'clinic_request' });
    expect(cancelled.json.waitlistOffers).toBe(2);
    const isOffer = (m: Wire) => ids(m).some((id) => id.startsWith('booking:offer:'));
    const toMaria = await maria.initiated(isOffer);
    const toLucia = await lucia.initiated(isOffer);
    expect(bodyText(toMaria)).toContain('Buone notizie');
    expect(bodyText(toLucia)).toContain('Buenas noticias');

    // Lucía answers first and gets it; Maria is told it went, and her "yes" afterwards books nothing.
    r = await lucia.choose(toLucia, 'booking:offer:');
    expect(choices(toLucia)[0]!.id).toMatch(/:yes$/);
    expect(bodyText(last(r))).toContain('Su cita está reservada.');
    const luciaAppointments = await patientAppointments(lucia);
    expect(luciaAppointments).toMatchObject([{ serviceId: derm, start: first.start, state: 'booked' }]);
    const told = await maria.initiated((m) => bodyText(m).includes('è stato preso da un altro paziente'));
    expect(told).toBeDefined();
    r = await maria.choose(toMaria, 'booking:offer:');
    expect(bodyText(last(r))).toContain("quell'orario è già stato preso");
    expect(await patientAppointments(maria)).toEqual([]);

    // Maria taps a Cancel button carrying Lucía's appointment id: nothing changes.
    r = await maria.tap({ id: `booking:cancel:${luciaAppointments[0]!.id}`, title: 'Annullare' });
    expect(bodyText(last(r))).toContain('non si può più modificare qui');
    r = await maria.tap({ id: `booking:why:${luciaAppointments[0]!.id}:better`, title: 'Sto meglio' });
    expect((await api<Appointment>('GET', `/appointments/${luciaAppointments[0]!.id}`)).json.state).toBe('booked');
    fake.expectNoInvalidRequests();
  });
});
