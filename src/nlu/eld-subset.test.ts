// The n-gram database the language detector reads (vendor/eld-subset) is eld's small one restricted to our six
// languages: made from the installed eld by its script, and scoring every text as eld/small does once
// restricted to the same languages (eld scores each language of an n-gram, then filters).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { eld } from 'eld/small';
import { describe, expect, it } from 'vitest';
import { ngramScores } from './language.js';
import { loadTrainingData } from './training-data.js';
import { LANGUAGES } from './types.js';

const root = path.resolve(import.meta.dirname, '../..');
const vendored = path.join(root, 'vendor/eld-subset/ngrams-small-6.json');

describe('eld subset (vendor/eld-subset)', () => {
  it('is what vendor/eld-subset/generate.mjs makes from the installed eld', async () => {
    const script = pathToFileURL(path.join(root, 'vendor/eld-subset/generate.mjs')).href;
    const gen = (await import(script)) as { subsetJson(root: string): Promise<string>; LANGUAGES: string[] };
    expect([...gen.LANGUAGES].sort()).toEqual([...LANGUAGES].sort());
    const made = await gen.subsetJson(root);
    expect(made.length).toBeGreaterThan(100_000);
    expect(fs.readFileSync(vendored, 'utf8') === made, 'vendor/eld-subset is stale: run node vendor/eld-subset/generate.mjs').toBe(true);
  });

  it('scores every training and dev text, and mixed and hostile ones, as eld/small restricted to our languages', () => {
    const full = eld.newInstance();
    full.setLanguageSubset([...LANGUAGES]);
    const data = loadTrainingData();
    const texts = [
      ...Object.values(data.corpus).flat().map((u) => u.text),
      ...LANGUAGES.flatMap((l) => fs.readFileSync(path.join(root, 'src/nlu/data', l, 'dev.yaml'), 'utf8').split('\n')),
      'Привет, мне нужна запись', 'مرحبا أريد موعدا', '預約 明天', 'ok 👍', '', '   ', 'a'.repeat(5000), 'rdv demain 15h https://x.example/a?b=c',
    ];
    expect(texts.length).toBeGreaterThan(1000);
    let evidence = 0;
    for (const t of texts) {
      const want = full.detect(t).getScores();
      expect(ngramScores(t), t).toEqual(want);
      if (Object.keys(want).length > 0) evidence++;
    }
    expect(evidence).toBeGreaterThan(texts.length / 2);
  });
});
