// The caches and fast paths of intervals.ts against plain computations: zone offsets (cached per zone and
// quarter hour) and wall times (cached per zone and day) across the DST changes of Europe/Paris and
// America/New_York, day numbers, and the sorted-list algebra against naive versions on seeded random lists.
import { describe, expect, it } from 'vitest';
import {
  dateOfDay, dayNumber, expandWeekly, firstEndingAfter, instantOfDay, isoWeekday, localDateOf, localDayOf, localToInstant, normalize,
  normalized, subtract, weekdayOfDay, zoneOffset, type Interval,
} from './intervals.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

/** The offset read from a formatter of the test's own (no cache involved; Intl shows whole seconds). */
function intlOffset(zone: string, instant: number): number {
  const second = Math.floor(instant / 1000) * 1000;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(second));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - second;
}

/** The wall clock of `zone` at `instant` as minutes since that local day's midnight, and the local date. */
function wall(zone: string, instant: number): { date: string; minute: number } {
  const w = instant + intlOffset(zone, instant);
  return { date: new Date(w).toISOString().slice(0, 10), minute: Math.floor((w % DAY) / MINUTE) };
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const changes = [
  { zone: 'Europe/Paris', spring: '2027-03-28', fall: '2027-10-31' },
  { zone: 'America/New_York', spring: '2027-03-14', fall: '2027-11-07' },
];

describe('the zone offset cache', () => {
  it.each(changes)('$zone: every minute of the days around both changes has the offset Intl gives, asked in any order and again', ({ zone, spring, fall }) => {
    const instants: number[] = [];
    for (const day of [spring, fall]) {
      for (let t = at(`${day}T00:00:00Z`) - DAY; t < at(`${day}T00:00:00Z`) + 2 * DAY; t += 7 * MINUTE) instants.push(t);
    }
    const next = random(14);
    const shuffled = [...instants].sort(() => next() - 0.5);
    for (const t of [...shuffled, ...instants]) {
      if (zoneOffset(zone, t) !== intlOffset(zone, t)) expect.fail(`${zone} at ${new Date(t).toISOString()}: ${zoneOffset(zone, t)} ≠ ${intlOffset(zone, t)}`);
    }
    // The change itself, to the millisecond.
    const change = zone === 'Europe/Paris' ? at(`${spring}T01:00:00Z`) : at(`${spring}T07:00:00Z`);
    expect(zoneOffset(zone, change - 1)).toBe(intlOffset(zone, change - 1));
    expect(zoneOffset(zone, change)).toBe(intlOffset(zone, change));
    expect(zoneOffset(zone, change)).not.toBe(zoneOffset(zone, change - 1));
  });

  it('keeps each zone\'s offsets apart (the same instants in Paris and New York, alternately)', () => {
    for (let t = at('2027-03-10T00:00Z'); t < at('2027-04-01T00:00Z'); t += 45 * MINUTE) {
      expect(zoneOffset('Europe/Paris', t)).toBe(intlOffset('Europe/Paris', t));
      expect(zoneOffset('America/New_York', t)).toBe(intlOffset('America/New_York', t));
    }
  });
});

describe('wall times to instants (cached per zone and day)', () => {
  it.each(changes)('$zone: every quarter hour of the days around both changes reads back, the gap moves forward, a repeated time is its first', ({ zone, spring, fall }) => {
    let gap = 0;
    for (const day of [spring, fall]) {
      const d0 = dayNumber({ year: Number(day.slice(0, 4)), month: Number(day.slice(5, 7)), day: Number(day.slice(8, 10)) });
      for (let d = d0 - 2; d <= d0 + 2; d++) {
        const date = new Date(d * DAY).toISOString().slice(0, 10);
        let previous = -Infinity;
        for (let m = 0; m <= 1440; m += 15) {
          const t = instantOfDay(zone, d, m);
          expect(t).toBe(localToInstant(zone, dateOfDay(d), m));
          const back = wall(zone, t);
          if (m === 1440) {
            expect(back).toEqual({ date: new Date((d + 1) * DAY).toISOString().slice(0, 10), minute: 0 });
          } else if (back.date === date && back.minute === m) {
            // The first occurrence: an hour earlier the clocks did not read this time; and later times are later.
            expect(wall(zone, t - 60 * MINUTE)).not.toEqual(back);
            expect(t).toBeGreaterThan(previous);
            previous = t;
          } else {
            // Only in the spring-forward gap: the instant of the time an hour later, as the clocks jumped.
            expect(day === spring && d === d0).toBe(true);
            expect(t).toBe(instantOfDay(zone, d, m + 60));
            gap++;
          }
        }
      }
    }
    expect(gap).toBe(4); // 02:00, 02:15, 02:30 and 02:45
  });

  it('day numbers round-trip dates, weekdays and local days', () => {
    for (let d = dayNumber({ year: 2026, month: 12, day: 20 }); d < dayNumber({ year: 2029, month: 1, day: 10 }); d++) {
      const date = dateOfDay(d);
      expect(dayNumber(date)).toBe(d);
      expect(weekdayOfDay(d)).toBe(isoWeekday(date));
      const noon = localToInstant('America/New_York', date, 720);
      expect(localDayOf('America/New_York', noon)).toBe(d);
      expect(localDateOf('America/New_York', noon)).toEqual(date);
    }
    expect(weekdayOfDay(0)).toBe(4); // 1970-01-01, a Thursday
    expect(weekdayOfDay(-1)).toBe(3);
    expect(dateOfDay(-1)).toEqual({ year: 1969, month: 12, day: 31 });
  });
});

describe('sorted interval lists', () => {
  /** Every instant of the lists as a set of minutes (the naive model). */
  const minutes = (list: readonly Interval[]) => {
    const s = new Set<number>();
    for (const i of list) for (let t = i.start; t < i.end; t += MINUTE) s.add(t);
    return s;
  };
  const list = (next: () => number, n: number): Interval[] => Array.from({ length: n }, () => {
    const start = Math.floor(next() * 2000) * MINUTE;
    return { start, end: start + Math.floor(next() * 60 - 5) * MINUTE };
  });

  it('normalize and subtract agree with the naive model on random lists, sorted or not', () => {
    const next = random(7);
    for (let round = 0; round < 300; round++) {
      const a = list(next, Math.floor(next() * 30));
      const b = list(next, Math.floor(next() * 60));
      const sortedB = [...b].sort((x, y) => x.start - y.start || x.end - y.end);
      for (const cut of [b, sortedB]) {
        const n = normalize(cut);
        expect([...minutes(n)].sort((x, y) => x - y)).toEqual([...minutes(cut)].sort((x, y) => x - y));
        // Sorted, disjoint, not touching, no empty interval.
        for (let k = 0; k < n.length; k++) {
          expect(n[k]!.end).toBeGreaterThan(n[k]!.start);
          if (k > 0) expect(n[k]!.start).toBeGreaterThan(n[k - 1]!.end);
        }
        const d = subtract(a, cut);
        const expected = minutes(a);
        for (const t of minutes(cut)) expected.delete(t);
        expect([...minutes(d)].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
        expect(d).toEqual(normalize(d));
      }
    }
  });

  it('normalize returns new intervals (merging never changes the caller\'s)', () => {
    const input = [{ start: 0, end: 10 }, { start: 5, end: 20 }];
    const out = normalize(input);
    out[0]!.end = 99;
    expect(input).toEqual([{ start: 0, end: 10 }, { start: 5, end: 20 }]);
  });

  it('normalized returns a normalized list itself, and normalizes any other', () => {
    const ok = [{ start: 0, end: 10 }, { start: 11, end: 20 }];
    expect(normalized(ok)).toBe(ok);
    for (const bad of [[{ start: 0, end: 10 }, { start: 10, end: 20 }], [{ start: 5, end: 10 }, { start: 0, end: 3 }], [{ start: 0, end: 0 }], [{ start: 0, end: 10 }, { start: 2, end: 4 }]]) {
      expect(normalized(bad)).not.toBe(bad);
      expect(normalized(bad)).toEqual(normalize(bad));
    }
  });

  it('firstEndingAfter finds the first interval ending after an instant', () => {
    const l = [{ start: 0, end: 10 }, { start: 20, end: 30 }, { start: 40, end: 50 }];
    expect([-5, 0, 9, 10, 15, 30, 49, 50, 99].map((t) => firstEndingAfter(l, t))).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3]);
    expect(firstEndingAfter([], 5)).toBe(0);
  });

  it('expandWeekly keeps a rule\'s validity days and clips to the range', () => {
    const rules = [{ weekday: 3, start: '22:00', end: '24:00', validFrom: '2027-03-17' }, { weekday: 4, start: '00:00', end: '02:00', validTo: '2027-03-25' }];
    const out = expandWeekly(rules, 'Europe/Paris', { start: at('2027-03-10T00:00Z'), end: at('2027-03-31T21:30Z') });
    // Wednesday 22:00 to Thursday 02:00 local, merged across midnight, Wednesdays from the 17th and Thursdays to the
    // 25th (the 11th alone); summer time from the 28th; the 31st clipped by the range.
    expect(out.map((i) => [new Date(i.start).toISOString(), new Date(i.end).toISOString()])).toEqual([
      ['2027-03-10T23:00:00.000Z', '2027-03-11T01:00:00.000Z'],
      ['2027-03-17T21:00:00.000Z', '2027-03-18T01:00:00.000Z'],
      ['2027-03-24T21:00:00.000Z', '2027-03-25T01:00:00.000Z'],
      ['2027-03-31T20:00:00.000Z', '2027-03-31T21:30:00.000Z'],
    ]);
  });
});
