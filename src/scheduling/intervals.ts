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

// Offsets change only at quarter-hour instants (zones' offsets and change times are whole quarter hours), so
// one look-up per zone and quarter hour serves every instant in it: a bounded cache of the tz database.
const QUARTER = 15 * MINUTE;
const offsetCache = new Map<string, number>();

/** The zone's offset from UTC at `instant`, in milliseconds (Paris in summer: +7,200,000). */
export function zoneOffset(zone: string, instant: number): number {
  const bucket = Math.floor(instant / QUARTER) * QUARTER;
  const key = `${zone}|${bucket}`;
  let v = offsetCache.get(key);
  if (v === undefined) {
    v = offsetFromIntl(zone, bucket);
    if (offsetCache.size >= 50_000) offsetCache.clear();
    offsetCache.set(key, v);
  }
  return v;
}

/**
 * The instant at which `zone`'s clocks read this local date and minute of the day (0…1440). A wall time
 * that happens twice (the fall-back hour) is its first occurrence; one that never happens (the
 * spring-forward gap) is moved forward by the gap, as clocks are (02:30 in Paris on 2027-03-28 → 03:30).
 */
export function localToInstant(zone: string, date: LocalDate, minuteOfDay: number): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minuteOfDay * MINUTE;
  const [before, after] = dayOffsets(zone, date);
  // No change of offset within a day either side: the common case, no further look-up.
  if (before === after && minuteOfDay >= 0 && minuteOfDay <= 1440) return wall - before;
  const candidates = [...new Set([wall - before, wall - after])].filter((t) => wallAsUtc(zone, t) === wall).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0]!;
  return wall - before;
}

// The zone's offsets a day before and a day after a date's midnight: equal unless a change is near. A cache
// of a pure function of the tz database (bounded), since slot searches ask the same days again and again.
const dayOffsetCache = new Map<string, readonly [number, number]>();
function dayOffsets(zone: string, date: LocalDate): readonly [number, number] {
  const key = `${zone}|${date.year}-${date.month}-${date.day}`;
  let v = dayOffsetCache.get(key);
  if (!v) {
    const midnight = Date.UTC(date.year, date.month - 1, date.day);
    v = [zoneOffset(zone, midnight - DAY), zoneOffset(zone, midnight + 2 * DAY)];
    if (dayOffsetCache.size >= 20_000) dayOffsetCache.clear();
    dayOffsetCache.set(key, v);
  }
  return v;
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

/** Sorts and merges overlapping or touching intervals; drops empty ones. */
export function normalize(list: readonly Interval[]): Interval[] {
  const sorted = list.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

export function union(...lists: readonly (readonly Interval[])[]): Interval[] {
  return normalize(lists.flat());
}

/** The instants in both lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalize(a);
  const y = normalize(b);
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

/** The instants of `a` not in `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const cut = normalize(b);
  const out: Interval[] = [];
  for (const piece of normalize(a)) {
    let start = piece.start;
    for (const c of cut) {
      if (c.end <= start) continue;
      if (c.start >= piece.end) break;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
      if (start >= piece.end) break;
    }
    if (start < piece.end) out.push({ start, end: piece.end });
  }
  return out;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Weekly rules as concrete intervals within `range`, each day's wall-clock times turned into instants in
 * `zone`: an 08:00–12:00 session is 07:00–11:00 UTC in Paris in winter and 06:00–10:00 UTC in summer, and on
 * a DST day it lasts an hour more or less only when it spans the change.
 */
export function expandWeekly(rules: readonly WeeklyRule[], zone: string, range: Interval): Interval[] {
  if (rules.length === 0 || range.end <= range.start) return [];
  const out: Interval[] = [];
  // A day either side: a local day's hours may fall outside the UTC range's dates.
  const last = addDays(localDateOf(zone, range.end), 1);
  for (let d = addDays(localDateOf(zone, range.start), -1); formatLocalDate(d) <= formatLocalDate(last); d = addDays(d, 1)) {
    const wd = isoWeekday(d);
    const iso = formatLocalDate(d);
    for (const r of rules) {
      if (r.weekday !== wd) continue;
      if (r.validFrom && iso < r.validFrom) continue;
      if (r.validTo && iso > r.validTo) continue;
      const start = localToInstant(zone, d, minuteOfDay(r.start));
      const end = localToInstant(zone, d, minuteOfDay(r.end));
      if (end > start) out.push({ start, end });
    }
  }
  return intersect(normalize(out), [range]);
}

/** A local date range [from, to] (inclusive days) in `zone` as one interval of instants. */
export function localDaysInterval(zone: string, from: LocalDate, to: LocalDate): Interval {
  return { start: localToInstant(zone, from, 0), end: localToInstant(zone, addDays(to, 1), 0) };
}
