// When a care plan is due: its RFC 5545 rule expanded from a local start in the plan's IANA zone, through
// rrule-temporal (Temporal's zone rules: the same instants whatever the process TZ). Pure: strings in,
// instants out. RFC 5545 drops an occurrence whose local time does not exist (a spring-forward night, 02:30
// in Paris on the last Sunday of March): a dose silently missing, so such a plan is refused at entry instead.
import { RRuleTemporal } from 'rrule-temporal';
import { Temporal } from 'temporal-polyfill';

export interface PlanSchedule {
  /** RRULE without DTSTART: FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=60. */
  rrule: string;
  /** 'YYYY-MM-DDTHH:MM', local in `zone`. */
  dtstartLocal: string;
  zone: string;
}

export type ScheduleProblem = { field: 'rrule' | 'dtstart' | 'timeZone'; message: string };

/** How far ahead the entry check looks for a plan without COUNT or UNTIL. */
const CHECK_DAYS = 400;
const CHECK_MAX = 5000;

function validZone(zone: string): boolean {
  try {
    Temporal.Now.zonedDateTimeISO(zone);
    return true;
  } catch {
    return false;
  }
}

function parseRule(s: PlanSchedule, zone: string): RRuleTemporal {
  const rule = s.rrule.replace(/^RRULE:/i, '').trim();
  if (!/^FREQ=/i.test(rule) || /DTSTART|\n/i.test(rule)) throw new Error('must be an RRULE such as FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=60');
  const start = Temporal.PlainDateTime.from(s.dtstartLocal).toZonedDateTime(zone, { disambiguation: 'compatible' });
  return new RRuleTemporal({ rruleString: rule, dtstart: start, strict: true });
}

/** Whether the plan can be scheduled as given, or which field is wrong and why. */
export function checkSchedule(s: PlanSchedule): ScheduleProblem | null {
  if (!validZone(s.zone)) return { field: 'timeZone', message: 'is not an IANA time zone' };
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(s.dtstartLocal)) return { field: 'dtstart', message: 'must be a local date and time such as 2027-03-01T08:00' };
  let local: Temporal.PlainDateTime;
  try {
    local = Temporal.PlainDateTime.from(s.dtstartLocal);
  } catch {
    return { field: 'dtstart', message: 'is not a date and time' };
  }
  if (!exists(local, s.zone)) return { field: 'dtstart', message: `${s.dtstartLocal} does not exist in ${s.zone} (the clocks go forward)` };
  // The rule's local times, as wall-clock times (expanded in UTC, where every local time exists), each
  // checked against the zone.
  let floating: RRuleTemporal;
  try {
    parseRule(s, s.zone);
    floating = parseRule(s, 'UTC');
  } catch (e) {
    return { field: 'rrule', message: e instanceof Error && e.message.startsWith('must') ? e.message : 'is not a valid RFC 5545 recurrence rule' };
  }
  const limit = local.toZonedDateTime('UTC').add({ days: CHECK_DAYS }).epochMilliseconds;
  let gap: Temporal.PlainDateTime | null = null;
  let n = 0;
  try {
    floating.all((d) => {
      n++;
      if (d.epochMilliseconds > limit || n > CHECK_MAX) return false;
      const wall = d.toPlainDateTime();
      if (!exists(wall, s.zone)) {
        gap = wall;
        return false;
      }
      return true;
    });
  } catch {
    return { field: 'rrule', message: 'is not a valid RFC 5545 recurrence rule' };
  }
  if (gap !== null) {
    const g: Temporal.PlainDateTime = gap;
    return { field: 'rrule', message: `gives ${g.toString().slice(0, 16)}, which does not exist in ${s.zone} (the clocks go forward): choose another time` };
  }
  if (n === 0) return { field: 'rrule', message: 'gives no occurrence' };
  return null;
}

/** Whether a local date and time exists in the zone (not skipped by a spring-forward change). */
export function exists(local: Temporal.PlainDateTime, zone: string): boolean {
  const z = local.toZonedDateTime(zone, { disambiguation: 'compatible' });
  return Temporal.PlainDateTime.compare(z.toPlainDateTime(), local) === 0;
}

/** The plan's instants in [from, to), earliest first. */
export function occurrences(s: PlanSchedule, from: Date, to: Date): Date[] {
  if (to.getTime() <= from.getTime()) return [];
  const rule = parseRule(s, s.zone);
  return rule.between(from, to, true).map((d) => new Date(d.epochMilliseconds)).filter((d) => d.getTime() >= from.getTime() && d.getTime() < to.getTime());
}

/** The plan's first instant strictly after `after`, or null when the rule has ended. */
export function nextAfter(s: PlanSchedule, after: Date): Date | null {
  const d = parseRule(s, s.zone).next(after, false);
  return d ? new Date(d.epochMilliseconds) : null;
}

/** The plan's last instant when the rule ends (COUNT or UNTIL), else null (it runs until stopped). */
export function lastOf(s: PlanSchedule): Date | null {
  if (!/(?:^|;)\s*(?:COUNT|UNTIL)=/i.test(s.rrule)) return null;
  let last: Date | null = null;
  let n = 0;
  parseRule(s, s.zone).all((d) => {
    last = new Date(d.epochMilliseconds);
    return ++n < CHECK_MAX;
  });
  return last;
}
