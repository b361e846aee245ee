// Pure interval maths for availability: half-open intervals of epoch milliseconds [start, end), weekly
// rules in a location's IANA zone turned into concrete instants (DST-correct), and union / intersection /
// difference of sorted interval lists. No I/O, no clock: callers pass the instants (STYLE.md rule 11, after
// Cal.com's packages/lib/date-ranges.ts). Time zones go through Intl (the zone-offset technique): a wall
// clock time is turned into an instant by trying the zone's offsets around it and keeping the one that
// reads back as that wall time.

export interface Interval {
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive. */
  end: number;
}

/** A local calendar date. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A weekly rule in local wall-clock time: ISO weekday (1 = Monday), 'HH:MM' (24:00 ends a day). */
export interface WeeklyRule {
  weekday: number;
  start: string;
  end: string;
  /** 'YYYY-MM-DD', inclusive; null or absent: no bound. */
  validFrom?: string | null;
  validTo?: string | null;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `zone` at `instant`, as the epoch milliseconds of that wall time read as UTC. */
function wallAsUtc(zone: string, instant: number): number {
  return instant + zoneOffset(zone, instant);
}

function offsetFromIntl(zone: string, instant: number): number {
  const parts = formatter(zone).formatToParts(new Date(instant));
  const get = (t: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - instant;
}

// A bounded cache of the tz database, per zone (numeric keys: no string is built per look-up).
//   quarters: offsets change only at quarter-hour instants (zones' offsets and change times are whole quarter
//     hours), so one Intl look-up per quarter hour serves every instant in it.
//   days: for a local date (as a day number), the zone's one offset when it is the same a day before and
//     two days after the date's midnight (no change near: every wall time of the date maps by it), else NaN.
interface ZoneCache {
  quarters: Map<number, number>;
  days: Map<number, number>;
}
const QUARTER = 15 * MINUTE;
const zoneCaches = new Map<string, ZoneCache>();
function zoneCache(zone: string): ZoneCache {
  let z = zoneCaches.get(zone);
  if (!z) {
    z = { quarters: new Map(), days: new Map() };
    zoneCaches.set(zone, z);
  }
  return z;
}

/** The zone's offset from UTC at `instant`, in milliseconds (Paris in summer: +7,200,000). */
export function zoneOffset(zone: string, instant: number): number {
  const bucket = Math.floor(instant / QUARTER);
  const quarters = zoneCache(zone).quarters;
  let v = quarters.get(bucket);
  if (v === undefined) {
    v = offsetFromIntl(zone, bucket * QUARTER);
    if (quarters.size >= 50_000) quarters.clear();
    quarters.set(bucket, v);
  }
  return v;
}

/** A local date as a day number: days since 1970-01-01 (negative before). */
export function dayNumber(date: LocalDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / DAY);
}

/** The local date of a day number. */
export function dateOfDay(day: number): LocalDate {
  const t = new Date(day * DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (day 0, 1970-01-01, was a Thursday). */
export function weekdayOfDay(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The zone's offset throughout a local date's wall times when no change is near it, else NaN (cached). */
function steadyOffset(zone: string, day: number): number {
  const days = zoneCache(zone).days;
  let v = days.get(day);
  if (v === undefined) {
    const midnight = day * DAY;
    const before = zoneOffset(zone, midnight - DAY);
    v = before === zoneOffset(zone, midnight + 2 * DAY) ? before : Number.NaN;
    if (days.size >= 20_000) days.clear();
    days.set(day, v);
  }
  return v;
}

/**
 * The instant at which `zone`'s clocks read this local date and minute of the day (0…1440). A wall time
 * that happens twice (the fall-back hour) is its first occurrence; one that never happens (the
 * spring-forward gap) is moved forward by the gap, as clocks are (02:30 in Paris on 2027-03-28 → 03:30).
 */
export function localToInstant(zone: string, date: LocalDate, minuteOfDay: number): number {
  return instantOfDay(zone, dayNumber(date), minuteOfDay);
}

/** localToInstant with the date as a day number. */
export function instantOfDay(zone: string, day: number, minuteOfDay: number): number {
  const wall = day * DAY + minuteOfDay * MINUTE;
  // No change of offset within a day either side: the common case, no further look-up.
  const steady = steadyOffset(zone, day);
  if (!Number.isNaN(steady) && minuteOfDay >= 0 && minuteOfDay <= 1440) return wall - steady;
  const midnight = day * DAY;
  const before = zoneOffset(zone, midnight - DAY);
  const after = zoneOffset(zone, midnight + 2 * DAY);
  const candidates = [...new Set([wall - before, wall - after])].filter((t) => wallAsUtc(zone, t) === wall).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  return wall - before;
}

/** The local day number in `zone` at `instant`. */
export function localDayOf(zone: string, instant: number): number {
  return Math.floor(wallAsUtc(zone, instant) / DAY);
}

/** The local date in `zone` at `instant`. */
export function localDateOf(zone: string, instant: number): LocalDate {
  const d = new Date(wallAsUtc(zone, instant));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Minutes since local midnight in `zone` at `instant`. */
export function localMinuteOf(zone: string, instant: number): number {
  const w = wallAsUtc(zone, instant);
  return Math.floor((((w % DAY) + DAY) % DAY) / MINUTE);
}

export function addDays(d: LocalDate, n: number): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + n * DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** ISO weekday of a calendar date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(d: LocalDate): number {
  const w = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return w === 0 ? 7 : w;
}

export function formatLocalDate(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

export function parseLocalDate(s: string): LocalDate {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new RangeError('not a YYYY-MM-DD date');
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** 'HH:MM' or 'HH:MM:SS' → minutes since midnight ('24:00' → 1440). */
export function minuteOfDay(time: string): number {
  const m = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(time);
  if (!m) throw new RangeError('not an HH:MM time');
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Sorts and merges overlapping or touching intervals; drops empty ones. The result's intervals are new objects. */
export function normalize(list: readonly Interval[]): Interval[] {
  // Lists are usually sorted already (rows read in order, the output of the functions below): no sort then.
  let sorted = true;
  for (let k = 1; k < list.length; k++) {
    const p = list[k - 1]!;
    const i = list[k]!;
    if (i.start < p.start || (i.start === p.start && i.end < p.end)) {
      sorted = false;
      break;
    }
  }
  const ordered = sorted ? list : list.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of ordered) {
    if (!(i.end > i.start)) continue;
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** The list itself when it is normalized already (sorted, disjoint, not touching, none empty), else normalize(list). For lists only read. */
export function normalized(list: readonly Interval[]): readonly Interval[] {
  for (let k = 0; k < list.length; k++) {
    const i = list[k]!;
    if (!(i.end > i.start) || (k > 0 && i.start <= list[k - 1]!.end)) return normalize(list);
  }
  return list;
}

export function union(...lists: readonly (readonly Interval[])[]): Interval[] {
  return normalize(lists.length === 1 ? lists[0]! : lists.flat());
}

/** The instants in both lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalized(a);
  const y = normalized(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const start = Math.max(x[i]!.start, y[j]!.start);
    const end = Math.min(x[i]!.end, y[j]!.end);
    if (end > start) out.push({ start, end });
    if (x[i]!.end < y[j]!.end) i++;
    else j++;
  }
  return out;
}

/** The index of the first interval of a normalized list that ends after `t` (the list's length if none). */
export function firstEndingAfter(list: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.end <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The instants of `a` not in `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const pieces = normalized(a);
  if (pieces.length === 0) return [];
  const cut = normalized(b);
  const out: Interval[] = [];
  // Both lists are sorted and disjoint: a cut that ends before a piece ends before every later piece too.
  let k = firstEndingAfter(cut, pieces[0]!.start);
  for (const piece of pieces) {
    while (k < cut.length && cut[k]!.end <= piece.start) k++;
    let start = piece.start;
    for (let c = k; c < cut.length; c++) {
      const x = cut[c]!;
      if (x.start >= piece.end) break;
      if (x.start > start) out.push({ start, end: x.start });
      start = Math.max(start, x.end);
      if (start >= piece.end) break;
    }
    if (start < piece.end) out.push({ start, end: piece.end });
  }
  return out;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Weekly rules by ISO weekday (index 1…7), times in minutes and validity as day numbers. */
function compile(rules: readonly WeeklyRule[]): { start: number; end: number; from: number; to: number }[][] {
  const byWeekday: { start: number; end: number; from: number; to: number }[][] = [[], [], [], [], [], [], [], []];
  for (const r of rules) {
    byWeekday[r.weekday]?.push({
      start: minuteOfDay(r.start), end: minuteOfDay(r.end),
      from: r.validFrom ? dayNumber(parseLocalDate(r.validFrom)) : -Infinity,
      to: r.validTo ? dayNumber(parseLocalDate(r.validTo)) : Infinity,
    });
  }
  return byWeekday;
}

/**
 * Weekly rules as concrete intervals within `range`, each day's wall-clock times turned into instants in
 * `zone`: an 08:00–12:00 session is 07:00–11:00 UTC in Paris in winter and 06:00–10:00 UTC in summer, and on
 * a DST day it lasts an hour more or less only when it spans the change.
 */
export function expandWeekly(rules: readonly WeeklyRule[], zone: string, range: Interval): Interval[] {
  if (rules.length === 0 || range.end <= range.start) return [];
  const byWeekday = compile(rules);
  const out: Interval[] = [];
  // A day either side: a local day's hours may fall outside the UTC range's dates.
  const last = localDayOf(zone, range.end) + 1;
  for (let d = localDayOf(zone, range.start) - 1; d <= last; d++) {
    for (const r of byWeekday[weekdayOfDay(d)]!) {
      if (d < r.from || d > r.to) continue;
      const start = Math.max(range.start, instantOfDay(zone, d, r.start));
      const end = Math.min(range.end, instantOfDay(zone, d, r.end));
      if (end > start) out.push({ start, end });
    }
  }
  return normalize(out);
}

/** A local date range [from, to] (inclusive days) in `zone` as one interval of instants. */
export function localDaysInterval(zone: string, from: LocalDate, to: LocalDate): Interval {
  return { start: localToInstant(zone, from, 0), end: localToInstant(zone, addDays(to, 1), 0) };
}
