// Care-plan schedules in the console (pages/care-plans.tsx), pure: an RFC 5545 rule said in words in the
// staff's language, and the rules the add-plan form builds (times of day, a number of doses, a follow-up in
// N months). The server expands and checks them (src/careplans/schedule.ts); test/console/schedule.test.ts
// expands what is built here with it.
import type { TFunction } from 'i18next';

const pad = (n: number) => String(n).padStart(2, '0');

const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** The plan's RFC 5545 rule in words: "Every day · 08:00, 20:00 · from 2 Mar 2027 · until 11 Mar 2027 (20 in all)". */
export function scheduleInWords(p: { rrule: string; dtstart: string; timeZone: string; lastDue: string | null }, t: TFunction, locale: string): string {
  const rule = Object.fromEntries(p.rrule.replace(/^RRULE:/i, '').split(';').map((kv) => kv.split('=') as [string, string]).map(([k, v]) => [k.toUpperCase(), v ?? '']));
  const list = (k: string) => (rule[k] ? rule[k].split(',').map(Number).filter((n) => Number.isFinite(n)) : null);
  const startHour = Number(p.dtstart.slice(11, 13));
  const startMinute = Number(p.dtstart.slice(14, 16));
  const interval = Number(rule['INTERVAL'] ?? 1) || 1;
  const freq = rule['FREQ'] ?? '';
  // As zoned.ts's dayShort and weekday (not imported: the server's tests import this file, under node16 rules).
  const shortDay = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' });
  const weekdayName = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', weekday: 'long' });
  const f = { dayShort: (day: string) => shortDay.format(new Date(`${day}T12:00:00Z`)), weekday: (n: number) => weekdayName.format(new Date(Date.UTC(2024, 0, n, 12))) };
  const day = new Intl.DateTimeFormat(locale, { timeZone: p.timeZone, dateStyle: 'medium' });
  const startDay = f.dayShort(p.dtstart.slice(0, 10));
  const count = rule['COUNT'] ? Number(rule['COUNT']) : null;
  if (count === 1) return t('careplans.once', { date: f.dayShort(p.dtstart.slice(0, 10)), time: `${pad(startHour)}:${pad(startMinute)}` });

  const parts: string[] = [];
  if (freq === 'DAILY') parts.push(interval === 1 ? t('careplans.everyDay') : t('careplans.everyNDays', { n: interval }));
  else if (freq === 'WEEKLY') parts.push(interval === 1 ? t('careplans.everyWeek') : t('careplans.everyNWeeks', { n: interval }));
  else if (freq === 'MONTHLY') parts.push(interval === 1 ? t('careplans.everyMonth') : t('careplans.everyNMonths', { n: interval }));
  else if (freq === 'HOURLY') parts.push(t('careplans.everyNHours', { n: interval }));
  else if (freq === 'MINUTELY') parts.push(t('careplans.everyNMinutes', { n: interval }));
  else parts.push(p.rrule);
  const days = rule['BYDAY']?.split(',').map((d) => WEEKDAYS.indexOf(d.slice(-2)) + 1).filter((n) => n > 0);
  if (days && days.length > 0) parts.push(days.map((n) => f.weekday(n)).join(', '));
  if (freq !== 'HOURLY' && freq !== 'MINUTELY') {
    const hours = list('BYHOUR') ?? [startHour];
    const minutes = list('BYMINUTE') ?? [startMinute];
    let times = hours.flatMap((h) => minutes.map((m) => h * 60 + m)).sort((x, y) => x - y);
    const pos = list('BYSETPOS');
    if (pos) times = pos.map((i) => times.at(i > 0 ? i - 1 : i)).filter((x): x is number => x !== undefined);
    parts.push(times.map((m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`).join(', '));
  }
  parts.push(t('careplans.from', { date: startDay }));
  if (count !== null) parts.push(p.lastDue ? t('careplans.untilCount', { date: day.format(new Date(p.lastDue)), count }) : t('careplans.countOnly', { count }));
  else if (rule['UNTIL']) parts.push(p.lastDue ? t('careplans.until', { date: day.format(new Date(p.lastDue)) }) : t('careplans.until', { date: rule['UNTIL'].slice(0, 8) }));
  else parts.push(t('careplans.untilStopped'));
  return parts.join(' · ');
}

/** "08:00, 20:30" as minutes of the day, sorted and unique; null when one is not a time. */
export function parseTimes(s: string): number[] | null {
  const out = new Set<number>();
  for (const part of s.split(/[,;\s]+/).filter(Boolean)) {
    const m = /^(\d{1,2})(?:[:h.](\d{2})?)?$/i.exec(part);
    if (!m) return null;
    const h = Number(m[1]);
    const min = Number(m[2] ?? 0);
    if (h > 23 || min > 59) return null;
    out.add(h * 60 + min);
  }
  return out.size > 0 ? [...out].sort((a, b) => a - b) : null;
}

/**
 * A daily rule at these times of day. RFC 5545 crosses BYHOUR with BYMINUTE (8,20 × 0,30 is four times), so
 * times with different minutes pick theirs out of the crossing with BYSETPOS.
 */
export function dailyRule(times: readonly number[], count: number | null): string {
  const hours = [...new Set(times.map((m) => Math.floor(m / 60)))].sort((a, b) => a - b);
  const minutes = [...new Set(times.map((m) => m % 60))].sort((a, b) => a - b);
  let rule = `FREQ=DAILY;BYHOUR=${hours.join(',')};BYMINUTE=${minutes.join(',')}`;
  if (minutes.length > 1) {
    const crossed = hours.flatMap((h) => minutes.map((m) => h * 60 + m)).sort((a, b) => a - b);
    rule += `;BYSETPOS=${times.map((x) => crossed.indexOf(x) + 1).join(',')}`;
  }
  return count === null ? rule : `${rule};COUNT=${count}`;
}

export const dayDiff = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

export function addMonths(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1 + n, 1));
  // The same day of the month, or the month's last (31 January + 1 month: 28 or 29 February).
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(d ?? 1, last));
  return t.toISOString().slice(0, 10);
}
