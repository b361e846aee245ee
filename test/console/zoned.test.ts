// The console's wall-clock helpers (web/console/src/components/zoned.ts): a clinic's local day and hour in
// any browser, across both of Paris's daylight-saving changes, and day keys that step over months and years.
import { describe, expect, it } from 'vitest';
import { addDays, dayStart, isDayKey, weekdayOf, weekStart, zonedFormats, zonedInstant, zonedParts } from '../../web/console/src/components/zoned.js';

const PARIS = 'Europe/Paris';

describe('zoned wall-clock helpers', () => {
  it('finds the instant of a local time in winter, in summer and on both change days', () => {
    expect(zonedInstant('2027-01-12', '09:00', PARIS).toISOString()).toBe('2027-01-12T08:00:00.000Z');
    expect(zonedInstant('2027-07-13', '09:00', PARIS).toISOString()).toBe('2027-07-13T07:00:00.000Z');
    // 28 March 2027: clocks go from 02:00 to 03:00; the day is 23 hours long.
    expect(dayStart('2027-03-28', PARIS).toISOString()).toBe('2027-03-27T23:00:00.000Z');
    expect(dayStart('2027-03-29', PARIS).getTime() - dayStart('2027-03-28', PARIS).getTime()).toBe(23 * 3_600_000);
    expect(zonedInstant('2027-03-28', '03:00', PARIS).toISOString()).toBe('2027-03-28T01:00:00.000Z');
    // 31 October 2027: clocks go back; the day is 25 hours long.
    expect(dayStart('2027-11-01', PARIS).getTime() - dayStart('2027-10-31', PARIS).getTime()).toBe(25 * 3_600_000);
    expect(zonedInstant('2027-10-31', '12:00', PARIS).toISOString()).toBe('2027-10-31T11:00:00.000Z');
    expect(zonedInstant('2027-01-12', '09:00', 'America/New_York').toISOString()).toBe('2027-01-12T14:00:00.000Z');
  });

  it('reads the local day, hour and weekday of an instant', () => {
    // 23:30 UTC on a Monday is already Tuesday in Paris.
    expect(zonedParts(new Date('2027-01-11T23:30:00Z'), PARIS)).toEqual({ day: '2027-01-12', hour: 0, minute: 30, weekday: 2 });
    expect(zonedParts(new Date('2027-07-13T07:20:00Z'), PARIS)).toEqual({ day: '2027-07-13', hour: 9, minute: 20, weekday: 2 });
  });

  it('steps day keys over months and years and finds the week\'s Monday', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28');
    expect(weekdayOf('2027-01-17')).toBe(7);
    expect(weekStart('2027-01-17')).toBe('2027-01-11');
    expect(weekStart('2027-01-11')).toBe('2027-01-11');
    expect(isDayKey('2027-02-30')).toBe(false);
    expect(isDayKey('2027-02-28')).toBe(true);
    expect(isDayKey('tomorrow')).toBe(false);
  });

  it('formats times in the location\'s zone, whatever the language', () => {
    const en = zonedFormats('en-GB', PARIS);
    const fr = zonedFormats('fr', PARIS);
    expect(en.time('2027-07-13T07:20:00Z')).toBe('09:20');
    expect(fr.time('2027-07-13T07:20:00Z')).toBe('09:20');
    expect(en.weekday(1)).toBe('Monday');
    expect(fr.weekday(7)).toBe('dimanche');
    expect(en.dayLong('2027-07-13')).toMatch(/^Tuesday,? 13 July 2027$/);
  });
});
