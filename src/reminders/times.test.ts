// When reminders are due: offsets before the start, moved earlier out of quiet hours, across DST weeks in
// two zones, never in the past and never after the start.
import { describe, expect, it } from 'vitest';
import { afterQuiet, beforeQuiet, inQuiet, reminderTimes } from './times.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const QUIET = { start: '21:00', end: '08:00' };
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('reminder times', () => {
  it('are the offsets before the start, latest first, without quiet hours', () => {
    const start = new Date('2027-01-14T09:00:00Z'); // Thursday 10:00 in Paris
    const plans = reminderTimes({ start, offsetsMinutes: [1440, 4320], quiet: null, zone: PARIS, now: new Date('2027-01-01T00:00:00Z') });
    expect(plans.map((p) => [p.offsetMinutes, iso(p.dueAt)])).toEqual([[4320, '2027-01-11T09:00:00.000Z'], [1440, '2027-01-13T09:00:00.000Z']]);
  });

  it('move earlier out of quiet hours, to a minute before they begin the evening before', () => {
    // 07:30 Paris appointment: 24 h before is 07:30, inside 21:00–08:00: 20:59 two evenings before.
    const start = new Date('2027-01-14T06:30:00Z');
    const [p] = reminderTimes({ start, offsetsMinutes: [1440], quiet: QUIET, zone: PARIS, now: new Date('2027-01-01T00:00:00Z') });
    expect(iso(p!.dueAt)).toBe('2027-01-12T19:59:00.000Z');
    // A 23:30 due time goes back to 20:59 the same evening.
    expect(iso(beforeQuiet(QUIET, PARIS, new Date('2027-01-12T22:30:00Z')))).toBe('2027-01-12T19:59:00.000Z');
  });

  it('are DST-correct in Paris and New York', () => {
    // Paris springs forward on 2027-03-28: 72 h before a Monday 09:00 appointment are 72 hours, Friday 08:00 local.
    const paris = reminderTimes({ start: new Date('2027-03-29T07:00:00Z'), offsetsMinutes: [4320], quiet: QUIET, zone: PARIS, now: new Date('2027-03-01T00:00:00Z') });
    expect(iso(paris[0]!.dueAt)).toBe('2027-03-26T07:00:00.000Z');
    // New York falls back on 2027-11-07: quiet hours end at 08:00 local either side of it.
    expect(iso(afterQuiet(QUIET, NEW_YORK, new Date('2027-11-07T06:00:00Z')))).toBe('2027-11-07T13:00:00.000Z');
    expect(iso(afterQuiet(QUIET, NEW_YORK, new Date('2027-11-06T06:00:00Z')))).toBe('2027-11-06T12:00:00.000Z');
    // A due time in the quiet hours of a New York evening goes back to 20:59 EST.
    expect(iso(beforeQuiet(QUIET, NEW_YORK, new Date('2027-11-08T03:00:00Z')))).toBe('2027-11-08T01:59:00.000Z');
  });

  it('are skipped, with why, when their time has passed at booking', () => {
    const now = new Date('2027-01-13T12:00:00Z');
    const plans = reminderTimes({ start: new Date('2027-01-14T09:00:00Z'), offsetsMinutes: [4320, 1440, 120], quiet: null, zone: PARIS, now });
    expect(plans.map((p) => [p.offsetMinutes, iso(p.dueAt), p.reason ?? null])).toEqual([
      [4320, null, 'booked_after_offset'],
      [1440, null, 'booked_after_offset'],
      [120, '2027-01-14T07:00:00.000Z', null],
    ]);
    // Moved out of quiet hours into the past: skipped as quiet_hours, never sent late at night.
    const late = reminderTimes({ start: new Date('2027-01-14T06:30:00Z'), offsetsMinutes: [120], quiet: QUIET, zone: PARIS, now: new Date('2027-01-13T21:00:00Z') });
    expect(late[0]).toEqual({ offsetMinutes: 120, dueAt: null, reason: 'quiet_hours' });
  });

  it('quiet hours may or may not run past midnight', () => {
    expect(inQuiet(QUIET, 22 * 60)).toBe(true);
    expect(inQuiet(QUIET, 7 * 60 + 59)).toBe(true);
    expect(inQuiet(QUIET, 8 * 60)).toBe(false);
    expect(inQuiet({ start: '12:00', end: '14:00' }, 13 * 60)).toBe(true);
    expect(inQuiet({ start: '12:00', end: '14:00' }, 14 * 60)).toBe(false);
  });
});
