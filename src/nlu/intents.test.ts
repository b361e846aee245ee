// The dev sets: held out from training (no dev text equals a training text once normalised), and the
// trained model reaches the targets on them in every language: ≥ 90 % intent, ≥ 95 % language.
// A failure prints the confusion (what was expected → what came out) so the data can be fixed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheFile } from './model-cache.js';
import { normalizeText, WEEKDAY_TOKEN } from './normalize.js';
import { createNlu, isSelfIntroduction, segments, type LoadedNlu } from './nlu.js';
import { loadDevSet, loadTrainingData } from './training-data.js';
import { INTENTS, LANGUAGES } from './types.js';

let nlu: LoadedNlu;
let cacheDir: string;
/** What start-up printed: console calls and process warnings (pino's PINODEP008 would be one). */
const printed: string[] = [];
beforeAll(async () => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-nlu-cache-'));
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => { printed.push(`console.${m}: ${String(args[0])}`); }));
  const onWarning = (w: Error) => printed.push(`warning: ${w.name}`);
  process.on('warning', onWarning);
  try {
    nlu = await createNlu({ cacheDir });
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
    for (const spy of spies) spy.mockRestore();
  }
});
afterAll(() => {
  fs.rmSync(cacheDir, { recursive: true, force: true });
});
const now = new Date('2026-12-01T10:00:00Z');
const timeZone = 'Europe/Paris';

describe('training and dev data', () => {
  const data = loadTrainingData();

  it('has every intent in every language, with many utterances each', () => {
    for (const language of LANGUAGES) {
      for (const intent of INTENTS) {
        const n = data.corpus[language].filter((u) => u.intent === intent).length;
        expect(n, `${language} ${intent}`).toBeGreaterThanOrEqual(15);
      }
    }
  });

  it('keeps the dev sets apart from training, ≥ 40 messages per language covering every intent', () => {
    for (const language of LANGUAGES) {
      const train = new Set(data.corpus[language].map((u) => normalizeText(u.text, language)));
      const dev = loadDevSet(language);
      expect(dev.length).toBeGreaterThanOrEqual(40);
      const copies = dev.filter((d) => train.has(normalizeText(d.text, language))).map((d) => d.text);
      expect(copies, `${language} dev texts that are training texts`).toEqual([]);
      const missing = INTENTS.filter((i) => !dev.some((d) => d.intent === i));
      expect(missing, `${language} intents without a dev message`).toEqual([]);
    }
  });

  it('changes the hash when a training file changes', () => {
    expect(loadTrainingData().hash).toBe(data.hash);
    expect(data.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('intent and language on the dev sets', () => {
  for (const language of LANGUAGES) {
    it(`${language}: ≥ 90 % intent, ≥ 95 % language`, () => {
      const dev = loadDevSet(language);
      const confusion: string[] = [];
      const wrongLanguage: string[] = [];
      let intents = 0;
      let languages = 0;
      for (const d of dev) {
        const r = nlu.parse(d.text, { now, timeZone });
        if (r.intent === d.intent) intents += 1;
        else confusion.push(`${d.intent} → ${r.intent} (${r.confidence}): ${d.text}`);
        if (r.language === language) languages += 1;
        else wrongLanguage.push(`${r.language}: ${d.text}`);
      }
      const intentAccuracy = intents / dev.length;
      const languageAccuracy = languages / dev.length;
      expect(intentAccuracy, `intent ${(intentAccuracy * 100).toFixed(1)} %; confusion:\n${confusion.join('\n')}`).toBeGreaterThanOrEqual(0.9);
      expect(languageAccuracy, `language ${(languageAccuracy * 100).toFixed(1)} %:\n${wrongLanguage.join('\n')}`).toBeGreaterThanOrEqual(0.95);
    });
  }
});

describe('classification', () => {
  const parse = (text: string, language?: (typeof LANGUAGES)[number]) => nlu.parse(text, { now, timeZone, ...(language ? { language } : {}) });

  it('picks what a message is about over the greeting or thanks around it', () => {
    expect(parse('Hello. I need to cancel my appointment').intent).toBe('cancel_appointment');
    expect(parse('hi, can I book for tomorrow?').intent).toBe('book_appointment');
    expect(parse('Bonjour ! Je voudrais annuler mon rendez-vous de demain. Merci').intent).toBe('cancel_appointment');
    expect(parse('Hallo. Ich brauche ein neues Rezept. Danke!').intent).toBe('prescription_renewal');
    expect(parse('ok perfect, thanks a lot').intent).toBe('thanks');
  });

  it('reads typos, missing accents, repeated letters and chat abbreviations', () => {
    expect(parse('helloooo').intent).toBe('greeting');
    expect(parse('need appt tmrw pls').intent).toBe('book_appointment');
    expect(parse('je veux annuler mon rdv').intent).toBe('cancel_appointment');
    expect(parse('resultats prise de sang svp').intent).toBe('lab_results');
    expect(parse('mi fa male la gola da ieri').intent).toBe('symptoms');
    expect(parse('qiero cita porfa').intent).toBe('book_appointment');
    expect(parse('obg pela ajuda').intent).toBe('thanks');
    expect(parse('termn absagen bitte').intent).toBe('cancel_appointment');
  });

  it('gives a confidence in 0..1 and at most three other intents, best first', () => {
    const r = parse('can I change my appointment to friday?');
    expect(r.intent).toBe('reschedule_appointment');
    expect(r.confidence).toBeGreaterThan(0.3);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.alternatives.length).toBeLessThanOrEqual(3);
    expect(r.alternatives.map((a) => a.intent)).not.toContain('reschedule_appointment');
    const scores = r.alternatives.map((a) => a.confidence);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const s of scores) expect(s).toBeLessThanOrEqual(r.confidence);
  });

  it('understands messages that mix a language with English', () => {
    expect(parse('ciao, I want to cancel il mio appuntamento')).toMatchObject({ language: 'it', intent: 'cancel_appointment' });
    expect(parse('je voudrais book un appointment').intent).toBe('book_appointment');
    expect(parse('hi, quisiera una cita').intent).toBe('book_appointment');
  });

  it("never reads a bare 'no' as an opt-out", () => {
    expect(parse('no', 'en').intent).toBe('other');
    expect(parse('non', 'fr').intent).toBe('other');
    expect(parse('nein', 'de').intent).toBe('other');
    expect(parse('não', 'pt').intent).toBe('other');
    expect(parse('STOP', 'fr').intent).toBe('opt_out');
    expect(parse('START', 'en').intent).toBe('opt_in');
  });

  it("answers 'other' for what no clinic intent covers", () => {
    expect(parse('xqzzv wplk').intent).toBe('other');
    expect(parse('what is the capital of spain').intent).toBe('other');
    expect(parse('1234').intent).toBe('other');
  });

  it('sets aside self-introductions, pleasantries and closings around what a message is about', () => {
    expect(parse('Hello, I\'m Peter Jones. Could I cancel my appointment on Monday?').intent).toBe('cancel_appointment');
    expect(parse('Buongiorno, mi chiamo Anna Verdi. Vorrei disdire la visita di martedì.').intent).toBe('cancel_appointment');
    expect(parse('Hallo, hier ist Frau Keller. Ich brauche ein neues Rezept, danke').intent).toBe('prescription_renewal');
    expect(parse('Good morning, hope you\'re keeping well. I\'d need a repeat prescription please. Thanks in advance').intent).toBe('prescription_renewal');
    expect(parse('Thanks so much for your help, have a good evening').intent).toBe('thanks');
    expect(parse('Merci pour tout, bonne soirée').intent).toBe('thanks');
    expect(parse('Hi there, anyone around?').intent).toBe('greeting');
    expect(parse('Hi, I\'m Maria').intent).toBe('greeting');
  });

  it('tells a self-introduction from a sentence that says more', () => {
    expect(isSelfIntroduction("I'm Maria", 'en')).toBe(true);
    expect(isSelfIntroduction('Hi, this is John Smith', 'en')).toBe(true);
    expect(isSelfIntroduction("je m'appelle Sophie", 'fr')).toBe(true);
    expect(isSelfIntroduction('hier ist Frau Weber', 'de')).toBe(true);
    expect(isSelfIntroduction('Sou a Ana', 'pt')).toBe(true);
    expect(isSelfIntroduction("I'm sick", 'en')).toBe(false);
    expect(isSelfIntroduction('I am Diabetic and tired', 'en')).toBe(false);
    expect(isSelfIntroduction('sono stanco', 'it')).toBe(false);
  });

  it('gives the classifier one token for every weekday, so the day named does not change the intent', () => {
    expect(normalizeText('can we do Thursday instead', 'en')).toBe(`can we do ${WEEKDAY_TOKEN} instead`);
    expect(normalizeText('Termin am Freitag', 'de')).toBe(`termin am ${WEEKDAY_TOKEN}`);
    expect(normalizeText('na segunda-feira ou sábado', 'pt')).toBe(`na ${WEEKDAY_TOKEN} ou ${WEEKDAY_TOKEN}`);
    expect(normalizeText('mercredi', 'en')).toBe('mercredi');
    const intents = ['monday', 'thursday', 'saturday'].map((d) => parse(`can I book for ${d}`).intent);
    expect(intents).toEqual(['book_appointment', 'book_appointment', 'book_appointment']);
  });

  it('splits a message into sentences and a greeting set off by a comma', () => {
    expect(segments('Hello. I need to cancel my appointment')).toEqual(['Hello', 'I need to cancel my appointment']);
    expect(segments('hi, can I book for tomorrow?')).toEqual(['hi', 'can I book for tomorrow']);
    expect(segments('just one sentence')).toEqual([]);
  });
});

describe('start-up and the model cache', () => {
  it('is quiet: no "Epoch N loss" lines, no console output, no process warnings (pino)', () => {
    expect(nlu.source.kind).toBe('trained');
    expect(printed).toEqual([]);
  });

  it('trains once, then loads the same model from a cache file named by the training files\' hash', async () => {
    expect(nlu.source.file).toBe(cacheFile(cacheDir, loadTrainingData().hash));
    const cached = await createNlu({ cacheDir });
    expect(cached.source.kind).toBe('cache');
    for (const language of LANGUAGES) {
      for (const d of loadDevSet(language).slice(0, 10)) expect(cached.classify(d.text, language)).toEqual(nlu.classify(d.text, language));
    }
    // A torn file is retrained and replaced.
    fs.writeFileSync(nlu.source.file!, '{"version":1,"langu');
    expect((await createNlu({ cacheDir })).source.kind).toBe('trained');
    expect((await createNlu({ cacheDir })).source.kind).toBe('cache');
  });
});
