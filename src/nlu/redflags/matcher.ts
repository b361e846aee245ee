// Compiles the rules files into patterns and finds them in a message's tokens. A pattern is a list of slots;
// each slot is a set of alternatives (a word, a run of words, a term of the file, an age or a temperature).
// Slots follow each other within a few words. A word matches a token exactly, by prefix (`bleed*`), with one
// typo when long enough, or across a missing or extra space ("chestpain", "brust schmerzen").
import type { Language, RedFlag, RedFlagKind } from '../types.js';
import type { PatternInput, RulesFile } from './rules-schema.js';
import { FUZZY_MIN, collapse, normaliseWords, tokenise, withinOneEdit, type Token } from './text.js';

type Special = 'infant_age' | 'small_age' | 'fever_temp' | 'many' | 'weeks' | 'year';
/** `exact`: no typo tolerance (a short word close to common ones, written `=choke`). `solid`: words of the rules
 * written together ("chestpain"), matched by one token only: two tokens are matched by the words themselves,
 * and two tokens run together would collapse across the join ("kann ich" → "kanich" = "kann nich"). */
type Word = { kind: 'lit' | 'prefix'; s: string; exact?: boolean; solid?: boolean } | { kind: 'special'; name: Special };
/** Words that must follow each other directly. */
type Alt = Word[];
interface Slot {
  alts: Alt[];
  /** Words allowed between the previous slot and this one. */
  gap: number;
}
interface Pattern {
  slots: Slot[];
  anyOrder: boolean;
  within: number;
  negatable: boolean;
  /** The kind's near-misses may cancel it. */
  excepted: boolean;
}
interface KindRules {
  kind: RedFlagKind;
  patterns: Pattern[];
  except: Pattern[];
  history: boolean;
}
export interface CompiledLanguage {
  language: Language;
  kinds: KindRules[];
  history: Pattern[];
  cues: Set<string>;
  pseudo: string[][];
  scope: number;
  terminators: Set<string>;
  continuers: Set<string>;
  numbers: Map<string, number>;
  ageDays: Set<string>;
  ageWeeks: Set<string>;
  ageMonths: Set<string>;
  ageBefore: Set<string>;
  ageAfter: Set<string>;
}

const DEFAULT_GAP = 3;
/** One-letter words that are elisions (j'ai, l'air, n'arrive, d'air, s'étouffe, m', c', t'). */
const ELIDED = new Set(['j', 'l', 'd', 'n', 's', 'm', 'c', 't']);
const WIDE_GAP = 8;
const SPECIALS = new Set<string>(['infant_age', 'small_age', 'fever_temp', 'many', 'weeks', 'year']);

export class RulesError extends Error {
  constructor(language: string, message: string) {
    super(`red-flag rules (${language}): ${message}`);
    this.name = 'RulesError';
  }
}

function compileWord(raw: string, language: string, strict = false): Word[] {
  const special = /^<([a-z_]+)>$/.exec(raw);
  if (special) {
    if (!SPECIALS.has(special[1]!)) throw new RulesError(language, `unknown element ${raw}`);
    return [{ kind: 'special', name: special[1] as Special }];
  }
  const exact = strict || raw.startsWith('=');
  const body = raw.startsWith('=') ? raw.slice(1) : raw;
  const prefix = body.endsWith('*');
  const words = normaliseWords(prefix ? body.slice(0, -1) : body);
  if (words.length === 0) throw new RulesError(language, `the word "${raw}" has no letters or digits`);
  return words.map((s, i) => ({ kind: prefix && i === words.length - 1 ? 'prefix' : 'lit', s, ...(exact ? { exact: true } : {}) }));
}

/** An alternative written as a phrase ("can not", "short of breath*"): its words, directly after each other. */
function compileAlt(phrase: string, language: string, strict = false): Alt {
  return phrase.split(/\s+/).filter(Boolean).flatMap((w) => compileWord(w, language, strict));
}

/** The same words with the spaces left out ("self harm" → "selfharm"), when that makes sense. */
function joined(alt: Alt): Alt | null {
  if (alt.length < 2 || alt.some((w, i) => w.kind === 'special' || (w.kind === 'prefix' && i < alt.length - 1))) return null;
  const last = alt[alt.length - 1]!;
  const s = alt.map((w) => (w.kind === 'special' ? '' : w.s)).join('');
  // Exact: a typo on top of a missing space reaches too far ("custa" + "ar" ≈ "custa").
  return [{ kind: last.kind === 'prefix' ? 'prefix' : 'lit', s: collapse(s), exact: true, solid: true }];
}

function withJoined(alts: Alt[]): Alt[] {
  const out = [...alts];
  for (const a of alts) {
    const j = joined(a);
    if (j) out.push(j);
  }
  return out;
}

/** A pattern's elements: words separated by spaces; a group in parentheses is one element, spaces and all. */
function splitElements(pattern: string, language: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < pattern.length) {
    if (/\s/.test(pattern[i]!)) {
      i++;
    } else if (pattern[i] === '(') {
      const close = pattern.indexOf(')', i);
      if (close < 0) throw new RulesError(language, `unclosed ( in "${pattern}"`);
      out.push(pattern.slice(i, close + 1));
      i = close + 1;
    } else {
      let j = i;
      while (j < pattern.length && !/\s/.test(pattern[j]!)) j++;
      out.push(pattern.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** The file's aliases by the word they stand for: "non" → ["nn"]. */
const ALIASES = new WeakMap<RulesFile, Map<string, string[]>>();
function aliasesOf(file: RulesFile): Map<string, string[]> {
  let map = ALIASES.get(file);
  if (map === undefined) {
    map = new Map();
    for (const [short, word] of Object.entries(file.aliases ?? {})) {
      const target = normaliseWords(word).map(collapse).join(' ');
      const s = normaliseWords(short).map(collapse).join(' ');
      if (target.length === 0 || s.length === 0 || s.includes(' ') || target.includes(' ')) continue;
      map.set(target, [...(map.get(target) ?? []), s]);
    }
    ALIASES.set(file, map);
  }
  return map;
}

/** An alternative and its forms with one word written short ("non riesco" → "nn riesco"), exactly. */
function withAliases(alt: Alt, aliases: Map<string, string[]>): Alt[] {
  if (aliases.size === 0) return [alt];
  const out = [alt];
  alt.forEach((w, i) => {
    if (w.kind !== 'lit') return;
    for (const s of aliases.get(w.s) ?? []) out.push([...alt.slice(0, i), { kind: 'lit', s, exact: true }, ...alt.slice(i + 1)]);
  });
  return out;
}

/** Words and phrases with their short forms (negation cues, pseudo-negations, terminators). */
function expandList(list: readonly string[], file: RulesFile): string[] {
  const aliases = aliasesOf(file);
  if (aliases.size === 0) return [...list];
  const out: string[] = [];
  for (const p of list) {
    const words = normaliseWords(p).map(collapse);
    out.push(p);
    words.forEach((w, i) => {
      for (const s of aliases.get(w) ?? []) out.push([...words.slice(0, i), s, ...words.slice(i + 1)].join(' '));
    });
  }
  return out;
}

/** `strict`: every word exact (near-misses and past events must not reach further than written). */
function compilePattern(input: PatternInput, file: RulesFile, strict = false): Pattern[] {
  const spec = typeof input === 'string' ? { pattern: input, anyOrder: false, within: 12, negatable: true, except: true } : input;
  const slots: Slot[] = [];
  // Near-misses and past events are phrases: their words follow each other directly unless `...` says
  // otherwise ("when i was" must not reach "when i got home he was unconscious").
  const step = strict ? 0 : DEFAULT_GAP;
  let gap = step;
  for (const el of splitElements(spec.pattern, file.language)) {
    if (el === '...') {
      gap = WIDE_GAP;
      continue;
    }
    const alts: Alt[] = [];
    const group = el.startsWith('(');
    for (const part of (group ? el.slice(1, -1) : el).split('|').map((x) => x.trim())) {
      const term = /^\{([a-z_]+)\}$/.exec(part);
      if (term) {
        const list = file.terms[term[1]!];
        if (list === undefined) throw new RulesError(file.language, `unknown term {${term[1]}} in "${spec.pattern}"`);
        alts.push(...list.map((p) => compileAlt(p, file.language, strict)));
      } else alts.push(group ? compileAlt(part, file.language, strict) : compileWord(part, file.language, strict));
    }
    const aliases = aliasesOf(file);
    slots.push({ alts: withJoined(alts.flatMap((a) => withAliases(a, aliases))), gap });
    gap = step;
  }
  if (slots.length === 0) throw new RulesError(file.language, `empty pattern "${spec.pattern}"`);
  const base: Pattern = { slots, anyOrder: spec.anyOrder, within: spec.within, negatable: spec.negatable, excepted: spec.except };
  const out = [base];
  // Two neighbouring slots written as one word ("chestpain", "cantbreathe").
  if (!spec.anyOrder) {
    for (let k = 0; k + 1 < slots.length; k++) {
      const a = slots[k]!;
      const b = slots[k + 1]!;
      if (b.gap !== DEFAULT_GAP) continue;
      const merged: Alt[] = [];
      for (const x of a.alts) for (const y of b.alts) {
        const j = joined([...x, ...y]);
        if (j) merged.push(j);
      }
      if (merged.length === 0) continue;
      out.push({ ...base, slots: [...slots.slice(0, k), { alts: merged, gap: a.gap }, ...slots.slice(k + 2)] });
    }
  }
  return out;
}

function wordSet(list: readonly string[], file?: RulesFile): Set<string> {
  return new Set((file === undefined ? list : expandList(list, file)).flatMap((p) => normaliseWords(p)).map(collapse));
}

export function compileLanguage(file: RulesFile): CompiledLanguage {
  const kinds: KindRules[] = [];
  for (const [kind, rules] of Object.entries(file.kinds) as [RedFlagKind, NonNullable<RulesFile['kinds'][RedFlagKind]>][]) {
    kinds.push({
      kind,
      patterns: rules.patterns.flatMap((p) => compilePattern(p, file)),
      except: rules.except.flatMap((p) => compilePattern(p, file, true)),
      history: rules.history,
    });
  }
  return {
    language: file.language,
    kinds,
    history: file.history.flatMap((p) => compilePattern(p, file, true)),
    cues: wordSet(file.negation.cues, file),
    pseudo: expandList(file.negation.pseudo, file).map((p) => normaliseWords(p)),
    scope: file.negation.scope,
    terminators: wordSet(file.negation.terminators, file),
    continuers: wordSet(file.negation.continuers, file),
    numbers: new Map(Object.entries(file.numbers).flatMap(([w, n]) => normaliseWords(w).map((s) => [s, n] as const))),
    ageDays: wordSet(file.age.days),
    ageWeeks: wordSet(file.age.weeks),
    ageMonths: wordSet(file.age.months),
    ageBefore: wordSet(file.age.before),
    ageAfter: wordSet(file.age.after),
  };
}

/** Every literal and prefix word of the rules, indexed for typo-tolerant lookup by a token's first letters. */
export class Vocabulary {
  private readonly exact = new Set<string>();
  private readonly prefixes = new Set<string>();
  private readonly prefixLengths = new Set<number>();
  /** Words of FUZZY_MIN letters or more, by first letter: typo candidates (a token is looked up by its first
   * and second letters, so that a swap of the first two, "hcest", is found too). */
  private readonly fuzzyLit = new Map<string, string[]>();
  private readonly fuzzyPrefix = new Map<string, string[]>();

  /** The slots each word key can begin, and the slots with an age or temperature: what a message can reach. */
  readonly slotsByKey = new Map<string, Slot[]>();
  readonly specialSlots: Slot[] = [];

  constructor(languages: readonly CompiledLanguage[]) {
    const visit = (p: Pattern): void => {
      for (const slot of p.slots) {
        for (const alt of slot.alts) for (const w of alt) if (w.kind !== 'special') this.add(w.kind, w.s, w.exact === true);
        const index = slotIndex(slot);
        if (index.special.length > 0) this.specialSlots.push(slot);
        for (const key of index.byFirst.keys()) {
          const list = this.slotsByKey.get(key);
          if (list === undefined) this.slotsByKey.set(key, [slot]);
          else list.push(slot);
        }
      }
    };
    for (const l of languages) {
      for (const k of l.kinds) [...k.patterns, ...k.except].forEach(visit);
      l.history.forEach(visit);
    }
  }

  private add(kind: 'lit' | 'prefix', s: string, exact: boolean): void {
    (kind === 'lit' ? this.exact : this.prefixes).add(s);
    if (kind === 'prefix') this.prefixLengths.add(s.length);
    if (s.length < FUZZY_MIN || exact) return;
    const index = kind === 'lit' ? this.fuzzyLit : this.fuzzyPrefix;
    const key = s[0]!;
    const list = index.get(key) ?? [];
    if (!list.includes(s)) list.push(s);
    index.set(key, list);
  }

  /** The keys ('l:word', 'p:prefix') a token matches. */
  lookup(token: string, fuzzy = true): Set<string> {
    const out = new Set<string>();
    // Exact matches answer both the typo-tolerant key (l:, p:) and the exact one (L:, P:); typos only the first.
    if (this.exact.has(token)) out.add(`l:${token}`).add(`L:${token}`);
    for (const n of this.prefixLengths) {
      if (token.length >= n && this.prefixes.has(token.slice(0, n))) out.add(`p:${token.slice(0, n)}`).add(`P:${token.slice(0, n)}`);
    }
    if (!fuzzy || token.length < FUZZY_MIN - 1) return out;
    const keys = token[1] !== undefined && token[1] !== token[0] ? [token[0]!, token[1]] : [token[0]!];
    for (const key of keys) {
      for (const w of this.fuzzyLit.get(key) ?? []) if (withinOneEdit(token, w)) out.add(`l:${w}`);
      for (const p of this.fuzzyPrefix.get(key) ?? []) {
        // The head of the token against the prefix, with a letter changed, swapped or added; dropped only
        // from long prefixes ("convusioni" for convuls*; "demain" must not reach desmai*).
        if (p.length < FUZZY_MIN + 1) continue;
        for (const n of p.length >= 7 ? [p.length, p.length + 1, p.length - 1] : [p.length, p.length + 1]) {
          if (token.length >= n && withinOneEdit(token.slice(0, n), p)) {
            out.add(`p:${p}`);
            break;
          }
        }
      }
    }
    return out;
  }
}

const wordKey = (w: { kind: 'lit' | 'prefix'; s: string; exact?: boolean }): string =>
  `${w.kind === 'lit' ? (w.exact === true ? 'L' : 'l') : w.exact === true ? 'P' : 'p'}:${w.s}`;

/** A slot's alternatives grouped by the key of their first word, built once per slot. */
const SLOT_INDEX = new WeakMap<Slot, { byFirst: Map<string, Alt[]>; special: Alt[] }>();
function slotIndex(slot: Slot): { byFirst: Map<string, Alt[]>; special: Alt[] } {
  let index = SLOT_INDEX.get(slot);
  if (index === undefined) {
    index = { byFirst: new Map(), special: [] };
    for (const alt of slot.alts) {
      const first = alt[0]!;
      if (first.kind === 'special') index.special.push(alt);
      else {
        const key = wordKey(first);
        const list = index.byFirst.get(key);
        if (list === undefined) index.byFirst.set(key, [alt]);
        else list.push(alt);
      }
    }
    SLOT_INDEX.set(slot, index);
  }
  return index;
}

/** A place in the message where a word matched: tokens [start, end). */
interface Span {
  start: number;
  end: number;
}

/** A message prepared for matching: its tokens and, lazily, what each token (or two tokens run together) match. */
export class Message {
  readonly tokens: Token[];
  private readonly single: Set<string>[];
  private readonly pair: (Set<string> | null)[];
  /** breaks[i]: sentence ends (. ! ? ;) among tokens before i; a pattern does not reach across one. */
  private readonly breaks: number[];
  /** Token indexes where each word key can start a match. */
  private readonly starts = new Map<string, number[]>();

  constructor(
    readonly text: string,
    vocab: Vocabulary,
  ) {
    this.tokens = tokenise(text);
    const memo = new Map<string, Set<string>>();
    // Two tokens run together must match exactly: a typo on top of a missing space reaches too far.
    const look = (s: string, fuzzy = true): Set<string> => {
      const key = fuzzy ? s : ` ${s}`;
      let r = memo.get(key);
      if (r === undefined) {
        r = vocab.lookup(s, fuzzy);
        memo.set(key, r);
      }
      return r;
    };
    this.single = this.tokens.map((t) => (t.type === 'punct' ? new Set<string>() : look(t.text)));
    this.pair = this.tokens.map((t, i) => {
      const next = this.tokens[i + 1];
      // Not after a one-letter word other than an elided article or pronoun: "a" + "ir" is not "air".
      const joinable = t.type === 'word' && next?.type === 'word' && (t.text.length > 1 || ELIDED.has(t.text));
      return joinable ? look(collapse(t.text + next!.text), false) : null;
    });
    const note = (keys: Set<string> | null, i: number): void => {
      for (const key of keys ?? []) {
        const list = this.starts.get(key);
        if (list === undefined) this.starts.set(key, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
    };
    this.breaks = [0];
    this.tokens.forEach((t, i) => this.breaks.push(this.breaks[i]! + (t.type === 'punct' && t.text !== ',' && t.text !== ':' ? 1 : 0)));
    this.tokens.forEach((_, i) => {
      note(this.single[i]!, i);
      note(this.pair[i]!, i);
    });
    this.live = new Set(vocab.specialSlots);
    for (const key of this.starts.keys()) for (const slot of vocab.slotsByKey.get(key) ?? []) this.live.add(slot);
  }

  /** The slots that can match somewhere in this message; a pattern with any other slot cannot match. */
  private readonly live: Set<Slot>;
  canMatch(p: Pattern): boolean {
    return p.slots.every((s) => this.live.has(s));
  }

  /** Whether tokens [start, end) hold a sentence end. */
  crossesSentence(start: number, end: number): boolean {
    return end > start && this.breaks[end]! - this.breaks[start]! > 0;
  }

  /** The spans starting at token i that the word matches (one token, or two run together). */
  wordAt(i: number, w: Word, lang: CompiledLanguage): number[] {
    const t = this.tokens[i];
    if (t === undefined || t.type === 'punct') return [];
    if (w.kind === 'special') return this.specialAt(i, w.name, lang);
    const key = wordKey(w);
    const ends: number[] = [];
    if (this.single[i]!.has(key)) ends.push(i + 1);
    if (w.solid !== true && this.pair[i]?.has(key)) ends.push(i + 2);
    return ends;
  }

  private numberAt(i: number, lang: CompiledLanguage): number | null {
    const t = this.tokens[i];
    if (t === undefined) return null;
    if (t.type === 'number') return Number(t.text);
    return lang.numbers.get(t.text) ?? null;
  }

  /** An age under about three months: "6 weeks", "2 mois", "dieci giorni". Returns the end of the unit. */
  private smallAgeEnd(i: number, lang: CompiledLanguage): number | null {
    const n = this.numberAt(i, lang);
    const unit = this.tokens[i + 1];
    if (n === null || unit === undefined || unit.type !== 'word') return null;
    const u = unit.text;
    if ((lang.ageDays.has(u) && n <= 100) || (lang.ageWeeks.has(u) && n <= 13) || (lang.ageMonths.has(u) && n <= 3)) return i + 2;
    return null;
  }

  private specialAt(i: number, name: Special, lang: CompiledLanguage): number[] {
    const t = this.tokens[i]!;
    if (name === 'fever_temp') {
      if (t.type !== 'number') return [];
      const v = Number(t.text);
      return (v >= 38 && v <= 43) || (v >= 100.4 && v <= 110) ? [i + 1] : [];
    }
    if (name === 'year') {
      // A calendar year ("in 2015"): a past event in history patterns.
      if (t.type !== 'number' || t.text.includes('.')) return [];
      const y = Number(t.text);
      return y >= 1920 && y <= 2099 ? [i + 1] : [];
    }
    if (name === 'many') {
      // A number of tablets worth an alarm: 8 or more ("took 20 paracetamol").
      const n = this.numberAt(i, lang);
      return n !== null && n >= 8 && n < 1000 ? [i + 1] : [];
    }
    if (name === 'weeks') {
      // A number of weeks, as a pregnancy is counted ("I'm 8 weeks", "in der 8. Woche").
      const n = this.numberAt(i, lang);
      const unit = this.tokens[i + 1];
      return n !== null && n >= 1 && n <= 42 && unit !== undefined && lang.ageWeeks.has(unit.text) ? [i + 2] : [];
    }
    const end = this.smallAgeEnd(i, lang);
    if (end === null) return [];
    if (name === 'small_age') return [end];
    const before = this.tokens[i - 1];
    const after = this.tokens[end];
    if (before !== undefined && lang.ageBefore.has(before.text)) return [end];
    if (after !== undefined && lang.ageAfter.has(after.text)) return [end + 1];
    return [];
  }

  /** The ends of the alternative's match starting at token i. */
  altAt(i: number, alt: Alt, lang: CompiledLanguage): number[] {
    let starts = [i];
    for (const w of alt) {
      const next: number[] = [];
      for (const s of starts) for (const e of this.wordAt(s, w, lang)) if (!next.includes(e)) next.push(e);
      if (next.length === 0) return [];
      starts = next;
    }
    return starts;
  }

  /** Every span where a slot matches. Only the alternatives whose first word occurs in the message are tried. */
  slotSpans(slot: Slot, lang: CompiledLanguage): Span[] {
    const out: Span[] = [];
    const index = slotIndex(slot);
    const tryAlt = (alt: Alt, candidates: Iterable<number>): void => {
      for (const i of candidates) for (const end of this.altAt(i, alt, lang)) out.push({ start: i, end });
    };
    for (const alt of index.special) tryAlt(alt, this.tokens.keys());
    if (this.starts.size < index.byFirst.size) {
      for (const [key, positions] of this.starts) for (const alt of index.byFirst.get(key) ?? []) tryAlt(alt, positions);
    } else {
      for (const [key, alts] of index.byFirst) {
        const positions = this.starts.get(key);
        if (positions !== undefined) for (const alt of alts) tryAlt(alt, positions);
      }
    }
    return out.sort((a, b) => a.start - b.start || a.end - b.end);
  }
}

/** A pattern found: the tokens it covers and the tokens between its slots. */
interface Found extends Span {
  gaps: Span[];
}

export function findPattern(m: Message, p: Pattern, lang: CompiledLanguage): Found[] {
  if (!m.canMatch(p)) return [];
  const spans = p.slots.map((s) => m.slotSpans(s, lang));
  if (spans.some((s) => s.length === 0)) return [];
  if (p.anyOrder) {
    const out: Found[] = [];
    for (const first of spans[0]!) {
      let start = first.start;
      let end = first.end;
      let ok = true;
      for (const other of spans.slice(1)) {
        const near = other.find(
          (s) =>
            Math.abs(s.start - first.start) <= p.within &&
            (s.end <= first.start || s.start >= first.end) &&
            !m.crossesSentence(Math.min(s.start, first.start), Math.max(s.end, first.end)),
        );
        if (near === undefined) {
          ok = false;
          break;
        }
        start = Math.min(start, near.start);
        end = Math.max(end, near.end);
      }
      if (ok) out.push({ start, end, gaps: [] });
    }
    return out;
  }
  // Chains slot by slot. Each keeps the latest start it can have (the tightest span) and the earliest (a
  // longer first alternative, "ne peux pas", that carries its own negation word).
  let chains: Found[] = spans[0]!.map((s) => ({ start: s.start, end: s.end, gaps: [] }));
  for (let k = 1; k < spans.length; k++) {
    const gap = p.slots[k]!.gap;
    const next: Found[] = [];
    for (const s of spans[k]!) {
      let late: Found | null = null;
      let early: Found | null = null;
      for (const c of chains) {
        if (c.end > s.start || s.start - c.end > gap || m.crossesSentence(c.end, s.start)) continue;
        if (late === null || c.start > late.start) late = c;
        if (early === null || c.start < early.start) early = c;
      }
      for (const c of late === early ? [late] : [late, early]) {
        if (c !== null) next.push({ start: c.start, end: s.end, gaps: [...c.gaps, { start: c.end, end: s.start }] });
      }
    }
    if (next.length === 0) return [];
    chains = next;
  }
  return chains;
}

function isBoundary(m: Message, i: number, lang: CompiledLanguage): boolean {
  const t = m.tokens[i]!;
  return t.type === 'punct' || lang.terminators.has(t.text);
}

function startsPseudo(m: Message, i: number, lang: CompiledLanguage): boolean {
  return lang.pseudo.some((words) => words.every((w, k) => m.tokens[i + k]?.text === w));
}

/** A negation cue reaches the span: shortly before it in the same clause, or between its slots. */
function negated(m: Message, f: Found, lang: CompiledLanguage): boolean {
  const isCue = (i: number): boolean => lang.cues.has(m.tokens[i]!.text) && !startsPseudo(m, i, lang);
  // A list word ("or", "ni", "oder") carries the negation on: the scope reaches one item further back.
  for (let i = f.start - 1, words = 0, scope = lang.scope; i >= 0 && words < scope; i--, words++) {
    if (isBoundary(m, i, lang)) break;
    if (isCue(i)) return true;
    if (lang.continuers.has(m.tokens[i]!.text)) scope += lang.scope + 1;
  }
  return f.gaps.some((g) => {
    for (let i = g.start; i < g.end; i++) if (isCue(i)) return true;
    return false;
  });
}

/** The clause around a span: tokens up to the nearest punctuation or terminator on each side, at most `reach`. */
function clause(m: Message, f: Span, lang: CompiledLanguage, reach: number): Span {
  let start = f.start;
  while (start > 0 && f.start - start < reach && !isBoundary(m, start - 1, lang)) start--;
  let end = f.end;
  while (end < m.tokens.length && end - f.end < reach && !isBoundary(m, end, lang)) end++;
  return { start, end };
}


/**
 * Adds to `found` the kinds `lang`'s rules find in the message. Negations, near-misses and past events are
 * read with the rules' own language and with `messageLanguage` (the message's language, when known):
 * "sin dificultad para respirar" is a Spanish negation even where the French rules' "difficulté à respirer"
 * matched it, and "il y a 5 ans" a French past event where the Portuguese rules matched "AVC".
 */
export function detect(m: Message, lang: CompiledLanguage, found: Map<RedFlagKind, RedFlag>, messageLanguage?: CompiledLanguage): void {
  const contexts = messageLanguage === undefined || messageLanguage === lang ? [lang] : [lang, messageLanguage];
  for (const k of lang.kinds) {
    if (found.has(k.kind)) continue;
    const excepts = contexts.map((l) => ({ l, except: l === lang ? k.except : (l.kinds.find((x) => x.kind === k.kind)?.except ?? []) }));
    const cache = new Map<Pattern, Found[]>();
    const find = (p: Pattern, l: CompiledLanguage): Found[] => {
      let r = cache.get(p);
      if (r === undefined) {
        r = findPattern(m, p, l);
        cache.set(p, r);
      }
      return r;
    };
    const within = (patterns: Pattern[], l: CompiledLanguage, area: Span, after: number): boolean =>
      patterns.some((p) => find(p, l).some((e) => e.start >= Math.max(after, area.start) && e.end <= area.end));
    for (const p of k.patterns) {
      const hit = findPattern(m, p, lang).find((f) => {
        if (p.negatable && contexts.some((l) => negated(m, f, l))) return false;
        for (const { l, except } of p.excepted ? excepts : []) {
          if (except.length > 0 && within(except, l, clause(m, f, l, 5), 0)) return false;
        }
        if (k.history) {
          for (const l of contexts) if (l.history.length > 0 && within(l.history, l, clause(m, f, l, 6), 0)) return false;
        }
        return true;
      });
      if (hit) {
        const first = m.tokens[hit.start]!;
        const last = m.tokens[hit.end - 1]!;
        found.set(k.kind, { kind: k.kind, match: m.text.slice(first.start, last.end) });
        break;
      }
    }
  }
}
