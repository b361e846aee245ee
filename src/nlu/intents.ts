// Intent classification: one @nlpjs neural classifier per language (the perceptron layer NluNeural trains),
// fed the stems of the lang pack's tokenizer and stemmer over normalised text. We drive the same pieces
// NluManager does, but synchronously (parse must not await) and with a model that serialises to JSON for
// the cache. Unknown words raise @nlpjs's "None" feature, as NluNeural does, which pulls a message made of
// words the clinic's training never saw towards 'other'.
import { Container } from '@nlpjs/core';
import { StemmerDe, TokenizerDe } from '@nlpjs/lang-de';
import { StemmerEn, TokenizerEn } from '@nlpjs/lang-en-min';
import { StemmerEs, TokenizerEs } from '@nlpjs/lang-es';
import { StemmerFr, TokenizerFr } from '@nlpjs/lang-fr';
import { StemmerIt, TokenizerIt } from '@nlpjs/lang-it';
import { StemmerPt, TokenizerPt } from '@nlpjs/lang-pt';
import { NeuralNetwork, type NeuralNetworkJson, type TrainingItem } from '@nlpjs/neural';
import { SpellCheck } from '@nlpjs/similarity';
import { z } from 'zod';
import { normalizeText } from './normalize.js';
import { perLanguage, type Corpus } from './training-data.js';
import { INTENTS, LANGUAGES, type Intent, type Language } from './types.js';

interface Stemmer {
  tokenizeAndStem(text: string, keepStops?: boolean): string[];
}

function stemmers(): Record<Language, Stemmer> {
  const c = new Container();
  const make = <S extends { tokenizer: unknown }>(stemmer: S, tokenizer: S['tokenizer']): S => {
    stemmer.tokenizer = tokenizer;
    return stemmer;
  };
  return {
    en: make(new StemmerEn(c), new TokenizerEn(c)),
    fr: make(new StemmerFr(c), new TokenizerFr(c)),
    it: make(new StemmerIt(c), new TokenizerIt(c)),
    es: make(new StemmerEs(c), new TokenizerEs(c)),
    pt: make(new StemmerPt(c), new TokenizerPt(c)),
    de: make(new StemmerDe(c), new TokenizerDe(c)),
  };
}

export interface Scored {
  intent: Intent;
  /** 0..1, the scores of one classification sum to 1. */
  score: number;
}

/** NluNeural's defaults for the "None" feature: unknown words add up, each one a little more. */
const NONE_DELTA_MULTIPLIER = 1.2;
const NONE = 'None';

const modelJson = z.object({
  version: z.literal(1),
  languages: z.record(z.string(), z.object({
    intentFeatures: z.record(z.string(), z.array(z.string())),
    numIntents: z.number().int().positive(),
    net: z.object({
      settings: z.record(z.string(), z.unknown()),
      features: z.array(z.string()).optional(),
      intents: z.array(z.string()).optional(),
      perceptrons: z.array(z.array(z.number())).optional(),
    }),
  })),
});
export type IntentModelJson = z.infer<typeof modelJson>;

interface LanguageModel {
  net: NeuralNetwork;
  features: Set<string>;
  /** The stems each intent was trained on: an intent none of whose words is in a message scores 0. */
  intentFeatures: Map<string, Set<string>>;
  numIntents: number;
  /** @nlpjs's spell check over the known stems (edit distance 1, words of 5+ letters: at 4, "wnat" became "what"). */
  spell: SpellCheck;
}

function languageModel(net: NeuralNetwork, intentFeatures: Map<string, Set<string>>, numIntents: number): LanguageModel {
  const features = new Set<string>();
  for (const fs of intentFeatures.values()) for (const f of fs) features.add(f);
  const counts: Record<string, number> = {};
  for (const f of features) counts[f] = 1;
  return { net, features, intentFeatures, numIntents, spell: new SpellCheck({ features: counts, minLength: 5 }) };
}

const isIntent = (s: string): s is Intent => (INTENTS as readonly string[]).includes(s);

export class IntentModel {
  private readonly stem = stemmers();
  private constructor(private readonly models: Record<Language, LanguageModel>) {}

  /** Trains one classifier per language (about 0.2 s each on this machine's corpus). */
  static train(corpus: Corpus): IntentModel {
    const stem = stemmers();
    return new IntentModel(perLanguage((language) => {
      const items: TrainingItem[] = [];
      const intentFeatures = new Map<string, Set<string>>();
      for (const u of corpus[language]) {
        const input = featuresOf(stem[language], normalizeText(u.text, language));
        const set = intentFeatures.get(u.intent) ?? new Set<string>();
        for (const f of Object.keys(input)) set.add(f);
        intentFeatures.set(u.intent, set);
        items.push({ input, output: { [u.intent]: 1 } });
      }
      const intents = intentFeatures.keys();
      // NluNeural's None example: the feature unknown words raise points to no intent.
      const none: Record<string, number> = { [NONE]: 1 };
      for (const i of intents) none[i] = 0.0000001;
      items.push({ input: { nonefeature: 1 }, output: none });
      const net = new NeuralNetwork({ log: false });
      net.train(items);
      return languageModel(net, intentFeatures, intentFeatures.size);
    }));
  }

  static fromJSON(json: unknown): IntentModel {
    const parsed = modelJson.parse(json);
    return new IntentModel(perLanguage((language) => {
      const m = parsed.languages[language];
      if (!m) throw new Error(`the cached intent model has no ${language} classifier`);
      const net = new NeuralNetwork();
      const netJson: NeuralNetworkJson = { settings: m.net.settings, ...(m.net.features ? { features: m.net.features } : {}), ...(m.net.intents ? { intents: m.net.intents } : {}), ...(m.net.perceptrons ? { perceptrons: m.net.perceptrons } : {}) };
      net.fromJSON(netJson);
      return languageModel(net, new Map(Object.entries(m.intentFeatures).map(([k, v]) => [k, new Set(v)])), m.numIntents);
    }));
  }

  toJSON(): IntentModelJson {
    const languages: IntentModelJson['languages'] = {};
    for (const language of LANGUAGES) {
      const m = this.models[language];
      const intentFeatures: Record<string, string[]> = {};
      for (const [k, v] of m.intentFeatures) intentFeatures[k] = [...v];
      languages[language] = { intentFeatures, numIntents: m.numIntents, net: m.net.toJSON() };
    }
    return { version: 1, languages };
  }

  /** The stems the classifier of `language` knows, for the language vote on short messages. */
  knows(language: Language, stem: string): boolean {
    return this.models[language].features.has(stem);
  }

  stems(language: Language, normalized: string): string[] {
    return Object.keys(featuresOf(this.stem[language], normalized));
  }

  /**
   * Intents of a normalised text, best first, scores summing to 1 ('other' takes @nlpjs's None). An empty
   * list when the text has no word the classifier knows.
   */
  classify(language: Language, normalized: string): Scored[] {
    const m = this.models[language];
    const tokens = m.spell.check(Object.keys(featuresOf(this.stem[language], normalized)).map((t) => transposed(t, m.features)), 1);
    const input: Record<string, number> = {};
    let unknown = 0;
    for (const t of tokens) {
      if (m.features.has(t)) input[t] = 1;
      else unknown += 1;
    }
    let delta = m.numIntents / Math.max(1, m.features.size);
    let none = 0;
    for (let i = 0; i < unknown; i += 1) {
      none += delta;
      delta *= NONE_DELTA_MULTIPLIER;
    }
    if (none) input['nonefeature'] = none;
    if (Object.keys(input).length === 0) return [];
    const raw = m.net.run(input) ?? {};
    const merged = new Map<Intent, number>();
    let total = 0;
    const present = Object.keys(input);
    for (const [name, score] of Object.entries(raw)) {
      const intent: Intent | null = name === NONE ? 'other' : isIntent(name) ? name : null;
      if (!intent || !(score > 0)) continue;
      const own = m.intentFeatures.get(name);
      if (name !== NONE && (!own || !present.some((f) => own.has(f)))) continue;
      const sq = score * score;
      merged.set(intent, (merged.get(intent) ?? 0) + sq);
      total += sq;
    }
    if (total === 0) return [{ intent: 'other', score: 1 }];
    return [...merged].map(([intent, s]) => ({ intent, score: s / total })).sort((a, b) => b.score - a.score);
  }
}

/** "wnat" → "want", "teh" → "the": two neighbouring letters swapped (@nlpjs's spell check counts that as 2). */
function transposed(token: string, known: ReadonlySet<string>): string {
  if (token.length < 3 || known.has(token)) return token;
  for (let i = 0; i < token.length - 1; i += 1) {
    const t = token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2);
    if (known.has(t)) return t;
  }
  return token;
}

function featuresOf(stemmer: Stemmer, normalized: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of stemmer.tokenizeAndStem(normalized, true)) if (s) out[s] = 1;
  return out;
}
