// Care-plan schedules: DST weeks in Paris and New York give the same local times on the right instants,
// whatever the process TZ; a local time skipped by a spring-forward change is refused at entry.
import { afterEach, describe, expect, it } from 'vitest';
import { checkSchedule, occurrences } from './schedule.js';

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());
const original = process.env.TZ;
afterEach(() => {
  if (original === undefined) delete process.env.TZ;
  else process.env.TZ = original;
});

describe('care plan schedules', () => {
  const paris = { rrule: 'FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=60', dtstartLocal: '2027-03-26T00:00', zone: PARIS };

  it('keep 08:00 and 20:00 local across the Paris spring-forward week, whatever the process TZ', () => {
    const expected = [
      '2027-03-27T07:00:00.000Z', '2027-03-27T19:00:00.000Z', // Saturday, CET (UTC+1)
      '2027-03-28T06:00:00.000Z', '2027-03-28T18:00:00.000Z', // Sunday, CEST (UTC+2) from 03:00
      '2027-03-29T06:00:00.000Z',
    ];
    for (const tz of ['UTC', 'America/New_York', 'Asia/Tokyo', 'Europe/Paris']) {
      process.env.TZ = tz;
      expect(new Date('2027-03-27T12:00:00Z').getTimezoneOffset(), tz).toBe(({ UTC: 0, 'America/New_York': 240, 'Asia/Tokyo': -540, 'Europe/Paris': -60 } as Record<string, number>)[tz]);
      expect(iso(occurrences(paris, new Date('2027-03-27T00:00:00Z'), new Date('2027-03-29T12:00:00Z'))), tz).toEqual(expected);
    }
  });

  it('keep 09:00 local across the New York fall-back week', () => {
    const ny = { rrule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0', dtstartLocal: '2027-11-01T09:00', zone: NEW_YORK };
    process.env.TZ = 'Europe/Paris';
    expect(iso(occurrences(ny, new Date('2027-11-06T00:00:00Z'), new Date('2027-11-09T00:00:00Z')))).toEqual([
      '2027-11-06T13:00:00.000Z', // EDT
      '2027-11-07T14:00:00.000Z', // EST from 02:00 that day
      '2027-11-08T14:00:00.000Z',
    ]);
    // A COUNT ends the plan: the 60 doses of the Paris plan are all there, the last on day 30.
    const all = occurrences(paris, new Date('2027-01-01T00:00:00Z'), new Date('2028-01-01T00:00:00Z'));
    expect(all).toHaveLength(60);
    expect(all.at(-1)!.toISOString()).toBe('2027-04-24T18:00:00.000Z');
  });

  it('refuse a local time that does not exist on a spring-forward day within the plan, naming the field', () => {
    expect(checkSchedule(paris)).toBeNull();
    // 02:30 daily from March 20th: March 28th 02:30 does not exist in Paris.
    expect(checkSchedule({ rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;COUNT=30', dtstartLocal: '2027-03-20T02:30', zone: PARIS })).toEqual({ field: 'rrule', message: expect.stringContaining('2027-03-28T02:30, which does not exist in Europe/Paris') });
    // The same in New York: 2027-03-14 02:30.
    expect(checkSchedule({ rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30', dtstartLocal: '2027-03-01T02:30', zone: NEW_YORK })?.message).toContain('2027-03-14T02:30');
    // Before the change, the same time is fine (COUNT ends the plan before it).
    expect(checkSchedule({ rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;COUNT=5', dtstartLocal: '2027-03-20T02:30', zone: PARIS })).toBeNull();
    expect(checkSchedule({ rrule: 'FREQ=DAILY', dtstartLocal: '2027-03-28T02:30', zone: PARIS })).toMatchObject({ field: 'dtstart' });
    expect(checkSchedule({ rrule: 'FREQ=SOMETIMES', dtstartLocal: '2027-03-01T08:00', zone: PARIS })).toMatchObject({ field: 'rrule' });
    expect(checkSchedule({ rrule: 'FREQ=DAILY', dtstartLocal: '2027-03-01T08:00', zone: 'Mars/Olympus' })).toMatchObject({ field: 'timeZone' });
  });
});
