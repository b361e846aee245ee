// Appointments in chat: book (service → practitioner or "first available" → day → time, or free text such
// as "a blood test tomorrow morning", turned into the nearest free slots), "when is my appointment?",
// cancel with a reason, reschedule (nearby slots; the old time is freed only when the new one is taken),
// confirm, and the waitlist (join when nothing fits; take a freed time offered to you). A new patient gives
// their name and date of birth once, before their first booking.
//
// Every button and list row carries what it stands for in its id (`booking:slot:<mode>:<service>:<who>:<minute>`),
// so a tap on an older message still does what it said; the flow's state only serves to read the patient's
// typed words in context (a name, a date of birth, "Thursday at 10" while choosing a time). `mode` is `new`
// or the id of the appointment being moved. The writes go through ctx.scheduling (flow.ts: SchedulingPort),
// in the message's transaction. Without a clinic to book with, reception arranges it through a handoff.
import type { AppointmentOutcome, AppointmentView, Flow, FlowContext, SchedulingPort, ServiceChoice, SlotChoice, StepInput, StepResult } from '../../conversation/flow.js';
import type { Intent } from '../../nlu/types.js';
import { list, replyButtons, text, type OutboundMessage } from '../../whatsapp/outbound.js';
import { tappedId } from '../common.js';
import { handTo } from '../handoff.js';
import { confirmationMessage, dayLabel, details, fit, languagesSpoken, localDay, slotLabel, timeOf, type ConfirmationKey } from './format.js';
import { matchPractitioner, matchService, parseDateOfBirth, parseName, wantOf, wantTarget, type Want } from './understand.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far ahead the day list looks. */
const DAYS_AHEAD = 28;
/** Rows of a list page (the Cloud API allows 10 in all: the rest are "more" and "another day"). */
const PAGE = 8;

type Who = string; // a practitioner id, or 'any'
type Mode = string; // 'new', or the id of the appointment being moved

interface Pick {
  serviceId: string;
  practitionerId: string;
  start: string;
}
interface Wish {
  serviceId: string;
  who: Who;
  fromDate: string;
  toDate: string;
  part: 'any' | 'morning' | 'afternoon';
}
type Pending = { kind: 'slot'; pick: Pick } | { kind: 'waitlist'; wish: Wish };

export type BookingState =
  | { at: 'service'; want: Want | null; misses: number }
  | { at: 'practitioner'; mode: Mode; serviceId: string; want: Want | null; misses: number }
  | { at: 'day' | 'offer'; mode: Mode; serviceId: string; who: Who; misses: number }
  | { at: 'time'; mode: Mode; serviceId: string; who: Who; day: string; misses: number }
  | { at: 'name'; pending: Pending; misses: number }
  | { at: 'dob'; pending: Pending; name: string; misses: number }
  | { at: 'reason'; appointmentId: string; misses: number };

type Result = StepResult<BookingState>;

const APPOINTMENT_INTENTS: ReadonlySet<Intent> = new Set(['book_appointment', 'reschedule_appointment', 'cancel_appointment', 'confirm_appointment', 'appointment_status']);
/** How sure the NLU must be that typed words mean something else for the flow to give them back. */
const ELSEWHERE = 0.7;

const reply = (outbound: OutboundMessage[], state: BookingState | null = null): Result => ({ state, outbound, effects: [] });
const body = (s: string) => fit(s, 1024);
const minuteOf = (d: Date) => Math.round(d.getTime() / MINUTE);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function port(ctx: FlowContext): SchedulingPort {
  if (!ctx.scheduling) throw new Error('the booking flow runs without scheduling');
  return ctx.scheduling;
}

async function serviceById(ctx: FlowContext, id: string): Promise<ServiceChoice | null> {
  return (await port(ctx).services()).find((s) => s.id === id) ?? null;
}

// ---- Choosing a service, a practitioner, a day, a time ----------------------------------------------

async function askService(ctx: FlowContext, input: StepInput, want: Want | null, page = 0, lead?: string): Promise<Result> {
  const { t } = ctx;
  const services = await port(ctx).services();
  if (services.length === 0) return handTo(ctx, input, 'booking.noServices');
  if (services.length === 1) return afterService(ctx, input, services[0]!, want, 'new', null);
  const many = services.length > 10;
  const shown = many ? services.slice(page * 9, page * 9 + 9) : services;
  const rows = shown.map((s) => ({ id: `booking:svc:${s.id}`, title: fit(s.name, 24), description: fit(t('booking.serviceRowDescription', { service: s.name, count: s.durationMinutes }), 72) }));
  if (many && (page + 1) * 9 < services.length) rows.push({ id: `booking:svcs:${page + 1}`, title: t('booking.moreRow'), description: t('booking.moreServicesRowDescription') });
  const question = t('booking.serviceBody');
  return reply([list({ body: body(lead ? `${lead}\n\n${question}` : question), button: t('booking.chooseButton'), sections: [{ rows }] })], { at: 'service', want, misses: 0 });
}

async function afterService(ctx: FlowContext, input: StepInput, service: ServiceChoice, want: Want | null, mode: Mode, who: Who | null): Promise<Result> {
  if (want) return offerNearest(ctx, input, mode, service, who ?? 'any', want);
  if (who !== null) return askDay(ctx, input, mode, service, who, null);
  const people = await port(ctx).practitioners(service.id);
  if (people.length <= 1) return askDay(ctx, input, mode, service, people[0]?.id ?? 'any', null);
  const { t } = ctx;
  const rows = [
    { id: `booking:pr:${mode}:${service.id}:any`, title: t('booking.firstAvailableRow'), description: t('booking.firstAvailableRowDescription') },
    ...people.slice(0, 9).map((p) => ({ id: `booking:pr:${mode}:${service.id}:${p.id}`, title: fit(p.name, 24), description: fit(t('booking.speaksRowDescription', { languages: languagesSpoken(ctx, p.languages) }), 72) })),
  ];
  return reply([list({ body: body(t('booking.practitionerBody', { service: service.name })), button: t('booking.chooseButton'), sections: [{ rows }] })], { at: 'practitioner', mode, serviceId: service.id, want, misses: 0 });
}

/** The days with free time, from `fromDay` (YYYY-MM-DD, local) or today. */
async function askDay(ctx: FlowContext, input: StepInput, mode: Mode, service: ServiceChoice, who: Who, fromDay: string | null, lead?: string): Promise<Result> {
  const { t } = ctx;
  const start = fromDay ? Math.max(input.now.getTime(), localMidnight(ctx, fromDay)) : input.now.getTime();
  const found = await port(ctx).slots({ serviceId: service.id, practitionerId: who === 'any' ? null : who, from: new Date(start), to: new Date(start + DAYS_AHEAD * DAY), limit: 5000 });
  const days = new Map<string, SlotChoice[]>();
  for (const s of found) {
    const d = localDay(ctx, s.start);
    days.set(d, [...(days.get(d) ?? []), s]);
  }
  if (days.size === 0) return noSlots(ctx, input, mode, service, who, null, lead);
  const all = [...days.entries()];
  const shown = all.slice(0, all.length > PAGE + 1 ? PAGE : PAGE + 1);
  const rows = shown.map(([day, slots]) => ({
    id: `booking:day:${mode}:${service.id}:${who}:${day}`,
    title: dayLabel(ctx, slots[0]!.start),
    description: fit(t('booking.dayRowDescription', { count: distinctStarts(slots).length, time: timeOf(ctx, slots[0]!.start) }), 72),
  }));
  const next = all[shown.length];
  if (next) rows.push({ id: `booking:days:${mode}:${service.id}:${who}:${next[0]}`, title: t('booking.laterDatesRow'), description: t('booking.laterDatesRowDescription') });
  const question = t('booking.dayBody', { service: service.name });
  return reply([list({ body: body(lead ? `${lead}\n\n${question}` : question), button: t('booking.chooseDayButton'), sections: [{ rows }] })], { at: 'day', mode, serviceId: service.id, who, misses: 0 });
}

/** One slot per start time: with "first available", the practitioner who speaks the patient's language first. */
function distinctStarts(slots: readonly SlotChoice[], prefer: ReadonlySet<string> = new Set()): SlotChoice[] {
  const byStart = new Map<number, SlotChoice>();
  for (const s of slots) {
    const k = s.start.getTime();
    const had = byStart.get(k);
    if (!had || (!prefer.has(had.practitionerId) && prefer.has(s.practitionerId))) byStart.set(k, s);
  }
  return [...byStart.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
}

async function speakers(ctx: FlowContext, serviceId: string): Promise<{ names: Map<string, string>; prefer: Set<string> }> {
  const people = await port(ctx).practitioners(serviceId);
  return { names: new Map(people.map((p) => [p.id, p.name])), prefer: new Set(people.filter((p) => p.languages.includes(ctx.language)).map((p) => p.id)) };
}

async function askTime(ctx: FlowContext, input: StepInput, mode: Mode, service: ServiceChoice, who: Who, day: string, page: number): Promise<Result> {
  const { t } = ctx;
  const from = localMidnight(ctx, day);
  const to = localMidnight(ctx, nextDay(day));
  const found = await port(ctx).slots({ serviceId: service.id, practitionerId: who === 'any' ? null : who, from: new Date(from), to: new Date(to), limit: 1000 });
  const { names, prefer } = await speakers(ctx, service.id);
  const slots = distinctStarts(found, prefer);
  if (slots.length === 0) return askDay(ctx, input, mode, service, who, day, t('booking.dayGone'));
  const pages = Math.ceil(slots.length / PAGE);
  const p = Math.min(page, pages - 1);
  const rows = slots.slice(p * PAGE, p * PAGE + PAGE).map((s) => ({
    id: `booking:slot:${mode}:${service.id}:${s.practitionerId}:${minuteOf(s.start)}`,
    title: timeOf(ctx, s.start),
    description: fit(names.get(s.practitionerId) ?? '', 72),
  }));
  if (p + 1 < pages) rows.push({ id: `booking:times:${mode}:${service.id}:${who}:${day}:${p + 1}`, title: t('booking.moreTimesRow'), description: t('booking.moreTimesRowDescription') });
  rows.push({ id: `booking:days:${mode}:${service.id}:${who}:${day}`, title: t('booking.otherDayRow'), description: t('booking.otherDayRowDescription') });
  return reply([list({ body: body(t('booking.timeBody', { service: service.name, day: dayLabel(ctx, slots[0]!.start) })), button: t('booking.chooseTimeButton'), sections: [{ rows }] })],
    { at: 'time', mode, serviceId: service.id, who, day, misses: 0 });
}

/** The free slots nearest what the patient asked ("jeudi vers 10h"), offered as buttons. */
async function offerNearest(ctx: FlowContext, input: StepInput, mode: Mode, service: ServiceChoice, who: Who, want: Want, lead?: string): Promise<Result> {
  const { t } = ctx;
  const found = await port(ctx).nearest({ serviceId: service.id, practitionerId: who === 'any' ? null : who, target: wantTarget(want), limit: 6 });
  const { names, prefer } = await speakers(ctx, service.id);
  // Nearest first, one per start time.
  const seen = new Set<number>();
  const slots: SlotChoice[] = [];
  for (const s of found) {
    const k = s.start.getTime();
    if (seen.has(k)) {
      const i = slots.findIndex((x) => x.start.getTime() === k);
      if (i >= 0 && !prefer.has(slots[i]!.practitionerId) && prefer.has(s.practitionerId)) slots[i] = s;
      continue;
    }
    seen.add(k);
    slots.push(s);
  }
  if (slots.length === 0) return noSlots(ctx, input, mode, service, who, want, lead);
  const offered = slots.slice(0, 2);
  const lines = offered.map((s) => t('booking.offerLine', { at: s.start, practitioner: names.get(s.practitionerId) ?? '' }));
  const question = t('booking.nearestBody', { service: service.name, count: offered.length });
  return reply([replyButtons({
    body: body([lead, question, lines.join('\n')].filter(Boolean).join('\n\n')),
    buttons: [
      ...offered.map((s) => ({ id: `booking:slot:${mode}:${service.id}:${s.practitionerId}:${minuteOf(s.start)}`, title: slotLabel(ctx, s.start) })),
      { id: `booking:days:${mode}:${service.id}:${who}:${localDay(ctx, input.now)}`, title: t('booking.otherTimesButton') },
    ],
  })], { at: 'offer', mode, serviceId: service.id, who, misses: 0 });
}

/** Nothing fits: the waitlist, or staff. */
function noSlots(ctx: FlowContext, input: StepInput, mode: Mode, service: ServiceChoice, who: Who, want: Want | null, lead?: string): Result {
  const { t } = ctx;
  const from = want ? new Date('at' in want ? want.at : want.from) : input.now;
  const to = want ? new Date(('at' in want ? new Date(want.at).getTime() : new Date(want.to).getTime()) + 7 * DAY) : new Date(input.now.getTime() + DAYS_AHEAD * DAY);
  const part = want && !('at' in want) ? partOf(ctx, new Date(want.from), new Date(want.to)) : 'any';
  const fromDate = localDay(ctx, new Date(Math.max(from.getTime(), input.now.getTime())));
  const buttons = [
    ...(mode === 'new' ? [{ id: `booking:wl:${service.id}:${who}:${fromDate}:${localDay(ctx, to)}:${part}`, title: t('booking.waitlistButton') }] : []),
    ...(want ? [{ id: `booking:days:${mode}:${service.id}:any:${localDay(ctx, input.now)}`, title: t('booking.otherTimesButton') }] : []),
    { id: 'handoff:human', title: t('menu.staffButton') },
  ];
  const says = want ? t('booking.noSlotsNearBody', { service: service.name }) : t('booking.noSlotsBody', { service: service.name, count: DAYS_AHEAD });
  return reply([replyButtons({ body: body(lead ? `${lead}\n\n${says}` : says), buttons })]);
}

function partOf(ctx: FlowContext, from: Date, to: Date): 'any' | 'morning' | 'afternoon' {
  const a = timeOf(ctx, from);
  const b = timeOf(ctx, new Date(to.getTime() - MINUTE));
  if (b <= '12:59' && a < '12:00') return 'morning';
  if (a >= '12:00') return 'afternoon';
  return 'any';
}

// ---- Local days in the clinic's zone ----------------------------------------------------------------

/** The instant a local day (YYYY-MM-DD) starts in the clinic's zone. */
function localMidnight(ctx: FlowContext, day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  let guess = Date.UTC(y!, m! - 1, d!);
  // Two corrections find the zone's offset at that midnight, also across a DST change.
  for (let i = 0; i < 2; i++) {
    const shown = localDay(ctx, new Date(guess));
    const hm = timeOf(ctx, new Date(guess)).split(':').map(Number);
    const [sy, sm, sd] = shown.split('-').map(Number);
    const drift = Date.UTC(sy!, sm! - 1, sd!, hm[0]!, hm[1]!) - Date.UTC(y!, m! - 1, d!);
    guess -= drift;
  }
  return guess;
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + 1)).toISOString().slice(0, 10);
}

// ---- Booking, identity ------------------------------------------------------------------------------

async function choose(ctx: FlowContext, input: StepInput, mode: Mode, pick: Pick): Promise<Result> {
  if (mode !== 'new') return move(ctx, input, mode, pick);
  const known = await port(ctx).identity();
  if (!known.name || !known.dateOfBirth) return askName(ctx, { kind: 'slot', pick }, 0);
  return book(ctx, input, pick);
}

function askName(ctx: FlowContext, pending: Pending, misses: number, retry = false): Result {
  const { t } = ctx;
  return reply([text(retry ? t('booking.nameRetry') : t('booking.nameAsk'))], { at: 'name', pending, misses });
}

function askBirth(ctx: FlowContext, pending: Pending, name: string, misses: number, retry = false): Result {
  const { t } = ctx;
  return reply([text(retry ? t('booking.birthRetry') : t('booking.birthAsk', { name: fit(name.split(' ')[0]!, 40) }))], { at: 'dob', pending, name, misses });
}

async function carryOn(ctx: FlowContext, input: StepInput, pending: Pending): Promise<Result> {
  return pending.kind === 'slot' ? book(ctx, input, pending.pick) : joinWaitlist(ctx, input, pending.wish);
}

async function book(ctx: FlowContext, input: StepInput, pick: Pick): Promise<Result> {
  const start = new Date(pick.start);
  const r = await port(ctx).book({ serviceId: pick.serviceId, practitionerId: pick.practitionerId, start });
  return booked(ctx, input, r, 'new', pick);
}

async function move(ctx: FlowContext, input: StepInput, appointmentId: string, pick: Pick): Promise<Result> {
  const r = await port(ctx).reschedule(appointmentId, { practitionerId: pick.practitionerId, start: new Date(pick.start) });
  return booked(ctx, input, r, appointmentId, pick);
}

/** The confirmation, or why not and what else there is. */
async function booked(ctx: FlowContext, input: StepInput, r: AppointmentOutcome, mode: Mode, pick: Pick): Promise<Result> {
  const { t } = ctx;
  if (r.ok) return reply([confirmation(ctx, r.appointment, mode === 'new' ? 'booking.bookedBody' : 'booking.movedBody')]);
  const service = await serviceById(ctx, pick.serviceId);
  if (r.code === 'not_found' || r.code === 'invalid_transition') return status(ctx, t('booking.cannotChange'));
  if (r.code === 'patient_busy' && service) return offerNearest(ctx, input, mode, service, 'any', { at: pick.start }, t('booking.patientBusy'));
  if (!service) return askService(ctx, input, null, 0, t('booking.serviceGone'));
  // Taken meanwhile, or no longer bookable (the lead time passed): the nearest free times instead.
  return offerNearest(ctx, input, mode, service, 'any', { at: pick.start }, t('booking.slotGone'));
}

function confirmation(ctx: FlowContext, a: AppointmentView, key: ConfirmationKey): OutboundMessage {
  return confirmationMessage(ctx.t, a, key);
}

// ---- The waitlist -----------------------------------------------------------------------------------

async function joinWaitlist(ctx: FlowContext, input: StepInput, wish: Wish): Promise<Result> {
  const { t } = ctx;
  const known = await port(ctx).identity();
  if (!known.name || !known.dateOfBirth) return askName(ctx, { kind: 'waitlist', wish }, 0);
  const service = await serviceById(ctx, wish.serviceId);
  if (!service) return askService(ctx, input, null, 0, t('booking.serviceGone'));
  const ok = await port(ctx).joinWaitlist({ serviceId: wish.serviceId, practitionerId: wish.who === 'any' ? null : wish.who, fromDate: wish.fromDate, toDate: wish.toDate, partOfDay: wish.part });
  if (!ok) return askService(ctx, input, null, 0, t('booking.serviceGone'));
  const at = (day: string) => new Date(localMidnight(ctx, day) + 12 * 3_600_000);
  return reply([text(t('booking.waitlistJoined', { service: service.name, from: dayLabel(ctx, at(wish.fromDate)), to: dayLabel(ctx, at(wish.toDate)) }))]);
}

async function takeOffer(ctx: FlowContext, offerId: string, yes: boolean): Promise<Result> {
  const { t } = ctx;
  if (!yes) {
    await port(ctx).declineOffer(offerId);
    return reply([text(t('booking.offerDeclined'))]);
  }
  const r = await port(ctx).acceptOffer(offerId);
  if (r.ok) return reply([confirmation(ctx, r.appointment, 'booking.bookedBody')]);
  return reply([text(t('booking.offerGone'))]);
}

// ---- The patient's appointments: status, cancel, reschedule, confirm ----------------------------------

function whenRow(ctx: FlowContext, a: AppointmentView, prefix: string) {
  return { id: `${prefix}:${a.id}`, title: fit(slotLabel(ctx, a.start), 24), description: fit(`${a.serviceName} · ${a.practitionerName}`, 72) };
}

function noneUpcoming(ctx: FlowContext, lead?: string): Result {
  const { t } = ctx;
  return reply([replyButtons({
    body: body(lead ? `${lead}\n\n${t('booking.noneUpcomingBody')}` : t('booking.noneUpcomingBody')),
    buttons: [{ id: 'booking:new', title: t('booking.bookButton') }, { id: 'menu:main', title: t('common.menuButton') }],
  })]);
}

function manageOne(ctx: FlowContext, a: AppointmentView, lead: string): OutboundMessage {
  const { t } = ctx;
  return replyButtons({
    body: body(`${lead}\n\n${details(ctx, a)}`),
    buttons: [
      ...(a.state === 'booked' ? [{ id: `booking:confirm:${a.id}`, title: t('booking.confirmButton') }] : []),
      { id: `booking:resched:${a.id}`, title: t('booking.rescheduleButton') },
      { id: `booking:cancel:${a.id}`, title: t('booking.cancelButton') },
    ],
  });
}

async function status(ctx: FlowContext, lead?: string): Promise<Result> {
  const { t } = ctx;
  const mine = await port(ctx).upcoming();
  if (mine.length === 0) return noneUpcoming(ctx, lead);
  const say = (s: string) => (lead ? `${lead}\n\n${s}` : s);
  if (mine.length === 1) return reply([manageOne(ctx, mine[0]!, say(t('booking.statusOneBody')))]);
  const lines = mine.slice(0, 5).map((a) => `• ${t('booking.detailsLine', { service: a.serviceName, at: a.start, practitioner: a.practitionerName })}`);
  return reply([list({
    body: body(say(`${t('booking.statusManyBody', { count: mine.length })}\n\n${lines.join('\n')}`)),
    button: t('booking.chooseButton'),
    sections: [{ rows: mine.slice(0, 10).map((a) => whenRow(ctx, a, 'booking:manage')) }],
  })]);
}

async function own(ctx: FlowContext, id: string): Promise<AppointmentView | null> {
  return (await port(ctx).upcoming()).find((a) => a.id === id) ?? null;
}

/** Which appointment, when the patient has several: a list whose rows lead to `prefix:<id>`. */
async function whichOne(ctx: FlowContext, prefix: string, question: string, then: (a: AppointmentView) => Promise<Result> | Result): Promise<Result> {
  const mine = await port(ctx).upcoming();
  if (mine.length === 0) return noneUpcoming(ctx);
  if (mine.length === 1) return then(mine[0]!);
  return reply([list({ body: body(question), button: ctx.t('booking.chooseButton'), sections: [{ rows: mine.slice(0, 10).map((a) => whenRow(ctx, a, prefix)) }] })]);
}

function askReason(ctx: FlowContext, a: AppointmentView): Result {
  const { t } = ctx;
  const rows = (['better', 'cannot', 'elsewhere', 'other'] as const).map((r) => ({ id: `booking:why:${a.id}:${r}`, title: t(`booking.reason_${r}Row`) }));
  rows.push({ id: `booking:keep:${a.id}`, title: t('booking.keepRow') });
  return reply([list({ body: body(t('booking.reasonBody', { service: a.serviceName, at: a.start })), button: t('booking.chooseButton'), sections: [{ rows }] })], { at: 'reason', appointmentId: a.id, misses: 0 });
}

async function cancel(ctx: FlowContext, appointmentId: string, note: string): Promise<Result> {
  const { t } = ctx;
  const r = await port(ctx).cancel(appointmentId, note);
  if (!r.ok) return status(ctx, t('booking.cannotChange'));
  return reply([replyButtons({
    body: body(t('booking.cancelledBody', { service: r.appointment.serviceName, at: r.appointment.start })),
    buttons: [{ id: 'booking:new', title: t('booking.bookAgainButton') }, { id: 'menu:main', title: t('common.menuButton') }],
  })]);
}

/** Nearby free times for the appointment being moved (same service, anyone who gives it). */
async function offerMove(ctx: FlowContext, input: StepInput, a: AppointmentView, want: Want | null): Promise<Result> {
  const service = await serviceById(ctx, a.serviceId);
  if (!service) return status(ctx, ctx.t('booking.cannotChange'));
  return offerNearest(ctx, input, a.id, service, 'any', want ?? { at: a.start.toISOString() }, ctx.t('booking.moveLead', { service: a.serviceName, at: a.start }));
}

async function confirmNext(ctx: FlowContext): Promise<Result> {
  const { t } = ctx;
  const mine = await port(ctx).upcoming();
  const next = mine.find((a) => a.state === 'booked') ?? mine[0];
  if (!next) return noneUpcoming(ctx);
  const r = await port(ctx).confirm(next.id);
  if (!r.ok) return status(ctx, t('booking.cannotChange'));
  return reply([confirmation(ctx, r.appointment, 'booking.confirmedBody')]);
}

// ---- Routing taps and words -------------------------------------------------------------------------

async function onTap(ctx: FlowContext, input: StepInput, id: string): Promise<Result | null> {
  const p = id.split(':');
  const kind = p[1];
  const svc = async (sid: string | undefined) => (sid && UUID.test(sid) ? serviceById(ctx, sid) : null);
  const whoOk = (w: string | undefined): w is string => w === 'any' || (w !== undefined && UUID.test(w));
  const modeOk = (m: string | undefined): m is string => m === 'new' || (m !== undefined && UUID.test(m));
  const dayOk = (d: string | undefined): d is string => d !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(d);
  switch (kind) {
    case 'new': return askService(ctx, input, null);
    case 'status': return status(ctx);
    case 'start': {
      const service = (await port(ctx).services()).find((s) => s.code === p[2]);
      return service ? afterService(ctx, input, service, null, 'new', null) : askService(ctx, input, null);
    }
    case 'svcs': return askService(ctx, input, null, Math.max(0, Number(p[2]) || 0));
    case 'svc': {
      const service = await svc(p[2]);
      return service ? afterService(ctx, input, service, null, 'new', null) : askService(ctx, input, null);
    }
    case 'pr': {
      const service = await svc(p[3]);
      if (!service || !modeOk(p[2]) || !whoOk(p[4])) return askService(ctx, input, null);
      return askDay(ctx, input, p[2], service, p[4], null);
    }
    case 'day':
    case 'days': {
      const service = await svc(p[3]);
      if (!service || !modeOk(p[2]) || !whoOk(p[4]) || !dayOk(p[5])) return askService(ctx, input, null);
      return kind === 'day' ? askTime(ctx, input, p[2], service, p[4], p[5], 0) : askDay(ctx, input, p[2], service, p[4], p[5]);
    }
    case 'times': {
      const service = await svc(p[3]);
      if (!service || !modeOk(p[2]) || !whoOk(p[4]) || !dayOk(p[5])) return askService(ctx, input, null);
      return askTime(ctx, input, p[2], service, p[4], p[5], Math.max(0, Number(p[6]) || 0));
    }
    case 'slot': {
      const minute = Number(p[5]);
      if (!modeOk(p[2]) || !p[3] || !UUID.test(p[3]) || !p[4] || !UUID.test(p[4]) || !Number.isSafeInteger(minute)) return askService(ctx, input, null);
      return choose(ctx, input, p[2], { serviceId: p[3], practitionerId: p[4], start: new Date(minute * MINUTE).toISOString() });
    }
    case 'wl': {
      const part = p[7] === 'morning' || p[7] === 'afternoon' ? p[7] : 'any';
      if (!p[2] || !UUID.test(p[2]) || !whoOk(p[3]) || !dayOk(p[4]) || !dayOk(p[5])) return askService(ctx, input, null);
      return joinWaitlist(ctx, input, { serviceId: p[2], who: p[3], fromDate: p[4], toDate: p[5], part });
    }
    case 'offer': return takeOffer(ctx, p[2] ?? '', p[3] === 'yes');
    case 'manage': {
      const a = await own(ctx, p[2] ?? '');
      return a ? reply([manageOne(ctx, a, ctx.t('booking.statusOneBody'))]) : status(ctx, ctx.t('booking.cannotChange'));
    }
    case 'cancel': {
      const a = await own(ctx, p[2] ?? '');
      return a ? askReason(ctx, a) : status(ctx, ctx.t('booking.cannotChange'));
    }
    case 'why': return cancel(ctx, p[2] ?? '', `reason:${p[3] ?? 'other'}`);
    case 'keep': return reply([text(ctx.t('booking.kept'))]);
    case 'resched': {
      const a = await own(ctx, p[2] ?? '');
      return a ? offerMove(ctx, input, a, null) : status(ctx, ctx.t('booking.cannotChange'));
    }
    case 'confirm': {
      const r = await port(ctx).confirm(p[2] ?? '');
      return r.ok ? reply([confirmation(ctx, r.appointment, 'booking.confirmedBody')]) : status(ctx, ctx.t('booking.cannotChange'));
    }
    default: return null;
  }
}

/** A request in the patient's words: the intent, and for a booking the service, practitioner and time named. */
async function onIntent(ctx: FlowContext, input: StepInput, intent: Intent): Promise<Result> {
  const { t } = ctx;
  const want = wantOf(input.nlu);
  switch (intent) {
    case 'appointment_status': return status(ctx);
    case 'confirm_appointment': return confirmNext(ctx);
    case 'cancel_appointment': return whichOne(ctx, 'booking:cancel', t('booking.whichCancelBody'), (a) => askReason(ctx, a));
    case 'reschedule_appointment': {
      // "Move" with nothing booked, naming a service and a time, is a booking ("teleconsultation mercredi à 11h").
      if ((await port(ctx).upcoming()).length === 0 && matchService(input.text ?? '', await port(ctx).services())) return bookFromWords(ctx, input, want);
      return whichOne(ctx, 'booking:resched', t('booking.whichMoveBody'), (a) => offerMove(ctx, input, a, want));
    }
    default: return bookFromWords(ctx, input, want);
  }
}

async function bookFromWords(ctx: FlowContext, input: StepInput, want: Want | null): Promise<Result> {
  const said = input.text ?? '';
  const service = matchService(said, await port(ctx).services());
  if (!service) return askService(ctx, input, want);
  const named = matchPractitioner(said, await port(ctx).practitioners(service.id));
  return afterService(ctx, input, service, want, 'new', named?.id ?? null);
}

/** Typed words mean something else (an FAQ question, symptoms): give them back to the router. */
function elsewhere(input: StepInput): boolean {
  const nlu = input.nlu;
  return nlu !== null && !APPOINTMENT_INTENTS.has(nlu.intent) && nlu.intent !== 'other' && nlu.confidence >= ELSEWHERE;
}

const pass = (): Result => ({ state: null, outbound: [], effects: [], pass: true });

/** The same question again once, with a hint; the second time the words go back to the router. */
async function again(ctx: FlowContext, input: StepInput, s: BookingState): Promise<Result> {
  if (s.misses >= 1 || elsewhere(input)) return pass();
  const hint = ctx.t('booking.chooseHint');
  let r: Result;
  if (s.at === 'service') r = await askService(ctx, input, s.want, 0, hint);
  else if (s.at === 'practitioner' || s.at === 'day' || s.at === 'offer' || s.at === 'time') {
    const service = await serviceById(ctx, s.serviceId);
    if (!service) return pass();
    if (s.at === 'practitioner') r = await afterService(ctx, input, service, null, s.mode, null);
    else if (s.at === 'time') r = await askTime(ctx, input, s.mode, service, s.who, s.day, 0);
    else r = await askDay(ctx, input, s.mode, service, s.who, null, hint);
  } else return pass();
  return r.state ? { ...r, state: { ...r.state, misses: s.misses + 1 } } : r;
}

async function onWords(ctx: FlowContext, input: StepInput, s: BookingState): Promise<Result> {
  const said = input.text ?? '';
  const intent = input.nlu?.intent;
  const sure = (input.nlu?.confidence ?? 0) >= 0.6;
  switch (s.at) {
    case 'name': {
      // "tomorrow morning" is letters too, but not a name.
      const name = (input.nlu?.entities.dates?.length ?? 0) > 0 ? null : parseName(said);
      if (name) return askBirth(ctx, s.pending, name, 0);
      if (elsewhere(input) || s.misses >= 2) return pass();
      return askName(ctx, s.pending, s.misses + 1, true);
    }
    case 'dob': {
      const dob = parseDateOfBirth(said, input.nlu, input.now);
      if (dob) {
        await port(ctx).saveIdentity({ name: s.name, dateOfBirth: dob });
        return carryOn(ctx, input, s.pending);
      }
      if (elsewhere(input) || s.misses >= 2) return pass();
      return askBirth(ctx, s.pending, s.name, s.misses + 1, true);
    }
    case 'reason':
      if (elsewhere(input)) return pass();
      return cancel(ctx, s.appointmentId, said.slice(0, 500));
    default:
      break;
  }
  // Another appointment request in the middle ("actually, cancel my appointment").
  if (sure && intent && intent !== 'book_appointment' && APPOINTMENT_INTENTS.has(intent)) return onIntent(ctx, input, intent);
  const want = wantOf(input.nlu);
  if (s.at === 'service') {
    const service = matchService(said, await port(ctx).services());
    if (service) return afterService(ctx, input, service, want ?? s.want, 'new', null);
    if (want && !elsewhere(input)) return askService(ctx, input, want);
    return again(ctx, input, s);
  }
  const service = await serviceById(ctx, s.serviceId);
  if (!service) return askService(ctx, input, want);
  // Another service named ("no, a blood test") starts over with it.
  const other = s.mode === 'new' ? matchService(said, await port(ctx).services()) : null;
  if (other && other.id !== service.id) return afterService(ctx, input, other, want, 'new', null);
  if (s.at === 'practitioner') {
    const named = matchPractitioner(said, await port(ctx).practitioners(service.id));
    if (named) return afterService(ctx, input, service, want, s.mode, named.id);
    if (want) return offerNearest(ctx, input, s.mode, service, 'any', want);
    return again(ctx, input, s);
  }
  if (want) return offerNearest(ctx, input, s.mode, service, s.who, want);
  return again(ctx, input, s);
}

async function begin(input: StepInput, ctx: FlowContext): Promise<Result> {
  const id = tappedId(input.message);
  if (id === 'menu:book') {
    const mine = await port(ctx).upcoming();
    if (mine.length === 0) return askService(ctx, input, null);
    return reply([replyButtons({
      body: body(ctx.t('booking.menuBody', { count: mine.length })),
      buttons: [{ id: 'booking:new', title: ctx.t('booking.newButton') }, { id: 'booking:status', title: ctx.t('booking.mineButton') }],
    })]);
  }
  // A reminder template's quick replies: `confirm:<id>`, `reschedule:<id>`, `cancel:<id>`.
  const payload = id === null ? null : /^(confirm|reschedule|cancel):([0-9a-f-]{36})$/i.exec(id);
  if (payload) return (await onTap(ctx, input, `booking:${payload[1] === 'reschedule' ? 'resched' : payload[1]!.toLowerCase()}:${payload[2]}`)) ?? status(ctx);
  if (id !== null && id.startsWith('booking:')) return (await onTap(ctx, input, id)) ?? askService(ctx, input, null);
  const intent = input.nlu?.intent;
  return onIntent(ctx, input, intent && APPOINTMENT_INTENTS.has(intent) ? intent : 'book_appointment');
}

const BY_INTENT: Record<string, string> = {
  book_appointment: 'booking.handoffBook',
  reschedule_appointment: 'booking.handoffReschedule',
  cancel_appointment: 'booking.handoffCancel',
  confirm_appointment: 'booking.handoffConfirm',
  appointment_status: 'booking.handoffStatus',
};

export const bookingFlow: Flow<BookingState> = {
  name: 'booking',
  version: 2,
  async start(input, ctx) {
    // No clinic to book with: reception arranges it, through a handoff.
    if (!ctx.scheduling) return handTo(ctx, input, tappedId(input.message) === null ? (BY_INTENT[input.nlu?.intent ?? ''] ?? 'booking.handoffBook') : 'booking.handoffBook');
    return begin(input, ctx);
  },
  async step(state, input, ctx) {
    if (!ctx.scheduling) return this.start(input, ctx);
    const id = tappedId(input.message);
    if (id !== null) return begin(input, ctx);
    if (input.text === null || input.text.trim() === '') return pass();
    return onWords(ctx, input, state);
  },
};
