// The opt-out and opt-in words per language (consent-words/*.json): every language has both lists and both
// confirmations, every word is recognised however it is cased, accented or punctuated, and sentences are not.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkText } from '../whatsapp/outbound-limits.js';
import { CONSENT_WORDS, confirmationLanguage, matchKeyword, normaliseKeyword } from './consent-keywords.js';

const LANGUAGES = ['en', 'fr', 'it', 'es', 'pt', 'de'];
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'consent-words');

describe('the word lists', () => {
  it('has a file for every supported language and loads each of them', () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(files).toEqual([...LANGUAGES].sort());
    expect([...CONSENT_WORDS.keys()].sort()).toEqual([...LANGUAGES].sort());
  });

  it.each(LANGUAGES)('%s has opt-out and opt-in words and both confirmations, each sendable as one WhatsApp text', (lang) => {
    const w = CONSENT_WORDS.get(lang)!;
    expect(w.optOut.length).toBeGreaterThan(1);
    expect(w.optIn.length).toBeGreaterThan(0);
    for (const t of [w.confirmOptOut, w.confirmOptIn]) {
      expect(t.trim().length).toBeGreaterThan(20);
      expect(() => checkText('text.body', t, 4096)).not.toThrow();
    }
    expect(w.confirmOptOut).not.toBe(w.confirmOptIn);
  });

  it.each(LANGUAGES)('every %s word is recognised as what its list says', (lang) => {
    const w = CONSENT_WORDS.get(lang)!;
    for (const word of w.optOut) expect(matchKeyword(word)?.action, word).toBe('opt_out');
    for (const word of w.optIn) expect(matchKeyword(word)?.action, word).toBe('opt_in');
  });

  it('the opt-out confirmation tells the patient how to opt back in with a word of their language', () => {
    for (const lang of LANGUAGES) {
      const w = CONSENT_WORDS.get(lang)!;
      const named = w.optIn.some((word) => w.confirmOptOut.includes(word));
      expect(named, lang).toBe(true);
    }
  });
});

describe('recognising a keyword', () => {
  it.each([
    ['STOP', 'stop'], ['  Stop!!! ', 'stop'], ['ARRÊT', 'arret'], ['Arrêt.', 'arret'], ['dar  de   baja', 'dar de baja'], ['STOP 🛑', 'stop'],
    ['🙏 stop 🙏', 'stop'], ['«STOP»', 'stop'], ['cancelar inscrição', 'cancelar inscricao'], ['ＳＴＯＰ', 'stop'],
  ])('normalises %j to %j', (input, out) => {
    expect(normaliseKeyword(input)).toBe(out);
  });

  it.each([
    ['STOP', null], ['ARRET', 'fr'], ['arrêt', 'fr'], ['BAJA', 'es'], ['Sair', 'pt'], ['PARAR', null], ['ABMELDEN', 'de'], ['STOPP', 'de'], ['basta', 'it'],
  ])('%s is an opt-out of language %s', (word, language) => {
    expect(matchKeyword(word)).toMatchObject({ action: 'opt_out', language });
  });

  it.each(['stop smoking tips', 'I want to cancel my appointment', 'CANCEL', 'annuler', 'cancelar', 'yes', 'stop?? why', 'please stop', 'stopstop', '', '   ', '🛑'])(
    '%j is not a keyword', (input) => {
      expect(matchKeyword(input)).toBeNull();
    });

  it('a shared word takes the patient\'s language, else English; a word of one language takes that language', () => {
    const stop = matchKeyword('STOP')!;
    expect(confirmationLanguage(stop, 'de-AT')).toBe('de');
    expect(confirmationLanguage(stop, 'nl')).toBe('en');
    expect(confirmationLanguage(stop, null)).toBe('en');
    expect(confirmationLanguage(matchKeyword('BAJA')!, 'fr')).toBe('es');
  });
});
