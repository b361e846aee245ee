// Slots on pinned dates (STYLE.md rule 11): DST spring-forward and fall-back in Europe/Paris and
// America/New_York, buffers, closures, lead time, horizon, a service window narrower than a session.
import { describe, expect, it } from 'vitest';
import { expandWeekly, intersect, localToInstant, subtract, union, zoneOffset, type Interval, type WeeklyRule } from './intervals.js';
import { availability, slots, type AvailabilityInput } from './slots.js';

const at = (iso: string) => Date.parse(iso);
const iv = (a: string, b: string): Interval => ({ start: at(a), end: at(b) });
const iso = (list: Interval[]) => list.map((i) => [new Date(i.start).toISOString(), new Date(i.end).toISOString()]);
const everyDay = (start: string, end: string): WeeklyRule[] => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start, end }));

function input(o: Partial<AvailabilityInput> & Pick<AvailabilityInput, 'zone' | 'range'>): AvailabilityInput {
  return {
    now: at('2027-01-01T00:00:00Z'),
    service: { durationMinutes: 30, bufferMinutes: 0, leadTimeMinutes: 0, horizonDays: 365 },
    locationHours: everyDay('00:00', '24:00'),
    sessions: everyDay('08:00', '12:00'),
    serviceWindows: [],
    extraHours: [],
    closures: [],
    busy: [],
    ...o,
  };
}

describe('interval algebra', () => {
  it('unions, intersects and subtracts half-open intervals', () => {
    const a = [iv('2027-01-01T08:00Z', '2027-01-01T10:00Z'), iv('2027-01-01T09:30Z', '2027-01-01T11:00Z')];
    expect(iso(union(a))).toEqual([['2027-01-01T08:00:00.000Z', '2027-01-01T11:00:00.000Z']]);
    expect(iso(intersect(a, [iv('2027-01-01T10:30Z', '2027-01-01T12:00Z')]))).toEqual([['2027-01-01T10:30:00.000Z', '2027-01-01T11:00:00.000Z']]);
    expect(iso(subtract(a, [iv('2027-01-01T09:00Z', '2027-01-01T09:15Z'), iv('2027-01-01T10:45Z', '2027-01-01T12:00Z')]))).toEqual([
      ['2027-01-01T08:00:00.000Z', '2027-01-01T09:00:00.000Z'],
      ['2027-01-01T09:15:00.000Z', '2027-01-01T10:45:00.000Z'],
    ]);
    // Touching is not overlapping: [8,9) and [9,10) merge in a union but leave nothing in an intersection.
    expect(intersect([iv('2027-01-01T08:00Z', '2027-01-01T09:00Z')], [iv('2027-01-01T09:00Z', '2027-01-01T10:00Z')])).toEqual([]);
  });
});

describe('wall-clock times in a zone', () => {
  it('knows the offsets either side of the changes', () => {
    expect(zoneOffset('Europe/Paris', at('2027-03-28T00:30Z'))).toBe(3_600_000);
    expect(zoneOffset('Europe/Paris', at('2027-03-28T01:30Z'))).toBe(7_200_000);
    expect(zoneOffset('America/New_York', at('2027-11-07T05:30Z'))).toBe(-14_400_000);
    expect(zoneOffset('America/New_York', at('2027-11-07T06:30Z'))).toBe(-18_000_000);
  });
  it('moves a time in the spring-forward gap forward, and takes the first of a repeated hour', () => {
    expect(new Date(localToInstant('Europe/Paris', { year: 2027, month: 3, day: 28 }, 150)).toISOString()).toBe('2027-03-28T01:30:00.000Z'); // 02:30 → 03:30 CEST
    expect(new Date(localToInstant('Europe/Paris', { year: 2027, month: 10, day: 31 }, 150)).toISOString()).toBe('2027-10-31T00:30:00.000Z'); // 02:30 CEST, the first
    expect(new Date(localToInstant('America/New_York', { year: 2027, month: 3, day: 14 }, 150)).toISOString()).toBe('2027-03-14T07:30:00.000Z'); // 02:30 → 03:30 EDT
    expect(new Date(localToInstant('America/New_York', { year: 2027, month: 11, day: 7 }, 90)).toISOString()).toBe('2027-11-07T05:30:00.000Z'); // 01:30 EDT, the first
  });
});

describe('weekly rules across DST', () => {
  it('Europe/Paris, spring forward on Sunday 2027-03-28: 08:00 local is 07:00Z on Saturday and 06:00Z on Sunday', () => {
    const days = expandWeekly(everyDay('08:00', '12:00'), 'Europe/Paris', iv('2027-03-27T00:00Z', '2027-03-29T00:00Z'));
    expect(iso(days)).toEqual([
      ['2027-03-27T07:00:00.000Z', '2027-03-27T11:00:00.000Z'],
      ['2027-03-28T06:00:00.000Z', '2027-03-28T10:00:00.000Z'],
    ]);
  });
  it('Europe/Paris, fall back on 2027-10-31: a night session 01:00–04:00 lasts four hours, and the slots do not repeat', () => {
    const zone = 'Europe/Paris';
    const range = iv('2027-10-30T12:00Z', '2027-10-31T12:00Z');
    const list = slots(input({ zone, range, sessions: [{ weekday: 7, start: '01:00', end: '04:00' }], service: { durationMinutes: 60, bufferMinutes: 0, leadTimeMinutes: 0, horizonDays: 365 } }));
    expect(iso(list)).toEqual([
      ['2027-10-30T23:00:00.000Z', '2027-10-31T00:00:00.000Z'], // 01:00 CEST
      ['2027-10-31T00:00:00.000Z', '2027-10-31T01:00:00.000Z'], // 02:00 CEST
      ['2027-10-31T01:00:00.000Z', '2027-10-31T02:00:00.000Z'], // 02:00 CET (the hour again)
      ['2027-10-31T02:00:00.000Z', '2027-10-31T03:00:00.000Z'], // 03:00 CET
    ]);
  });
  it('Europe/Paris, spring forward: a session 01:00–04:00 lasts two hours', () => {
    const list = slots(input({ zone: 'Europe/Paris', range: iv('2027-03-27T12:00Z', '2027-03-28T12:00Z'), sessions: [{ weekday: 7, start: '01:00', end: '04:00' }], service: { durationMinutes: 60, bufferMinutes: 0, leadTimeMinutes: 0, horizonDays: 365 } }));
    expect(iso(list)).toEqual([
      ['2027-03-28T00:00:00.000Z', '2027-03-28T01:00:00.000Z'], // 01:00 CET
      ['2027-03-28T01:00:00.000Z', '2027-03-28T02:00:00.000Z'], // 03:00 CEST
    ]);
  });
  it('America/New_York, 2027-03-14 and 2027-11-07: 09:00 local moves between 14:00Z and 13:00Z', () => {
    const zone = 'America/New_York';
    const spring = expandWeekly(everyDay('09:00', '10:00'), zone, iv('2027-03-13T00:00Z', '2027-03-15T00:00Z'));
    expect(iso(spring)).toEqual([['2027-03-13T14:00:00.000Z', '2027-03-13T15:00:00.000Z'], ['2027-03-14T13:00:00.000Z', '2027-03-14T14:00:00.000Z']]);
    const fall = expandWeekly(everyDay('09:00', '10:00'), zone, iv('2027-11-06T00:00Z', '2027-11-08T00:00Z'));
    expect(iso(fall)).toEqual([['2027-11-06T13:00:00.000Z', '2027-11-06T14:00:00.000Z'], ['2027-11-07T14:00:00.000Z', '2027-11-07T15:00:00.000Z']]);
  });
  it('America/New_York, spring forward: a session 01:00–04:00 has no 02:xx slot', () => {
    const list = slots(input({ zone: 'America/New_York', range: iv('2027-03-14T00:00Z', '2027-03-15T00:00Z'), sessions: [{ weekday: 7, start: '01:00', end: '04:00' }], service: { durationMinutes: 30, bufferMinutes: 0, leadTimeMinutes: 0, horizonDays: 365 } }));
    expect(list.map((s) => new Date(s.start).toLocaleTimeString('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit' }))).toEqual(['01:00', '01:30', '03:00', '03:30']);
  });
});

describe('slots', () => {
  const zone = 'Europe/Paris';
  const monday = iv('2027-01-04T00:00Z', '2027-01-05T00:00Z'); // winter: Paris = UTC+1

  it('are stepped within sessions ∩ opening hours', () => {
    const list = slots(input({ zone, range: monday, locationHours: [{ weekday: 1, start: '09:00', end: '18:00' }], sessions: [{ weekday: 1, start: '08:00', end: '10:30' }] }));
    expect(iso(list)).toEqual([
      ['2027-01-04T08:00:00.000Z', '2027-01-04T08:30:00.000Z'],
      ['2027-01-04T08:30:00.000Z', '2027-01-04T09:00:00.000Z'],
      ['2027-01-04T09:00:00.000Z', '2027-01-04T09:30:00.000Z'],
    ]);
  });

  it('stay inside a service window narrower than the session, with a step smaller than the duration', () => {
    const list = slots(input({
      zone, range: monday, sessions: [{ weekday: 1, start: '08:00', end: '12:00' }], serviceWindows: [{ weekday: 1, start: '09:00', end: '10:00' }],
      service: { durationMinutes: 30, bufferMinutes: 0, stepMinutes: 15, leadTimeMinutes: 0, horizonDays: 365 },
    }));
    expect(list.map((s) => new Date(s.start).toISOString().slice(11, 16))).toEqual(['08:00', '08:15', '08:30']); // 09:00, 09:15, 09:30 local
  });

  it('leave out booked time and its buffer, and keep their own buffer clear of the next appointment', () => {
    const list = slots(input({
      zone, range: monday, sessions: [{ weekday: 1, start: '08:00', end: '10:00' }],
      service: { durationMinutes: 20, bufferMinutes: 10, leadTimeMinutes: 0, horizonDays: 365 },
      // 08:30–08:50 local plus a 10-minute buffer; another appointment at 09:40 local.
      busy: [iv('2027-01-04T07:30Z', '2027-01-04T08:00Z'), iv('2027-01-04T08:40Z', '2027-01-04T09:00Z')],
    }));
    // 08:00 (its buffer ends 08:30: fine); 09:00 and 09:20 local (09:20 + 20 + 10 = 09:50 would cut into 09:40: refused).
    expect(list.map((s) => new Date(s.start).toISOString().slice(11, 16))).toEqual(['07:00', '08:00']);
  });

  it('leave out closures and the practitioner\'s leave, and add extra hours outside the opening hours', () => {
    const list = slots(input({
      zone, range: iv('2027-01-04T00:00Z', '2027-01-10T00:00Z'), locationHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '18:00' })),
      sessions: [1, 2].map((weekday) => ({ weekday, start: '08:00', end: '09:00' })),
      closures: [iv('2027-01-04T07:30Z', '2027-01-04T08:00Z')], // Monday 08:30–09:00 local
      extraHours: [iv('2027-01-09T09:00Z', '2027-01-09T10:00Z')], // Saturday 10:00–11:00 local, doors normally shut
    }));
    expect(iso(list).map((x) => x[0])).toEqual([
      '2027-01-04T07:00:00.000Z', '2027-01-05T07:00:00.000Z', '2027-01-05T07:30:00.000Z', '2027-01-09T09:00:00.000Z', '2027-01-09T09:30:00.000Z',
    ]);
  });

  it('respect the lead time and the horizon', () => {
    const now = at('2027-01-04T07:10Z'); // Monday 08:10 local
    const list = slots(input({
      zone, now, range: iv('2027-01-04T00:00Z', '2027-02-01T00:00Z'), sessions: everyDay('08:00', '09:00'),
      service: { durationMinutes: 30, bufferMinutes: 0, leadTimeMinutes: 60, horizonDays: 2 },
    }));
    // Monday: 08:00 and 08:30 are sooner than 09:10: none. Tuesday both. Wednesday 08:00 (07:00Z ≤ now + 2 days = 07:10Z), not 08:30.
    expect(iso(list).map((x) => x[0])).toEqual(['2027-01-05T07:00:00.000Z', '2027-01-05T07:30:00.000Z', '2027-01-06T07:00:00.000Z']);
  });

  it('honour a rule\'s validity dates', () => {
    const a = availability({ zone, range: iv('2027-01-04T00:00Z', '2027-01-19T00:00Z'), locationHours: everyDay('00:00', '24:00'), sessions: [{ weekday: 1, start: '08:00', end: '09:00', validFrom: '2027-01-10', validTo: '2027-01-17' }], serviceWindows: [], extraHours: [], closures: [] });
    expect(iso(a)).toEqual([['2027-01-11T07:00:00.000Z', '2027-01-11T08:00:00.000Z']]);
  });
});
