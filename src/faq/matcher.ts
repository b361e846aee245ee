// Matching a patient's message to an FAQ entry on meaning: every question and variant of the clinic's FAQ
// becomes a TF-IDF vector over stems (text.ts), per language, IDF counted over entries. An entry scores half
// its best document's cosine similarity to the message and half the share of the message its words cover.
// Words the index does not know are matched to its closest term within a small edit distance
// (@nlpjs/similarity's Levenshtein), at a discount, so "horraires" and "opning" still count. A message of
// several sentences scores its best sentence too. Each language also indexes what is no FAQ question
// (not-faq.ts: bookings, results, symptoms): a message closest to that matches nothing. Pure and
// synchronous: the lookup (lookup.ts) builds one index per clinic revision and keeps it in memory.
import { createRequire } from 'node:module';
import type { Language } from '../nlu/types.js';
import { NOT_FAQ } from './not-faq.js';
import { terms } from './text.js';

const require = createRequire(import.meta.url);
const { leven } = require('@nlpjs/similarity') as { leven: (a: string, b: string) => number };

/** Below this an entry is not what the patient asked. Calibrated on src/faq/dev/*.yaml (matcher.test.ts): the
 * negatives score at most 0.38 there and the questions at least 0.51 (one wrong topic aside); 0.45 sits
 * between them. */
export const MATCH_THRESHOLD = 0.45;
/** A fuzzy (typo) term counts this much of an exact one. */
const FUZZY_WEIGHT = 0.8;
/** An entry's score: this share of its best document's cosine, the rest its coverage of the message. */
const COSINE_SHARE = 0.5;
/** The topic of the rejecting entries (never a real topic: topics are slugs). */
const REJECT = '#not-faq';

export interface IndexedEntry {
  /** Any key the caller uses to find the entry again (the lookup uses topic + language + location). */
  key: string;
  topic: string;
  language: Language;
  question: string;
  variants: readonly string[];
}

interface Doc {
  entry: number;
  vector: Map<string, number>;
  norm: number;
}

interface LanguageIndex {
  docs: Doc[];
  idf: Map<string, number>;
  /** Every term of each entry's documents. */
  vocabulary: Map<number, Set<string>>;
  /** Terms by first letter, for the fuzzy step. */
  byInitial: Map<string, string[]>;
}

export interface Match {
  entry: IndexedEntry;
  score: number;
}

function allowedDistance(word: string): number {
  if (word.length < 4) return 0;
  return word.length < 7 ? 1 : 2;
}

export class FaqIndex {
  private readonly byLanguage = new Map<Language, LanguageIndex>();

  private readonly all: readonly IndexedEntry[];

  /** `reject`: index NOT_FAQ as one rejecting entry per language of `entries` (default on). */
  constructor(readonly entries: readonly IndexedEntry[], opts: { reject?: boolean } = {}) {
    const languages = [...new Set(entries.map((e) => e.language))];
    const rejects: IndexedEntry[] = opts.reject === false ? [] : languages.map((language) => ({
      key: `${REJECT}/${language}`, topic: REJECT, language, question: NOT_FAQ[language][0]!, variants: NOT_FAQ[language].slice(1),
    }));
    this.all = [...entries, ...rejects];
    const texts = new Map<Language, { entry: number; terms: string[] }[]>();
    this.all.forEach((e, i) => {
      const list = texts.get(e.language) ?? [];
      texts.set(e.language, list);
      for (const text of [e.question, ...e.variants]) {
        const t = terms(text, e.language);
        if (t.length > 0) list.push({ entry: i, terms: t });
      }
    });
    for (const [language, list] of texts) {
      // Document frequency counts entries, not documents: a word every variant of one topic shares (cancel,
      // hours) is what tells that topic apart, and must not lose weight for being said many ways.
      const perEntry = new Map<number, Set<string>>();
      for (const d of list) {
        const s = perEntry.get(d.entry) ?? new Set<string>();
        for (const t of d.terms) s.add(t);
        perEntry.set(d.entry, s);
      }
      const df = new Map<string, number>();
      for (const s of perEntry.values()) for (const t of s) df.set(t, (df.get(t) ?? 0) + 1);
      const n = perEntry.size;
      const idf = new Map<string, number>();
      for (const [t, c] of df) idf.set(t, Math.log(1 + n / c));
      const docs = list.map((d) => {
        const vector = weigh(d.terms, idf);
        return { entry: d.entry, vector, norm: norm(vector) };
      });
      const byInitial = new Map<string, string[]>();
      for (const t of idf.keys()) {
        const k = t[0]!;
        const l = byInitial.get(k) ?? [];
        l.push(t);
        byInitial.set(k, l);
      }
      this.byLanguage.set(language, { docs, idf, vocabulary: perEntry, byInitial });
    }
  }

  /** The best entries for `text` in the given languages (best first, one per entry), whatever their score. */
  rank(text: string, languages: readonly Language[]): Match[] {
    return this.score(text, languages).filter((m) => m.entry.topic !== REJECT);
  }

  /** The entry `text` asks about, or null when none scores at least `threshold` or it reads as no FAQ question. */
  match(text: string, languages: readonly Language[], threshold = MATCH_THRESHOLD): Match | null {
    const top = this.score(text, languages)[0];
    return top && top.entry.topic !== REJECT && top.score >= threshold ? top : null;
  }

  /** Every entry's score (rejecting ones included): the best of the whole message and of each sentence. */
  private score(text: string, languages: readonly Language[]): Match[] {
    const best = new Map<number, number>();
    const sentences = text.split(/[.!?;\n]+/).map((x) => x.trim()).filter((x) => x.length > 0);
    const parts = sentences.length > 1 ? [text, ...sentences] : [text];
    for (const language of new Set(languages)) {
      const index = this.byLanguage.get(language);
      if (!index) continue;
      for (const part of parts) {
        for (const [entry, score] of scorePart(part, language, index)) if (score > (best.get(entry) ?? 0)) best.set(entry, score);
      }
    }
    return [...best]
      .map(([i, score]) => ({ entry: this.all[i]!, score: Math.min(1, score) }))
      .sort((a, b) => b.score - a.score);
  }
}

/** Each entry's score for one message (or sentence) in one language's index. */
function scorePart(text: string, language: Language, index: LanguageIndex): Map<number, number> {
  const out = new Map<number, number>();
  const query = queryVector(terms(text, language), index);
  const qn = norm(query);
  if (qn === 0) return out;
  const cosine = new Map<number, number>();
  for (const d of index.docs) {
    let dot = 0;
    for (const [t, w] of query) {
      const dw = d.vector.get(t);
      if (dw !== undefined) dot += w * dw;
    }
    if (dot === 0) continue;
    const c = dot / (qn * d.norm);
    if (c > (cosine.get(d.entry) ?? 0)) cosine.set(d.entry, c);
  }
  // Coverage: how much of the message (by weight) the entry's words cover across all its documents, so
  // that "open saturday morning" meets "open on saturday?" and "morning hours" said in two variants.
  let total = 0;
  for (const w of query.values()) total += w;
  for (const [entry, c] of cosine) {
    const vocab = index.vocabulary.get(entry);
    let covered = 0;
    for (const [t, w] of query) if (vocab?.has(t)) covered += w;
    out.set(entry, COSINE_SHARE * c + (1 - COSINE_SHARE) * (covered / total));
  }
  return out;
}

/** A document's vector: (1 + log tf) · idf per term. */
function weigh(ts: readonly string[], idf: Map<string, number>): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
  const v = new Map<string, number>();
  for (const [t, f] of tf) v.set(t, (1 + Math.log(f)) * (idf.get(t) ?? 0));
  return v;
}

/** The message's vector in the index's terms: unknown words mapped to their nearest known term, discounted. */
function queryVector(ts: readonly string[], index: LanguageIndex): Map<string, number> {
  const v = new Map<string, number>();
  const maxIdf = Math.max(0, ...index.idf.values());
  for (const t of ts) {
    let term = t;
    let weight = 1;
    let idf = index.idf.get(t);
    if (idf === undefined) {
      const near = nearest(t, index);
      if (near) {
        term = near;
        weight = FUZZY_WEIGHT;
        idf = index.idf.get(near)!;
      } else {
        // An unknown word still dilutes the message: it says something the FAQ does not answer.
        v.set(`?${t}`, (v.get(`?${t}`) ?? 0) + maxIdf * 0.5);
        continue;
      }
    }
    v.set(term, Math.max(v.get(term) ?? 0, weight * idf));
  }
  return v;
}

function nearest(t: string, index: LanguageIndex): string | null {
  const max = allowedDistance(t);
  if (max === 0) return null;
  let best: string | null = null;
  let bestD = max + 1;
  for (const c of index.byInitial.get(t[0]!) ?? []) {
    if (Math.abs(c.length - t.length) > max || allowedDistance(c) === 0) continue;
    const d = leven(t, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : null;
}

function norm(v: Map<string, number>): number {
  let s = 0;
  for (const w of v.values()) s += w * w;
  return Math.sqrt(s);
}
