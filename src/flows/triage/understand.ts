// Free text in the triage flow: which symptom group a message suggests, and what it answers to a question
// ("3 days", "since yesterday", "very bad", "38.5", "my 6 week old"). Words come from rules.yaml; numbers with
// their units are read here. Every language's words are tried: patients mix them.
import { FUZZY_MIN, collapse, normaliseWords, withinOneEdit } from '../../nlu/redflags/index.js';
import { LANGUAGES, type Language } from '../../nlu/types.js';
import { ANSWERS, GROUPS, TRIAGE_RULES, type Answers, type Group, type Question, type TriageRules } from './rules.js';

interface Phrase {
  words: { s: string; prefix: boolean }[];
}

function compile(list: readonly string[]): Phrase[] {
  return list.map((p) => {
    const prefix = p.endsWith('*');
    const ws = normaliseWords(prefix ? p.slice(0, -1) : p);
    return { words: ws.map((s, i) => ({ s, prefix: prefix && i === ws.length - 1 })) };
  });
}

function wordMatches(token: string, w: { s: string; prefix: boolean }): boolean {
  if (w.prefix) return token.startsWith(w.s) || (w.s.length >= FUZZY_MIN + 1 && withinOneEdit(token.slice(0, w.s.length), w.s));
  return token === w.s || (w.s.length >= FUZZY_MIN && token.length >= FUZZY_MIN - 1 && withinOneEdit(token, w.s));
}

/** The length in words of the longest phrase found in the tokens (0 when none). */
function longest(tokens: readonly string[], phrases: readonly Phrase[]): number {
  let best = 0;
  for (const p of phrases) {
    const n = p.words.length;
    if (n <= best) continue;
    for (let i = 0; i + n <= tokens.length; i++) {
      if (p.words.every((w, k) => wordMatches(tokens[i + k]!, w))) {
        best = n;
        break;
      }
    }
  }
  return best;
}

type Compiled = {
  groups: [Group, Phrase[]][];
  answers: { [Q in Question]: [(typeof ANSWERS)[Q][number], Phrase[]][] };
};

function compileRules(rules: TriageRules): Compiled {
  const all = (byLang: Record<Language, string[]>): Phrase[] => LANGUAGES.flatMap((l) => compile(byLang[l]));
  const answers = {} as Compiled['answers'];
  for (const q of Object.keys(ANSWERS) as Question[]) {
    const values = rules.questions[q].values as Record<string, Record<Language, string[]>>;
    (answers as Record<Question, [string, Phrase[]][]>)[q] = ANSWERS[q].map((v) => [v, all(values[v]!)]);
  }
  return { groups: GROUPS.map((g) => [g, all(rules.groups[g].words)]), answers };
}

const COMPILED = compileRules(TRIAGE_RULES);

/** The group a message suggests (the longest matching words win), or null. */
export function groupOf(text: string): Group | null {
  const tokens = normaliseWords(text);
  let best: Group | null = null;
  let score = 0;
  for (const [g, phrases] of COMPILED.groups) {
    const n = longest(tokens, phrases);
    if (n > score) {
      best = g;
      score = n;
    }
  }
  return best;
}

// Tokens come with repeated letters collapsed ("week" → "wek"): so do these lists.
const words = (list: string[]): Set<string> => new Set(list.map(collapse));

// Units of time, in every language, for "3 days", "2 semaines", "seit 5 Tagen".
const HOURS = words(['h', 'hr', 'hrs', 'hour', 'hours', 'heure', 'heures', 'ora', 'ore', 'hora', 'horas', 'stunde', 'stunden', 'std']);
const DAYS = words(['d', 'day', 'days', 'jour', 'jours', 'j', 'giorno', 'giorni', 'gg', 'dia', 'dias', 'tag', 'tage', 'tagen']);
const WEEKS = words(['w', 'wk', 'wks', 'week', 'weeks', 'semaine', 'semaines', 'sem', 'settimana', 'settimane', 'semana', 'semanas', 'woche', 'wochen']);
const MONTHS = words(['month', 'months', 'mo', 'mois', 'mese', 'mesi', 'mes', 'meses', 'monat', 'monate', 'monaten']);
const YEARS = words(['y', 'yo', 'yr', 'yrs', 'year', 'years', 'an', 'ans', 'anno', 'anni', 'ano', 'anos', 'jahr', 'jahre', 'jahren', 'j']);
const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, a: 1,
  un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5,
  uno: 1, una: 1, due: 2, tre: 3, dos: 2, tres: 3, cuatro: 4, cinco: 5,
  um: 1, uma: 1, dois: 2, duas: 2, quatro: 4,
  ein: 1, eine: 1, einem: 1, einer: 1, zwei: 2, drei: 3, vier: 4,
};

const NUMBERS = new Map(Object.entries(NUMBER_WORDS).map(([w, n]) => [collapse(w), n]));

function numberAt(tokens: readonly string[], i: number): number | null {
  const t = tokens[i];
  if (t === undefined) return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  return NUMBERS.get(t) ?? null;
}

/** Each number followed by a unit of time, as [value, unit]. */
function durations(tokens: readonly string[]): [number, 'hour' | 'day' | 'week' | 'month' | 'year'][] {
  const out: [number, 'hour' | 'day' | 'week' | 'month' | 'year'][] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const n = numberAt(tokens, i);
    if (n === null) continue;
    const u = tokens[i + 1]!;
    if (HOURS.has(u)) out.push([n, 'hour']);
    else if (DAYS.has(u)) out.push([n, 'day']);
    else if (WEEKS.has(u)) out.push([n, 'week']);
    else if (MONTHS.has(u)) out.push([n, 'month']);
    else if (YEARS.has(u)) out.push([n, 'year']);
  }
  return out;
}

function byNumbers(q: Question, tokens: readonly string[]): string | null {
  const d = durations(tokens);
  if (q === 'since') {
    const first = d[0];
    if (first === undefined) return null;
    const [n, unit] = first;
    if (unit === 'hour') return n < 24 ? 'today' : 'days';
    if (unit === 'day') return n <= 7 ? 'days' : 'weeks';
    return 'weeks';
  }
  if (q === 'age') {
    const first = d[0];
    if (first === undefined) return null;
    const [n, unit] = first;
    if (unit === 'day' || unit === 'hour') return n <= 90 ? 'infant' : 'child';
    if (unit === 'week') return n < 13 ? 'infant' : 'child';
    if (unit === 'month') return n < 3 ? 'infant' : 'child';
    return n < 16 ? 'child' : n < 65 ? 'adult' : 'senior';
  }
  const numbers = tokens.filter((t) => /^\d+(\.\d+)?$/.test(t)).map(Number);
  if (q === 'fever') {
    const temp = numbers.find((n) => (n >= 34 && n <= 43) || (n >= 93 && n <= 110));
    if (temp === undefined) return null;
    return (temp >= 38 && temp <= 43) || temp >= 100.4 ? 'yes' : 'no';
  }
  // severity: "8/10", "8 out of 10", or 1 to 3 as the buttons count.
  const outOf10 = tokens.findIndex((t, i) => /^\d+$/.test(t) && tokens[i + 1] === '10' && i + 1 < tokens.length);
  const scale = outOf10 >= 0 ? Number(tokens[outOf10]) : null;
  if (scale !== null && scale <= 10) return scale >= 7 ? '3' : scale >= 4 ? '2' : '1';
  if (numbers.length === 1 && tokens.length <= 2 && [1, 2, 3].includes(numbers[0]!)) return String(numbers[0]);
  return null;
}

/** What the text answers to the question, or null when it is not understood. */
export function answerOf<Q extends Question>(q: Q, text: string): Answers[Q] | null {
  const tokens = normaliseWords(text);
  if (tokens.length === 0) return null;
  const numeric = byNumbers(q, tokens);
  if (numeric !== null) return numeric as Answers[Q];
  let best: string | null = null;
  let score = 0;
  for (const [value, phrases] of COMPILED.answers[q] as [string, Phrase[]][]) {
    const n = longest(tokens, phrases);
    if (n > score) {
      best = value;
      score = n;
    }
  }
  return best as Answers[Q] | null;
}

const SINCE_MARKERS = words(['for', 'since', 'depuis', 'desde', 'hace', 'da', 'dal', 'seit', 'ha', 'faz', 'durante', 'pendant', 'per']);
const AGE_BEFORE = words(['aged', 'of', 'de', 'di', 'von', 'mit', 'is', 'tem', 'tiene', 'ha', 'a']);
const AGE_AFTER = words(['old', 'alt', 'alte', 'alter', 'altes', 'alten']);

/**
 * The answers a first message already gives: a duration after "for"/"depuis"/"seit"… (since), an age written
 * as one ("6 weeks old", "bébé de 2 mois"), a temperature (fever), a severe word. Never an age from words alone.
 */
export function answersIn(text: string): Answers {
  const out: Answers = {};
  const tokens = normaliseWords(text);
  for (let i = 0; i + 1 < tokens.length; i++) {
    const one = durations(tokens.slice(i, i + 2));
    if (one.length === 0) continue;
    const before = tokens[i - 1];
    const after = tokens[i + 2];
    const slice = tokens.slice(i, i + 2);
    if ((after !== undefined && AGE_AFTER.has(after)) || (before !== undefined && AGE_BEFORE.has(before) && !SINCE_MARKERS.has(before))) {
      out.age ??= byNumbers('age', slice) as Answers['age'];
    } else if (before !== undefined && SINCE_MARKERS.has(before)) {
      out.since ??= byNumbers('since', slice) as Answers['since'];
    }
  }
  const fever = byNumbers('fever', tokens);
  if (fever !== null) out.fever = fever as Answers['fever'];
  const severe = COMPILED.answers.severity.find(([v, phrases]) => v === '3' && longest(tokens, phrases) > 0);
  if (severe !== undefined) out.severity = '3';
  return out;
}
