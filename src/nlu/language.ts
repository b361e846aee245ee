// Which of the six languages a message is in. eld (n-grams, restricted to our six) decides on sentences; on
// short chat messages ("merci", "ok", "rdv demain") n-grams say little, so the words the classifiers were
// trained on vote too (a word's vote is shared between the languages whose training uses it, by how often:
// "hi" is mostly English), and the patient's known language wins ties, texts with no evidence ("ok",
// "120/80") and short texts whose every word it uses too ("no", "stop", "cancelar").
// The small database: on our dev sets it reads as the large one does (intents' 100 %, red flags' 98.3 % against
// 98.6 %: a few two-word texts either way), at 200 MB less memory and a second less start-up. It is read
// restricted to our six languages (vendor/eld-subset: the same scores, 90 MB less resident memory than eld's
// sixty-language literal).
import fs from 'node:fs';
import { foldText, words } from './normalize.js';
import { perLanguage, type Corpus } from './training-data.js';
import { LANGUAGES, type Language } from './types.js';

export interface DetectedLanguage {
  language: Language;
  /** 0..1 */
  confidence: number;
}

interface EldDetector {
  detect(text: string): { language: string; getScores(): Record<string, number> };
}

/** eld's n-gram detector holding our six languages' subset of its small database (vendor/eld-subset). */
async function loadDetector(): Promise<EldDetector> {
  // eld's package exports only its prebuilt entries; the detector that takes a database is the module beside
  // them (the test checks that it scores as eld/small restricted to our languages does).
  const core = (await import(new URL('../languageDetector.js', import.meta.resolve('eld')).href)) as {
    createEld(): { instance: EldDetector; loadData(data: unknown): string };
  };
  const { instance, loadData } = core.createEld();
  const data = JSON.parse(fs.readFileSync(new URL('../../vendor/eld-subset/ngrams-small-6.json', import.meta.url), 'utf8')) as { languages: Record<string, string> };
  if (!loadData(data) || Object.values(data.languages).sort().join() !== [...LANGUAGES].sort().join()) {
    throw new Error("vendor/eld-subset/ngrams-small-6.json does not hold eld's n-grams of our languages");
  }
  return instance;
}

const detector = await loadDetector();

/** eld's scores of `text` for our six languages (those it has evidence for). */
export function ngramScores(text: string): Record<string, number> {
  return detector.detect(text).getScores();
}

/** How much the patient's known language weighs against the evidence: it decides near-ties only. */
const PREFERENCE_BONUS = 0.12;

/**
 * Letters with a diacritic that only some of our languages write: on a short text the fold (which the words'
 * vote works on) loses them, and eld weighs little there, yet "sí" is Spanish and "sì" Italian, "não"
 * Portuguese, "grüß" German. Each such letter votes for the languages that write it.
 */
const MARKED: Readonly<Record<string, readonly Language[]>> = {
  ñ: ['es'], '¿': ['es'], '¡': ['es'],
  ã: ['pt'], õ: ['pt'],
  ß: ['de'], ä: ['de'], ö: ['de'], ü: ['de', 'es'],
  ì: ['it'], ò: ['it'], ù: ['it', 'fr'], è: ['it', 'fr'],
  í: ['es', 'pt'], ó: ['es', 'pt', 'it'], ú: ['es', 'pt'], á: ['es', 'pt'],
  ê: ['fr', 'pt'], ô: ['fr', 'pt'], â: ['fr', 'pt'], ç: ['fr', 'pt'],
  œ: ['fr'], ë: ['fr'], ï: ['fr'], î: ['fr'], û: ['fr'],
};
/** What the marked letters of a short text weigh together (a word's vote weighs 1 on short texts). */
const MARKED_WEIGHT = 0.5;

export class LanguageDetector {
  /** folded word → how often each language's training utterances use it. */
  private readonly lexicon = new Map<string, Partial<Record<Language, number>>>();

  constructor(corpus: Corpus) {
    for (const language of LANGUAGES) {
      for (const u of corpus[language]) {
        for (const w of words(foldText(u.text))) {
          const counts = this.lexicon.get(w) ?? {};
          counts[language] = (counts[language] ?? 0) + 1;
          this.lexicon.set(w, counts);
        }
      }
    }
  }

  detect(text: string, preference?: Language): DetectedLanguage {
    const folded = foldText(text);
    const ws = words(folded).filter((w) => /\p{L}/u.test(w));
    const fallback: Language = preference ?? 'en';
    if (ws.length === 0) return { language: fallback, confidence: preference ? 0.5 : 0 };

    const score = perLanguage(() => 0);
    // Lexicon vote: each word's weight is split between the languages that use it.
    let known = 0;
    let preferenceKnowsAll = preference !== undefined;
    for (const w of ws) {
      const counts = this.lexicon.get(w);
      if (!counts || (preference && !counts[preference])) preferenceKnowsAll = false;
      if (!counts) continue;
      known += 1;
      let total = 0;
      for (const l of LANGUAGES) total += counts[l] ?? 0;
      for (const l of LANGUAGES) score[l] += (counts[l] ?? 0) / total;
    }
    if (preference && preferenceKnowsAll && ws.length <= 3) return { language: preference, confidence: 0.5 };
    const lexWeight = ws.length <= 3 ? 1 : 0.6;
    for (const l of LANGUAGES) score[l] = ws.length ? (score[l] / ws.length) * lexWeight : 0;

    // n-grams: eld's scores relative to its best, weighted more the longer the text.
    const scores = ngramScores(text);
    const best = Math.max(0, ...Object.values(scores));
    const letters = folded.replace(/[^\p{L}]/gu, '').length;
    const eldWeight = letters < 8 ? 0.3 : letters < 20 ? 0.7 : 1;
    if (best > 0) {
      for (const l of LANGUAGES) {
        const s = scores[l] ?? 0;
        // Only the languages close to the best count: the scale of eld's scores is not a probability.
        score[l] += eldWeight * Math.max(0, (s / best - 0.85) / 0.15);
      }
    }
    if (ws.length <= 3) {
      const marked = [...new Set(text.toLowerCase())].map((ch) => MARKED[ch]).filter((ls): ls is readonly Language[] => ls !== undefined);
      for (const ls of marked) for (const l of ls) score[l] += MARKED_WEIGHT / marked.length / ls.length;
    }
    if (preference) score[preference] += PREFERENCE_BONUS;

    let top: Language = fallback;
    let total = 0;
    for (const l of LANGUAGES) {
      total += score[l];
      if (score[l] > score[top]) top = l;
    }
    if (total === 0 || (known === 0 && best === 0)) return { language: fallback, confidence: preference ? 0.5 : 0 };
    return { language: top, confidence: Math.min(1, score[top] / total) };
  }
}
