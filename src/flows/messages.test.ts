// The bot-text catalogues (src/flows/messages/<lang>.json): every key in every language, no extra ones, the
// same interpolation variables everywhere, the plural forms each language needs, and every text within
// the Cloud API limit its key name tells (team convention: Button 20, Row 24, RowDescription 72, Header
// 60, Body 1,024, anything else 4,096), with interpolated values at their longest realistic length.
import { describe, expect, it } from 'vitest';
import { LANGUAGES, type Language } from '../nlu/types.js';
import { CATALOGUES, catalogueKeys, formatWhen, translator } from './i18n.js';

const PLURAL = /_(zero|one|two|few|many|other)$/;
const base = (key: string) => key.replace(PLURAL, '');
const flat = (l: Language): Map<string, string> => new Map(Object.entries(CATALOGUES[l]).flatMap(([s, keys]) => Object.entries(keys).map(([k, v]) => [`${s}.${k}`, v] as [string, string])));

/** The longest a value put into a text can realistically be. */
const LONGEST: Record<string, string> = {
  clinic: 'C'.repeat(80),
  link: 'https://' + 'l'.repeat(192),
  count: '999',
  at: 'quinta-feira, 31 de dezembro às 23:59 ', // the longest weekday and month names of the six
};

function limitOf(key: string): number {
  if (key.endsWith('RowDescription')) return 72;
  if (key.endsWith('Button')) return 20;
  if (key.endsWith('Row')) return 24;
  if (key.endsWith('Header')) return 60;
  if (key.endsWith('Body')) return 1024;
  return 4096;
}

const variables = (s: string): string[] => [...s.matchAll(/\{\{\s*([\w.]+)\s*(?:,[^}]*)?\}\}/g)].map((m) => m[1]!).sort();
const filled = (s: string): string => s.replace(/\{\{\s*([\w.]+)\s*(?:,[^}]*)?\}\}/g, (_, v: string) => LONGEST[v] ?? 'x'.repeat(40));

describe('bot-text catalogues', () => {
  const en = new Set(catalogueKeys('en').map(base));

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s has every key of en and no other', (l) => {
    const keys = new Set(catalogueKeys(l).map(base));
    expect([...en].filter((k) => !keys.has(k)), `missing in ${l}`).toEqual([]);
    expect([...keys].filter((k) => !en.has(k)), `extra in ${l}`).toEqual([]);
  });

  it.each(LANGUAGES)('%s has exactly the plural forms its language needs', (l) => {
    const needed: string[] = new Intl.PluralRules(l).resolvedOptions().pluralCategories.filter((c) => c !== 'zero' && c !== 'two' && c !== 'few').sort();
    const forms = new Map<string, string[]>();
    for (const k of catalogueKeys(l)) {
      const m = PLURAL.exec(k);
      if (m) forms.set(base(k), [...(forms.get(base(k)) ?? []), m[1]!].sort());
    }
    for (const [k, f] of forms) {
      // 'many' (fr, it, es, pt: "1 000 000 de…") may be given; 'one' and 'other' must be.
      expect(f.filter((x) => x !== 'many'), `${l} ${k}`).toEqual(needed.filter((x) => x !== 'many'));
      expect(f.every((x) => needed.includes(x)), `${l} ${k} has a form ${l} does not use`).toBe(true);
    }
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s uses the same interpolation variables as en in every text', (l) => {
    const ours = flat(l);
    const theirs = flat('en');
    const byBase = (m: Map<string, string>) => {
      const out = new Map<string, string>();
      for (const [k, v] of m) out.set(base(k), JSON.stringify([...new Set([...(JSON.parse(out.get(base(k)) ?? '[]') as string[]), ...variables(v)])].sort()));
      return out;
    };
    const a = byBase(ours);
    const b = byBase(theirs);
    for (const [k, v] of b) expect(a.get(k), `${l} ${k}`).toBe(v);
  });

  it.each(LANGUAGES)('%s: every text fits the limit its key name tells, with the longest values put in', (l) => {
    const over: string[] = [];
    for (const [k, v] of flat(l)) {
      const n = [...filled(v)].length;
      if (v.trim() === '') over.push(`${k} is empty`);
      if (n > limitOf(k)) over.push(`${k}: ${n} > ${limitOf(k)}`);
    }
    expect(over).toEqual([]);
  });

  it('writes dates and times by locale in the clinic\'s zone, and plurals through i18next', () => {
    const at = new Date('2026-12-01T14:00:00Z'); // 15:00 in Paris, 09:00 in New York
    expect(formatWhen(at, 'fr', 'Europe/Paris')).toBe('mardi 1 décembre à 15:00');
    expect(formatWhen(at, 'de', 'Europe/Paris')).toBe('Dienstag, 1. Dezember um 15:00');
    expect(formatWhen(at, 'en', 'America/New_York')).toBe('Tuesday 1 December at 09:00');
    expect(translator('fr', 'Europe/Paris')('handoff.closedUntil', { at })).toContain('le mardi 1 décembre à 15:00');
    expect(translator('en')('handoff.openNow', { count: 1 })).toContain('1 hour.');
    expect(translator('en')('handoff.openNow', { count: 2 })).toContain('2 hours.');
    expect(translator('de')('handoff.openNow', { count: 2 })).toContain('2 Stunden');
  });
});
