// The console's care-plan schedules (web/console/src/components/schedule.ts): the rules the add-plan form
// builds, expanded by the server's own expander (src/careplans/schedule.ts) in Paris, give the times of day
// asked for (different minutes too: RFC 5545 crosses BYHOUR with BYMINUTE) and the number of doses; and a
// rule said in words in English and French.
import fs from 'node:fs';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { checkSchedule, occurrences } from '../../src/careplans/schedule.js';
import { addMonths, dailyRule, parseTimes, scheduleInWords } from '../../web/console/src/components/schedule.js';

const PARIS = 'Europe/Paris';
const local = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: PARIS, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d).replace(', ', 'T');
const catalogue = (lang: string) => JSON.parse(fs.readFileSync(`web/console/src/i18n/${lang}.json`, 'utf8')) as Record<string, unknown>;

async function translator(lang: string) {
  const i = i18next.createInstance();
  await i.init({ lng: lang, resources: { [lang]: { translation: catalogue(lang) } }, interpolation: { escapeValue: false } });
  return i.t.bind(i);
}

describe('care-plan schedules in the console', () => {
  it('reads times of day, refusing what is not one', () => {
    expect(parseTimes('08:00, 20:30')).toEqual([480, 1230]);
    expect(parseTimes('20h 8')).toEqual([480, 1200]);
    expect(parseTimes('8:00;8:00')).toEqual([480]);
    expect(parseTimes('noon')).toBeNull();
    expect(parseTimes('24:00')).toBeNull();
    expect(parseTimes(' ')).toBeNull();
  });

  it('builds daily rules the server expands to exactly those times and that many doses', () => {
    const same = dailyRule([480, 1200], 20);
    expect(same).toBe('FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=20');
    const s1 = { rrule: same, dtstartLocal: '2027-03-01T08:00', zone: PARIS };
    expect(checkSchedule(s1)).toBeNull();
    const doses = occurrences(s1, new Date('2027-02-01'), new Date('2027-04-01'));
    expect(doses).toHaveLength(20);
    expect(doses.map(local).slice(0, 3)).toEqual(['2027-03-01T08:00', '2027-03-01T20:00', '2027-03-02T08:00']);
    expect(local(doses.at(-1)!)).toBe('2027-03-10T20:00');

    // 07:15 and 21:45: the crossing 07:15, 07:45, 21:15, 21:45 narrowed by BYSETPOS to the two asked for.
    const mixed = dailyRule([435, 1305], 4);
    expect(mixed).toBe('FREQ=DAILY;BYHOUR=7,21;BYMINUTE=15,45;BYSETPOS=1,4;COUNT=4');
    const s2 = { rrule: mixed, dtstartLocal: '2027-03-27T07:15', zone: PARIS };
    expect(checkSchedule(s2)).toBeNull();
    // Across the spring-forward night: the same wall-clock times.
    expect(occurrences(s2, new Date('2027-03-01'), new Date('2027-04-01')).map(local)).toEqual(['2027-03-27T07:15', '2027-03-27T21:45', '2027-03-28T07:15', '2027-03-28T21:45']);
    expect(dailyRule([480], null)).toBe('FREQ=DAILY;BYHOUR=8;BYMINUTE=0');
  });

  it('adds months to a day, keeping to the month\'s last day', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2027-11-15', 3)).toBe('2028-02-15');
  });

  it('says a rule in words', async () => {
    const en = await translator('en');
    const plan = { rrule: 'FREQ=DAILY;BYHOUR=7,21;BYMINUTE=15,45;BYSETPOS=1,4;COUNT=4', dtstart: '2027-03-27T07:15', timeZone: PARIS, lastDue: '2027-03-28T19:45:00.000Z' };
    expect(scheduleInWords(plan, en, 'en-GB')).toBe('Every day · 07:15, 21:45 · from Sat 27 Mar · until 28 Mar 2027 (4 in all)');
    expect(scheduleInWords({ rrule: 'FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9;BYMINUTE=0', dtstart: '2027-03-01T09:00', timeZone: PARIS, lastDue: null }, en, 'en-GB'))
      .toBe('Every week · Monday, Thursday · 09:00 · from Mon 1 Mar · until stopped');
    expect(scheduleInWords({ rrule: 'FREQ=DAILY;COUNT=1', dtstart: '2027-06-01T09:30', timeZone: PARIS, lastDue: '2027-06-01T07:30:00.000Z' }, en, 'en-GB')).toBe('Once, on Tue 1 Jun at 09:30');
    const fr = await translator('fr');
    expect(scheduleInWords({ ...plan, rrule: 'FREQ=DAILY;INTERVAL=2;BYHOUR=8;BYMINUTE=0;COUNT=4', dtstart: '2027-03-01T08:00', lastDue: '2027-03-07T07:00:00.000Z' }, fr, 'fr-FR'))
      .toBe('Tous les 2 jours · 08:00 · à partir du lun. 1 mars · jusqu\'au 7 mars 2027 (4 au total)');
  });
});
