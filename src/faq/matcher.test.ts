// The FAQ matcher on its labelled sets (src/faq/dev/<lang>.yaml): the demo FAQ plus each set's staff-defined
// topics, messages nobody wrote as a question or variant. At MATCH_THRESHOLD, ≥ 90 % of the questions get
// the right entry first (per language), and no negative (booking, symptoms, chit-chat, other requests)
// matches anything. Also the text pipeline's normalisation and the matcher's tolerance of typos.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LANGUAGES, type Language } from '../nlu/types.js';
import { DEMO_FAQ } from '../scheduling/demo-faq.js';
import { FaqIndex, MATCH_THRESHOLD, type IndexedEntry } from './matcher.js';
import { normalise, terms } from './text.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const devSet = z.object({
  topics: z.array(z.object({ topic: z.string(), title: z.string().max(24), question: z.string(), variants: z.array(z.string()) })).min(1),
  cases: z.array(z.object({ text: z.string().min(1), topic: z.string().nullable() })).min(10),
});

function load(language: Language) {
  const dev = devSet.parse(YAML.parse(fs.readFileSync(path.join(here, 'dev', `${language}.yaml`), 'utf8')));
  const entries: IndexedEntry[] = [
    ...DEMO_FAQ.filter((f) => f.language === language).map((f) => ({ key: f.intent, topic: f.intent, language, question: f.question, variants: f.variants })),
    ...dev.topics.map((t) => ({ key: t.topic, topic: t.topic, language, question: t.question, variants: t.variants })),
  ];
  return { dev, index: new FaqIndex(entries) };
}

describe('the FAQ matcher on the dev sets', () => {
  for (const language of LANGUAGES) {
    it(`${language}: ≥ 90 % top-1 on questions, custom topics included, and no negative matches`, () => {
      const { dev, index } = load(language);
      const positives = dev.cases.filter((c) => c.topic !== null);
      const negatives = dev.cases.filter((c) => c.topic === null);
      expect(negatives.length).toBeGreaterThanOrEqual(3);
      const customTopics = new Set(dev.topics.map((t) => t.topic));
      expect(positives.some((c) => customTopics.has(c.topic!))).toBe(true);

      const right = positives.filter((c) => index.match(c.text, [language])?.entry.topic === c.topic);
      expect(right.length / positives.length, `missed: ${positives.filter((c) => !right.includes(c)).map((c) => c.text).join(' | ')}`).toBeGreaterThanOrEqual(0.9);
      const falseMatches = negatives.filter((c) => index.match(c.text, [language]) !== null).map((c) => c.text);
      expect(falseMatches).toEqual([]);
    });
  }

  it('scores 0..1, an exact question scoring 1', () => {
    const { index } = load('en');
    const top = index.rank('What are your opening hours?', ['en'])[0]!;
    expect(top.entry.topic).toBe('opening_hours');
    expect(top.score).toBeCloseTo(1, 5);
    for (const m of index.rank('open on saturday with a wheelchair?', ['en'])) expect(m.score).toBeGreaterThan(0), expect(m.score).toBeLessThanOrEqual(1);
  });

  it('tolerates typos and missing accents', () => {
    const { index } = load('fr');
    expect(index.match('horraires d ouvertur', ['fr'])?.entry.topic).toBe('opening_hours');
    expect(index.match('acces en fauteil roulant', ['fr'])?.entry.topic).toBe('accessibility');
    const de = load('de').index;
    expect(de.match('offnungszeiten', ['de'])?.entry.topic).toBe('opening_hours');
  });

  it('answers the FAQ question of a message of several sentences, and not a booking that names an FAQ word', () => {
    const { index } = load('en');
    expect(index.match('Hello, good morning. Where exactly are you? I come by metro from Gare du Nord', ['en'])?.entry.topic).toBe('location');
    expect(index.match('I would like to book a blood test on Monday', ['en'])).toBeNull();
    expect(index.rank('I would like to book a blood test on Monday', ['en']).every((m) => m.entry.topic !== '#not-faq')).toBe(true);
    expect(new FaqIndex(load('en').index.entries, { reject: false }).match('I would like to book a blood test on Monday', ['en'])?.entry.topic).toBe('what_to_bring');
  });

  it('matches nothing on an empty index, on stop-words only, and in a language it has no entries in', () => {
    expect(new FaqIndex([]).match('opening hours', ['en'])).toBeNull();
    expect(load('en').index.match('the and of', ['en'])).toBeNull();
    expect(load('en').index.match('What are your opening hours?', ['de'])).toBeNull();
    expect(MATCH_THRESHOLD).toBeGreaterThan(0);
  });
});

describe('the text pipeline', () => {
  it('lowercases, strips accents and punctuation', () => {
    expect(normalise("Quels sont vos HORAIRES d'ouverture ?")).toBe('quels sont vos horaires d ouverture');
    expect(normalise('Öffnungszeiten, Straße!')).toBe('offnungszeiten strasse');
  });
  it('stems and drops stop-words, per language', () => {
    expect(terms('horaires', 'fr')).toEqual(terms('horaire', 'fr'));
    expect(terms('What are your opening hours?', 'en')).toEqual(['open', 'hour']);
    expect(terms('wann habt ihr geöffnet', 'de')).not.toContain('ihr');
  });
});
