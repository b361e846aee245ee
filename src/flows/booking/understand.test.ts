// What a free-text booking request says, read by the real NLU and the flow's service matching on the demo
// clinic's services: "a service on a weekday around a time" in six languages, with typos and without accents;
// the particulars a new patient types (a name, a date of birth).
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceChoice } from '../../conversation/flow.js';
import { createNlu } from '../../nlu/nlu.js';
import type { Language, Nlu } from '../../nlu/types.js';
import { demoClinic } from '../../scheduling/demo-clinic-data.js';
import { editDistance, matchPractitioner, matchService, parseDateOfBirth, parseName, wantOf } from './understand.js';

const NOW = new Date('2026-12-01T09:00:00Z'); // Tuesday 10:00 in Paris
const ZONE = 'Europe/Paris';
const def = demoClinic(NOW);
const SERVICES: ServiceChoice[] = def.services.map((s) => ({
  id: s.code, code: s.code, name: s.name['en'] ?? s.code,
  terms: [...Object.values(s.name), ...(s.keywords ?? []), s.code.replaceAll('-', ' ')],
  durationMinutes: s.durationMinutes, mode: s.mode ?? 'in_person', practitionerIds: ['p'],
}));

let nlu: Nlu;
beforeAll(async () => {
  nlu = await createNlu();
}, 60_000);

/** [language, text, service code, local date, 'HH:MM' or a part of the day] */
const REQUESTS: [Language, string, string, string, string][] = [
  ['en', 'I need a blood test on thursday around 9', 'blood-test', '2026-12-03', '09:00'],
  ['en', 'can i see the dermatologist tuesday afternoon', 'dermatology', '2026-12-01', 'afternoon'],
  ['en', 'bood tset monday morning pls', 'blood-test', '2026-12-07', 'morning'],
  ['en', 'follow up visit next monday at 10', 'follow-up', '2026-12-07', '10:00'],
  ['en', 'video consultation wednesday at 11', 'video-consultation', '2026-12-02', '11:00'],
  ['fr', 'je voudrais une prise de sang jeudi vers 9h', 'blood-test', '2026-12-03', '09:00'],
  ['fr', 'rdv dermatologue mardi apres midi', 'dermatology', '2026-12-01', 'afternoon'],
  ['fr', 'consultation generale vendredi a 15h', 'general-consultation', '2026-12-04', '15:00'],
  ['fr', 'teleconsultation mercredi a 11h', 'video-consultation', '2026-12-02', '11:00'],
  ['it', 'vorrei un prelievo di sangue giovedi verso le 9', 'blood-test', '2026-12-03', '09:00'],
  ['it', 'dermatologo martedi pomeriggio', 'dermatology', '2026-12-01', 'afternoon'],
  ['it', 'visita medica venerdi alle 15', 'general-consultation', '2026-12-04', '15:00'],
  ['it', 'analisi del sangue lunedi mattina', 'blood-test', '2026-12-07', 'morning'],
  ['es', 'quiero una analisis de sangre el jueves sobre las 9', 'blood-test', '2026-12-03', '09:00'],
  ['es', 'cita con el dermatologo el martes por la tarde', 'dermatology', '2026-12-01', 'afternoon'],
  ['es', 'consulta de medicina general el viernes a las 3', 'general-consultation', '2026-12-04', '15:00'],
  ['es', 'extraccion de sangre lunes por la manana', 'blood-test', '2026-12-07', 'morning'],
  ['pt', 'queria marcar analises ao sangue quinta por volta das 9', 'blood-test', '2026-12-03', '09:00'],
  ['pt', 'consulta de dermatologia terca a tarde', 'dermatology', '2026-12-01', 'afternoon'],
  ['pt', 'consulta de medicina geral sexta as 15h', 'general-consultation', '2026-12-04', '15:00'],
  ['pt', 'colheita de sangue segunda de manha', 'blood-test', '2026-12-07', 'morning'],
  ['de', 'ich brauche eine blutabnahme am donnerstag gegen 9', 'blood-test', '2026-12-03', '09:00'],
  ['de', 'termin beim hautarzt dienstag nachmittag', 'dermatology', '2026-12-01', 'afternoon'],
  ['de', 'allgemeinmedizin freitag um 15 uhr', 'general-consultation', '2026-12-04', '15:00'],
  ['de', 'bluttest montag morgen', 'blood-test', '2026-12-07', 'morning'],
];

describe('a booking request in the patient\'s words', () => {
  it.each(REQUESTS)('%s: "%s" is %s on %s (%s)', (language, text, code, date, when) => {
    const r = nlu.parse(text, { now: NOW, timeZone: ZONE });
    expect(r.language).toBe(language);
    expect(matchService(text, SERVICES)?.code).toBe(code);
    const d = r.entities.dates?.[0];
    expect(d?.date).toBe(date);
    if (/^\d\d:\d\d$/.test(when)) expect(d?.time).toBe(when);
    else expect(d?.partOfDay).toBe(when);
    expect(wantOf(r)).not.toBeNull();
  });

  it('names no service where none is named (an appointment, a consultation, a visit in general)', () => {
    for (const t of ['Quero marcar uma consulta', 'I would like to book an appointment', 'Vorrei prenotare una visita', 'Je voudrais prendre rendez-vous', 'Ich möchte einen Termin vereinbaren', 'Quiero pedir una cita']) {
      expect(matchService(t, SERVICES), t).toBeNull();
    }
  });

  it('finds a practitioner by family name, typos allowed, and only one', () => {
    const people = def.practitioners.map((p) => ({ id: p.code, name: p.displayName, specialties: p.specialties ?? [], languages: p.languages }));
    expect(matchPractitioner('with Dr Ferreira please', people)?.id).toBe('ana-ferreira');
    expect(matchPractitioner('avec le docteur Bianci', people)?.id).toBe('marco-bianchi');
    expect(matchPractitioner('with a doctor', people)).toBeNull();
  });

  it('a window is nearest-inside, an instant is by distance', () => {
    expect(wantOf(nlu.parse('blood test tomorrow morning', { now: NOW, timeZone: ZONE }))).toEqual({ from: '2026-12-02T07:00:00.000Z', to: '2026-12-02T11:00:00.000Z' });
    expect(wantOf(nlu.parse('blood test thursday at 10', { now: NOW, timeZone: ZONE }))).toEqual({ at: '2026-12-03T09:00:00.000Z' });
    expect(wantOf(nlu.parse('blood test on friday', { now: NOW, timeZone: ZONE }))).toEqual({ from: '2026-12-03T23:00:00.000Z', to: '2026-12-04T23:00:00.000Z' });
    expect(wantOf(nlu.parse('a blood test please', { now: NOW, timeZone: ZONE }))).toBeNull();
  });
});

describe('the particulars a new patient gives once', () => {
  it('a name: letters, spaces, hyphens, apostrophes; not a sentence, digits or a question', () => {
    expect(parseName('  Alice   Martin ')).toBe('Alice Martin');
    expect(parseName("Marie-Claire D'Arcy")).toBe("Marie-Claire D'Arcy");
    expect(parseName('José Núñez')).toBe('José Núñez');
    expect(parseName('What are your opening hours?')).toBeNull();
    expect(parseName('Alice 1980')).toBeNull();
    expect(parseName('a')).toBeNull();
    expect(parseName('one two three four five six seven')).toBeNull();
  });

  it('a date of birth: DD/MM/YYYY (dots, dashes, spaces), or YYYY-MM-DD; a real past date within 120 years', () => {
    expect(parseDateOfBirth('12/04/1980', null, NOW)).toBe('1980-04-12');
    expect(parseDateOfBirth('12.04.1980', null, NOW)).toBe('1980-04-12');
    expect(parseDateOfBirth('né le 1-2-1975', null, NOW)).toBe('1975-02-01');
    expect(parseDateOfBirth('1980-07-21', null, NOW)).toBe('1980-07-21');
    expect(parseDateOfBirth('31/02/1980', null, NOW)).toBeNull();
    expect(parseDateOfBirth('12/04/2030', null, NOW)).toBeNull();
    expect(parseDateOfBirth('12/04/1880', null, NOW)).toBeNull();
    expect(parseDateOfBirth('tomorrow', null, NOW)).toBeNull();
    // A written date the NLU read as a date of birth.
    const r = nlu.parse('le 12 avril 1980', { now: NOW, timeZone: ZONE, language: 'fr' });
    expect(parseDateOfBirth('le 12 avril 1980', r, NOW)).toBe(r.entities.dateOfBirth ?? null);
  });

  it('edit distance counts a swap as one typo and stops past its bound', () => {
    expect(editDistance('tset', 'test', 2)).toBe(1);
    expect(editDistance('dermatolgo', 'dermatologo', 2)).toBe(1);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
  });
});
