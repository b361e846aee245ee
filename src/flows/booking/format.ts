// How the booking flow writes times, days, practitioners and appointments: in the clinic's time zone and the
// patient's language, within the Cloud API's limits (button titles 20 characters, list rows 24, row
// descriptions 72, interactive bodies 1,024).
import type { AppointmentView, FlowContext, Translate } from '../../conversation/flow.js';
import { replyButtons, type OutboundMessage } from '../../whatsapp/outbound.js';
import { localeOf } from '../i18n.js';
import { dateTimeFormat } from '../../lib/intl.js';

/** Cuts a text to `n` characters (code points), with an ellipsis when it was longer. */
export function fit(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('').trimEnd()}…`;
}

function format(locale: string, timeZone: string, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return dateTimeFormat(locale, { timeZone, ...o });
}

const HM: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/** "10:20" in the clinic's zone. */
export function timeOf(ctx: FlowContext, at: Date): string {
  return format(localeOf(ctx.language), ctx.clinic.timeZone, HM).format(at);
}

/** "Thu 4 Dec, 10:20": a slot on a button (at most 20 characters). */
export function slotLabel(ctx: FlowContext, at: Date): string {
  const locale = localeOf(ctx.language);
  const zone = ctx.clinic.timeZone;
  const long = format(locale, zone, { weekday: 'short', day: 'numeric', month: 'short', ...HM }).format(at);
  if ([...long].length <= 20) return long;
  return fit(format(locale, zone, { weekday: 'short', day: '2-digit', month: '2-digit', ...HM }).format(at), 20);
}

/** "Thursday 4 December": a day in a list row (at most 24 characters). */
export function dayLabel(ctx: FlowContext, at: Date): string {
  const locale = localeOf(ctx.language);
  const zone = ctx.clinic.timeZone;
  for (const o of [{ weekday: 'long', day: 'numeric', month: 'long' }, { weekday: 'long', day: 'numeric', month: 'short' }, { weekday: 'short', day: 'numeric', month: 'short' }] as const) {
    const s = format(locale, zone, o).format(at);
    if ([...s].length <= 24) return s;
  }
  return fit(format(locale, zone, { weekday: 'short', day: '2-digit', month: '2-digit' }).format(at), 24);
}

/** The local calendar date YYYY-MM-DD of an instant in the clinic's zone. */
export function localDay(ctx: FlowContext, at: Date): string {
  return format('en-CA', ctx.clinic.timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

const languageNames = new Map<string, Intl.DisplayNames>();
/** "French, English, Spanish": the languages a practitioner speaks, named in the patient's language. */
export function languagesSpoken(ctx: FlowContext, codes: readonly string[]): string {
  let names = languageNames.get(ctx.language);
  if (!names) {
    names = new Intl.DisplayNames([localeOf(ctx.language)], { type: 'language' });
    languageNames.set(ctx.language, names);
  }
  const n = names;
  return codes.map((c) => n.of(c) ?? c).join(', ');
}

/** What an appointment is: service, when, with whom, where or the video link, how to prepare. */
export function details(ctx: FlowContext, a: AppointmentView): string {
  return appointmentDetails(ctx.t, a);
}

/** The same, with a translator bound to the patient's language and the location's zone. */
export function appointmentDetails(t: Translate, a: AppointmentView): string {
  const lines = [t('booking.detailsLine', { service: a.serviceName, at: a.start, practitioner: a.practitionerName })];
  if (a.mode === 'video') lines.push(a.videoUrl ? t('booking.videoLine', { link: a.videoUrl }) : t('booking.videoLater'));
  else if (a.address) lines.push(t('booking.addressLine', { address: a.address }));
  if (a.instructions) lines.push(t('booking.prepareLine', { instructions: a.instructions }));
  return lines.join('\n');
}

export type ConfirmationKey = 'booking.bookedBody' | 'booking.movedBody' | 'booking.confirmedBody';

/** The confirmation: what happened, the appointment, and Reschedule / Cancel buttons the booking flow takes. */
export function confirmationMessage(t: Translate, a: AppointmentView, key: ConfirmationKey): OutboundMessage {
  return replyButtons({
    body: fit(`${t(key)}\n\n${appointmentDetails(t, a)}\n\n${t('booking.changeHint')}`, 1024),
    buttons: [
      { id: `booking:resched:${a.id}`, title: t('booking.rescheduleButton') },
      { id: `booking:cancel:${a.id}`, title: t('booking.cancelButton') },
    ],
  });
}
