// Dates and times on pinned `now` values, per language, in the clinic's zone; across the spring DST change
// in Europe/Paris (2027-03-28, 02:00 → 03:00) and in another zone than the process's.
import { describe, expect, it } from 'vitest';
import type { Language } from '../types.js';
import { extractDates } from './dates.js';
import { fromLocal, offsetMinutes } from './time-zone.js';

const PARIS = 'Europe/Paris';
/** Tuesday 1 December 2026, 08:00 in Paris. */
const TUESDAY_8AM = new Date('2026-12-01T07:00:00Z');
const one = (language: Language, text: string, now = TUESDAY_8AM, timeZone = PARIS) => {
  const found = extractDates(text, { language, now, timeZone });
  expect(found, `${language} "${text}"`).toHaveLength(1);
  return found[0]!;
};

describe('a time named without morning or afternoon, in clinic hours', () => {
  const now = new Date('2026-12-01T09:00:00Z'); // Tuesday 10:00 in Paris
  const at = (language: Parameters<typeof extractDates>[1]['language'], text: string) => extractDates(text, { language, now, timeZone: PARIS })[0]?.time;
  it('1 to 6 o\'clock is the afternoon ("vendredi à 3", "a las 5"), in every language', () => {
    expect(at('fr', 'vendredi à 3h')).toBe('15:00');
    expect(at('es', 'el viernes a las 5')).toBe('17:00');
    expect(at('en', 'monday at 3')).toBe('15:00');
    expect(at('it', 'martedì alle 4')).toBe('16:00');
  });
  it('but not when written as 24-hour time, said to be in the morning, or with am', () => {
    expect(at('fr', 'vendredi à 03h00')).toBe('03:00');
    expect(at('en', 'monday at 3am')).toBe('03:00');
    expect(at('fr', 'lundi à 9h')).toBe('09:00');
    expect(at('en', 'monday at 10')).toBe('10:00');
  });
});

describe('day words with typos', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  const one = (language: Parameters<typeof extractDates>[1]['language'], text: string) => extractDates(text, { language, now, timeZone: PARIS })[0];
  it('"wendesday", "tomorow afternon", "mecredi", "mierkoles", "donerstag nachmitag" are the days they misspell', () => {
    expect(one('en', 'wendesday at 10')).toMatchObject({ date: '2026-12-02', time: '10:00' });
    expect(one('en', 'tomorow afternon')).toMatchObject({ date: '2026-12-02', partOfDay: 'afternoon' });
    expect(one('fr', 'mecredi matin')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning' });
    expect(one('es', 'el mierkoles por la tarde')).toMatchObject({ date: '2026-12-02', partOfDay: 'afternoon' });
    expect(one('de', 'donerstag nachmitag')).toMatchObject({ date: '2026-12-03', partOfDay: 'afternoon' });
    expect(one('it', 'giovedi pomeriggo')).toMatchObject({ date: '2026-12-03', partOfDay: 'afternoon' });
  });
  it('leaves short words and other words alone', () => {
    expect(extractDates('mon mari est malade', { language: 'fr', now, timeZone: PARIS })).toEqual([]);
    expect(extractDates('I need money', { language: 'en', now, timeZone: PARIS })).toEqual([]);
  });
});

describe('weekdays typed without accents, and German "Montag Morgen"', () => {
  const now = new Date('2026-12-01T09:00:00Z');
  const one = (language: Parameters<typeof extractDates>[1]['language'], text: string) => extractDates(text, { language, now, timeZone: PARIS })[0];
  it('pt "terca a tarde", es "miercoles", it "giovedi" are those weekdays', () => {
    expect(one('pt', 'consulta terca a tarde')).toMatchObject({ date: '2026-12-01', partOfDay: 'afternoon' });
    expect(one('es', 'el miercoles por la manana')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning' });
    expect(one('it', 'giovedi mattina')).toMatchObject({ date: '2026-12-03', partOfDay: 'morning' });
  });
  it('"Montag Morgen" is Monday morning, "morgen früh" still tomorrow morning', () => {
    expect(one('de', 'Bluttest Montag Morgen')).toMatchObject({ date: '2026-12-07', partOfDay: 'morning' });
    expect(one('de', 'morgen früh')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning' });
  });
});

describe('dates and times', () => {
  it('fr: "demain à 15h", "jeudi vers 10h", "demain matin", "ce soir", "dans 2 semaines", "après-demain après-midi"', () => {
    expect(one('fr', 'je voudrais un rdv demain à 15h')).toMatchObject({ date: '2026-12-02', time: '15:00', start: '2026-12-02T14:00:00.000Z', dayOnly: false });
    expect(one('fr', 'jeudi vers 10h ?')).toMatchObject({ date: '2026-12-03', time: '10:00', start: '2026-12-03T09:00:00.000Z' });
    expect(one('fr', 'demain matin')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning', start: '2026-12-02T07:00:00.000Z', end: '2026-12-02T11:00:00.000Z', dayOnly: false });
    expect(one('fr', 'ce soir')).toMatchObject({ date: '2026-12-01', partOfDay: 'evening', start: '2026-12-01T17:00:00.000Z', end: '2026-12-01T20:00:00.000Z' });
    expect(one('fr', 'dans 2 semaines')).toMatchObject({ date: '2026-12-15', dayOnly: true, start: '2026-12-14T23:00:00.000Z' });
    expect(one('fr', 'apres-demain apres-midi')).toMatchObject({ date: '2026-12-03', partOfDay: 'afternoon' });
    expect(one('fr', 'demain a 15h')).toMatchObject({ date: '2026-12-02', time: '15:00' });
  });

  it('en: "next Tuesday", "in 2 weeks", "tomorrow at 3pm", "friday morning", "this afternoon"', () => {
    expect(one('en', 'next Tuesday')).toMatchObject({ date: '2026-12-08', dayOnly: true, start: '2026-12-07T23:00:00.000Z' });
    expect(one('en', 'can I come in 2 weeks')).toMatchObject({ date: '2026-12-15', dayOnly: true });
    expect(one('en', 'tomorrow at 3pm')).toMatchObject({ date: '2026-12-02', time: '15:00', start: '2026-12-02T14:00:00.000Z' });
    expect(one('en', 'friday morning')).toMatchObject({ date: '2026-12-04', partOfDay: 'morning', start: '2026-12-04T07:00:00.000Z', end: '2026-12-04T11:00:00.000Z' });
    expect(one('en', 'this afternoon')).toMatchObject({ date: '2026-12-01', partOfDay: 'afternoon', start: '2026-12-01T11:00:00.000Z', end: '2026-12-01T17:00:00.000Z' });
    expect(one('en', 'in 2 days at 9am')).toMatchObject({ date: '2026-12-03', time: '09:00' });
  });

  it('es: "el martes por la tarde", "mañana por la mañana", "a las 3 de la tarde", "pasado mañana"', () => {
    // Tuesday at 08:00: this Tuesday's afternoon is still ahead.
    expect(one('es', 'el martes por la tarde')).toMatchObject({ date: '2026-12-01', partOfDay: 'afternoon', start: '2026-12-01T11:00:00.000Z', end: '2026-12-01T17:00:00.000Z' });
    // Not "tomorrow tomorrow": "por la mañana" is the morning.
    expect(one('es', 'mañana por la mañana')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning' });
    expect(one('es', 'a las 3 de la tarde')).toMatchObject({ date: '2026-12-01', time: '15:00', partOfDay: 'afternoon' });
    expect(one('es', 'pasado mañana')).toMatchObject({ date: '2026-12-03', dayOnly: true });
    expect(one('es', 'el jueves a las 15h')).toMatchObject({ date: '2026-12-03', time: '15:00' });
  });

  it('pt: "amanhã às 15h", "próxima terça", "daqui a 2 semanas", "sexta de manhã"', () => {
    expect(one('pt', 'amanhã às 15h')).toMatchObject({ date: '2026-12-02', time: '15:00', start: '2026-12-02T14:00:00.000Z' });
    expect(one('pt', 'amanha as 15h')).toMatchObject({ date: '2026-12-02', time: '15:00' });
    expect(one('pt', 'próxima terça')).toMatchObject({ date: '2026-12-08', dayOnly: true });
    expect(one('pt', 'daqui a 2 semanas')).toMatchObject({ date: '2026-12-15', dayOnly: true });
    expect(one('pt', 'sexta de manhã')).toMatchObject({ date: '2026-12-04', partOfDay: 'morning' });
  });

  it('it: "domani pomeriggio", "giovedì alle 10", "stasera"', () => {
    expect(one('it', 'domani pomeriggio')).toMatchObject({ date: '2026-12-02', partOfDay: 'afternoon', start: '2026-12-02T11:00:00.000Z', end: '2026-12-02T17:00:00.000Z' });
    expect(one('it', 'giovedi alle 10')).toMatchObject({ date: '2026-12-03', time: '10:00' });
    expect(one('it', 'stasera')).toMatchObject({ date: '2026-12-01', partOfDay: 'evening' });
  });

  it('de: "morgen Vormittag", "am Dienstag um 15 Uhr", "heute Abend", "morgen früh", "in 2 Wochen"', () => {
    expect(one('de', 'morgen Vormittag')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning', start: '2026-12-02T07:00:00.000Z', end: '2026-12-02T11:00:00.000Z' });
    expect(one('de', 'am Dienstag um 15 Uhr')).toMatchObject({ date: '2026-12-01', time: '15:00' });
    expect(one('de', 'heute Abend')).toMatchObject({ date: '2026-12-01', partOfDay: 'evening' });
    expect(one('de', 'morgen früh')).toMatchObject({ date: '2026-12-02', partOfDay: 'morning' });
    expect(one('de', 'in 2 Wochen')).toMatchObject({ date: '2026-12-15', dayOnly: true });
  });

  it('a weekday alone is its next occurrence: today only when the time named is still ahead', () => {
    expect(one('en', 'tuesday')).toMatchObject({ date: '2026-12-08', dayOnly: true });
    expect(one('en', 'tuesday at 10')).toMatchObject({ date: '2026-12-01', time: '10:00' });
    expect(one('en', 'tuesday at 7')).toMatchObject({ date: '2026-12-08', time: '07:00' });
    expect(one('fr', 'mercredi')).toMatchObject({ date: '2026-12-02', dayOnly: true });
    expect(one('en', 'monday')).toMatchObject({ date: '2026-12-07' });
  });

  it('a time alone is today when still ahead, else tomorrow', () => {
    expect(one('en', 'at 10')).toMatchObject({ date: '2026-12-01', time: '10:00' });
    expect(one('en', 'at 7:30')).toMatchObject({ date: '2026-12-02', time: '07:30' });
  });

  it('is DST-correct across 2027-03-28 in Europe/Paris', () => {
    const saturday = new Date('2027-03-27T10:00:00Z'); // 11:00 CET (+01:00)
    // Sunday 15:00 is CEST (+02:00): 13:00Z, not the 14:00Z a fixed +01:00 offset would give.
    expect(one('fr', 'demain à 15h', saturday)).toMatchObject({ date: '2027-03-28', time: '15:00', start: '2027-03-28T13:00:00.000Z' });
    expect(one('fr', 'demain matin', saturday)).toMatchObject({ start: '2027-03-28T06:00:00.000Z', end: '2027-03-28T10:00:00.000Z' });
    expect(one('en', 'tomorrow', saturday)).toMatchObject({ date: '2027-03-28', start: '2027-03-27T23:00:00.000Z' });
    expect(one('en', 'monday at 10', saturday)).toMatchObject({ date: '2027-03-29', start: '2027-03-29T08:00:00.000Z' });
    // 02:30 does not exist that night: it comes out an hour later (03:30 CEST).
    expect(one('fr', 'dimanche à 02h30', saturday)).toMatchObject({ start: '2027-03-28T01:30:00.000Z' });
    expect(offsetMinutes(new Date('2027-03-28T00:30:00Z'), PARIS)).toBe(60);
    expect(offsetMinutes(new Date('2027-03-28T01:30:00Z'), PARIS)).toBe(120);
    expect(fromLocal(2027, 10, 31, 12, 0, PARIS).toISOString()).toBe('2027-10-31T11:00:00.000Z');
  });

  it('uses the zone it is given, not the process zone', () => {
    const now = new Date('2026-12-01T15:00:00Z'); // 10:00 in New York
    expect(one('en', 'tomorrow at 9am', now, 'America/New_York')).toMatchObject({ date: '2026-12-02', start: '2026-12-02T14:00:00.000Z' });
    expect(one('en', 'tomorrow at 9am', now, 'Asia/Tokyo')).toMatchObject({ date: '2026-12-03', start: '2026-12-03T00:00:00.000Z' });
  });

  it('reads approximate times ("around 10", "verso le 10", "gegen 10") and keeps the words of the original text', () => {
    expect(one('en', 'a slot on thursday around 10?')).toMatchObject({ date: '2026-12-03', time: '10:00', text: 'on thursday around 10' });
    expect(one('it', "c'è posto giovedì verso le 10?")).toMatchObject({ date: '2026-12-03', time: '10:00', text: 'giovedì verso le 10' });
    expect(one('de', 'haben sie donnerstag gegen 10 was frei?')).toMatchObject({ date: '2026-12-03', time: '10:00' });
    expect(one('fr', 'ok pour 15h30 après-demain')).toMatchObject({ date: '2026-12-03', time: '15:30' });
  });

  it('puts a weekday after "since", "depuis", "seit" in the past', () => {
    expect(one('en', 'coughing since monday')).toMatchObject({ date: '2026-11-30' });
    expect(one('fr', 'mal au dos depuis lundi')).toMatchObject({ date: '2026-11-30' });
    expect(one('de', 'Fieber seit Sonntag')).toMatchObject({ date: '2026-11-29' });
  });

  it('takes no greeting, duration, verb or word inside a word for a date', () => {
    const none = (language: Language, text: string) => expect(extractDates(text, { language, now: TUESDAY_8AM, timeZone: PARIS }), `${language} "${text}"`).toEqual([]);
    none('fr', 'je voudrais déplacer mon rendez-vous');
    none('en', 'i waited 2 hours, not happy');
    none('en', "i've had a fever for 3 days");
    none('it', 'a che ora aprite');
    none('it', 'accettate la tessera sanitaria');
    none('it', 'buonasera');
    none('it', "ho aspettato un'ora");
    none('pt', 'boa tarde');
    none('pt', 'posso ter consulta com a dermatologista?');
    none('es', 'ponerla más tarde');
  });

  it('finds nothing in a message without a date', () => {
    expect(extractDates('I have a cough', { language: 'en', now: TUESDAY_8AM, timeZone: PARIS })).toEqual([]);
    expect(extractDates('j\'ai mal à la tête', { language: 'fr', now: TUESDAY_8AM, timeZone: PARIS })).toEqual([]);
  });
});
