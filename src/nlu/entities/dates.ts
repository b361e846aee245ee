// Dates and times a patient names ("demain à 15h", "domani pomeriggio", "next Tuesday", "el martes por la
// tarde", "in 2 weeks"), resolved against `now` in the clinic's IANA zone.
//
// chrono-node's locale parsers find the dates; rules here add what they miss or get wrong on this machine:
// parts of the day in every language (chrono reads es "por la mañana" as "tomorrow"), "15h" in pt/es/it/de,
// "in N weeks" in pt ("daqui a 2 semanas"), "the day after tomorrow" in es/pt/it/fr, and time zones: chrono
// knows fixed offsets only, so it works in the offset of `now` and we turn its calendar fields into instants
// with the zone's rules on the day itself (DST-correct).
//
// Choices: a weekday alone means its next occurrence, and today only when a time or part of the day is named
// that is still ahead today ("jeudi vers 10h" on a Thursday at 8:00 is today; "Thursday" on a Thursday is
// next week). "next Tuesday" is the next Tuesday too (not the one after). A time alone ("at 10") is today if
// still ahead, else tomorrow. Parts of the day: morning 08–12, afternoon 12–18, evening 18–21 local.
import * as chrono from 'chrono-node';
import type { DateEntity, Language } from '../types.js';
import { correctDateTypos } from './date-typos.js';
import { addDays, fromLocal, isoDate, offsetMinutes, pad2, toLocal, type LocalTime } from './time-zone.js';

export interface DateOptions {
  language: Language;
  now: Date;
  timeZone: string;
}

type PartOfDay = NonNullable<DateEntity['partOfDay']>;
export const PART_OF_DAY_HOURS: Record<PartOfDay, [number, number]> = { morning: [8, 12], afternoon: [12, 18], evening: [18, 21] };

interface Span {
  index: number;
  end: number;
}
interface PartMention extends Span {
  part: PartOfDay;
  /** "this afternoon", "stasera": the part of today. */
  today: boolean;
}

/** Lower case without accents, one character for one (indices stay those of the original text). */
function foldKeepingLength(text: string): string {
  let out = '';
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
    out += f.length === ch.length ? f : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
  }
  return out;
}

// Parts of the day: `p` is what is blanked before chrono sees the text, `t` marks "this …" / "tonight".
const PARTS: Record<Language, { re: RegExp; part: PartOfDay | 'by-word' }[]> = {
  en: [
    { re: /\b(?<p>(?<t>this )?(?:in the )?(?<w>morning|afternoon|evening))\b/g, part: 'by-word' },
    { re: /\b(?<p>(?<t>tonight))\b/g, part: 'evening' },
  ],
  fr: [
    { re: /\b(?<p>(?:(?<t>ce |cet |cette )|dans la |en |le |l'|en fin de |en debut de |en fin d'|en debut d')?(?<w>matinee|matin|apres-midi|apres midi|aprem|soiree|soir))\b/g, part: 'by-word' },
  ],
  it: [
    { re: /\b(?<p>(?:(?<t>questa |questo |oggi )|di |la |nel |in |nella |in tarda |in prima )?(?<w>mattina|mattino|mattinata|pomeriggio|serata|sera))\b/g, part: 'by-word' },
    { re: /\b(?<p>(?<t>stamattina|stamane))\b/g, part: 'morning' },
    { re: /\b(?<p>(?<t>stasera))\b/g, part: 'evening' },
  ],
  es: [
    { re: /\b(?<p>(?:(?<t>esta )|por la |en la |de la |a la )(?<w>manana|tarde|noche))\b/g, part: 'by-word' },
  ],
  pt: [
    { re: /\b(?<p>(?:(?<t>esta |nesta |hoje a |hoje de |hoje da )|de |da |pela |a |na |ao fim da |ao final da )(?<w>manha|tarde|noite))\b/g, part: 'by-word' },
  ],
  de: [
    { re: /\b(?<p>(?:am |gegen |heute |morgen )?(?<w>vormittags?|nachmittags?|abends?|morgens|fruh))\b/g, part: 'by-word' },
    { re: /(?<=\bheute )(?<p>(?<w>morgen))\b/g, part: 'by-word' },
    // "Montag Morgen": after a weekday, "Morgen" is the morning, not tomorrow.
    { re: /(?<=\b(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag) )(?<p>(?<w>morgen))\b/g, part: 'by-word' },
  ],
};

const PART_WORDS: Record<string, PartOfDay> = {
  morning: 'morning', afternoon: 'afternoon', evening: 'evening',
  matin: 'morning', matinee: 'morning', 'apres-midi': 'afternoon', 'apres midi': 'afternoon', aprem: 'afternoon', soir: 'evening', soiree: 'evening',
  mattina: 'morning', mattino: 'morning', mattinata: 'morning', pomeriggio: 'afternoon', sera: 'evening', serata: 'evening',
  manana: 'morning', tarde: 'afternoon', noche: 'evening',
  manha: 'morning', noite: 'evening',
  vormittag: 'morning', vormittags: 'morning', morgens: 'morning', morgen: 'morning', fruh: 'morning',
  nachmittag: 'afternoon', nachmittags: 'afternoon', abend: 'evening', abends: 'evening',
};

function partMentions(folded: string, language: Language): PartMention[] {
  const out: PartMention[] = [];
  for (const { re, part } of PARTS[language]) {
    for (const m of folded.matchAll(re)) {
      const g = m.groups ?? {};
      const p = g['p'];
      if (p === undefined || m.index === undefined) continue;
      const word = g['w'];
      const resolved = part === 'by-word' ? (word ? PART_WORDS[word] : undefined) : part;
      if (!resolved) continue;
      const index = m.index + m[0].indexOf(p);
      // German "heute morgen"/"morgen früh": only the part-of-day word goes; "morgen" (tomorrow) stays for chrono.
      const today = Boolean(g['t']) || (language === 'de' && /^heute /.test(p));
      let start = index;
      if (language === 'de' && /^(heute|morgen) /.test(p)) start = index + p.indexOf(' ') + 1;
      out.push({ index: start, end: index + p.length, part: resolved, today });
    }
  }
  return out.sort((a, b) => a.index - b.index).filter((m, i, all) => i === 0 || m.index >= all[i - 1]!.end);
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, a: 1, an: 1,
  un: 1, une: 1, deux: 2, trois: 3, quatre: 4,
  uno: 1, una: 1, due: 2, tre: 3, quattro: 4, dos: 2, tres: 3, cuatro: 4,
  um: 1, uma: 1, dois: 2, duas: 2,
  ein: 1, eine: 1, einer: 1, einem: 1, zwei: 2, drei: 3, vier: 4,
};
const DURATION = /\b(?<p>(?:in|dans|tra|fra|entro|en|dentro de|daqui a|em|within) (?<n>\d{1,2}|one|two|three|four|an?|un|une|deux|trois|quatre|uno|una|due|tre|quattro|dos|tres|cuatro|um|uma|dois|duas|ein|eine|einer|einem|zwei|drei|vier) (?<u>days?|weeks?|months?|jours?|semaines?|mois|giorni|giorno|settimane|settimana|mesi|mese|dias?|días|semanas?|meses|mes|tagen?|wochen?|monaten?|monat))\b/g;
const AFTER_TOMORROW = /\b(?<p>pasado manana|depois de amanha|dopodomani|apres-demain|apres demain)\b/g;

function unitDays(unit: string): { days: number; months: number } {
  if (/^(day|jour|giorn|dia|tag)/.test(unit)) return { days: 1, months: 0 };
  if (/^(week|semain|settiman|seman|woche)/.test(unit)) return { days: 7, months: 0 };
  return { days: 0, months: 1 };
}

/** Same length as what they replace: the rewrite's character origins stay true. */
const UNACCENTED: Record<Language, readonly [RegExp, string][]> = {
  en: [], fr: [], de: [],
  it: [[/\b(lune|marte|mercole|giove|vener)di\b/gi, '$1dì']],
  es: [[/\bmiercoles\b/gi, 'miércoles'], [/\bsabado\b/gi, 'sábado']],
  pt: [[/\bterca\b/gi, 'terça'], [/\bsabado\b/gi, 'sábado']],
};

const PARSERS: Record<Language, chrono.Chrono> = { en: chrono.en.casual, fr: chrono.fr.casual, it: chrono.it.casual, es: chrono.es.casual, pt: chrono.pt.casual, de: chrono.de.casual };

function blank(text: string, spans: readonly Span[]): string {
  let out = text;
  for (const s of spans) out = out.slice(0, s.index) + ' '.repeat(s.end - s.index) + out.slice(s.end);
  return out;
}

/**
 * Rewrites for chrono, with `origin`: for each character of the result, its index in the text (a rewrite
 * may be longer than what it replaces). "15h", "15h30" → "15:00", "15:30" (chrono pt/es/it/de miss them);
 * "around 10", "verso le 10", "gegen 10" → the "at 10" chrono knows.
 */
const REWRITES: { re: RegExp; to: (m: RegExpMatchArray) => string }[] = [
  { re: /\b([01]?\d|2[0-3])\s?h\s?([0-5]\d)?\b/gi, to: (m) => `${m[1]}:${m[2] ?? '00'}` },
  { re: /\b(?:around|about|approx\.?)\s+(?=\d)/gi, to: () => 'at ' },
  { re: /\bverso\s+l(?:e|')\s*(?=\d)/gi, to: () => 'alle ' },
  { re: /\b(?:gegen|ca\.?|circa)\s+(?=\d)/gi, to: () => 'um ' },
];

function rewrite(text: string): { text: string; origin: number[] } {
  let current = text;
  let origin = Array.from({ length: text.length }, (_, i) => i);
  for (const { re, to } of REWRITES) {
    let out = '';
    const next: number[] = [];
    let last = 0;
    for (const m of current.matchAll(re)) {
      const at = m.index ?? 0;
      for (let i = last; i < at; i += 1) {
        out += current[i];
        next.push(origin[i] ?? i);
      }
      const replacement = to(m);
      for (let i = 0; i < replacement.length; i += 1) {
        out += replacement[i];
        next.push(origin[at + Math.min(i, Math.max(0, m[0].length - 1))] ?? at);
      }
      last = at + m[0].length;
    }
    for (let i = last; i < current.length; i += 1) {
      out += current[i];
      next.push(origin[i] ?? i);
    }
    current = out;
    origin = next;
  }
  return { text: current, origin };
}

/** "for 3 days", "2 hours", "seit 2 Tagen": how long, not when. */
const BARE_DURATION = /^(?:for |since |pendant |depuis |durant |da |per |desde |hace |ha |há |seit |vor |after |apres |dopo |despues de |depois de |nach )?(?:(?:\d+|an?|one|two|three|un|une|deux|trois|uno|una|due|tre|dos|tres|um|uma|dois|ein|eine|einer|zwei|drei)\s+|un')(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|heures?|jours?|semaines?|mois|ans?|ore|ora|minuti|giorni|settimane|mesi|anni|horas?|minutos|dias?|días|semanas?|meses|años|anos|stunden?|minuten|tagen?|wochen?|monaten?|jahren?)\b/;
/** Words that put a weekday in the past: "since Monday", "depuis lundi", "seit Montag", "lundi dernier". */
const PAST_BEFORE = /\b(?:since|last|depuis|desde|seit|letzten|vergangenen|dal|da|scorso|scorsa)\s+(?:el |la |le |il |lo |o |a |am |de )?$/;
/** What the English parser may add to a message in another language (not "mon", "sat", "may"). */
const ENGLISH_FALLBACK = /\b(?:today|tomorrow|tonight|next|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(?::\d{2})?\s?(?:am|pm))\b/i;
/** Not a date a patient names: the present ("ora" is also Italian for "hour"), or a parser's stray word. */
// A lone "tarde"/"noite" is "boa tarde", "más tarde" (a part of the day with its preposition was taken
// already); pt "ter", "sex" are verbs and words before they are weekday abbreviations.
const MEANINGLESS = /^(?:the day|a day|the time|d'|l'|now|right now|ora|adesso|ahora|agora|jetzt|maintenant|sofort|subito|tarde|noite|noche|manha|sera|ter|qua|qui|sex|sab|dom|seg)$/i;
const LETTER = /\p{L}/u;

interface Resolved extends Span {
  year: number;
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  endHour?: number;
  endMinute?: number;
  part?: PartOfDay;
  dayOnly: boolean;
  /** chrono found a time and no day: its date was implied (today or tomorrow). */
  timeOnly?: boolean;
}

export function extractDates(said: string, o: DateOptions): DateEntity[] {
  if (!/\d|\p{L}{3}/u.test(said)) return [];
  // "tusday", "mecredi": read as the day words they misspell (the entity's text is the corrected words).
  const text = correctDateTypos(said, o.language);
  const local = toLocal(o.now, o.timeZone);
  const folded = foldKeepingLength(text);
  const parts = partMentions(folded, o.language);
  const resolved: Resolved[] = [];
  const taken: Span[] = [...parts];

  for (const m of folded.matchAll(AFTER_TOMORROW)) {
    const d = addDays(local.year, local.month, local.day, 2);
    const span = { index: m.index ?? 0, end: (m.index ?? 0) + m[0].length };
    resolved.push({ ...span, ...d, dayOnly: true });
    taken.push(span);
  }
  for (const m of folded.matchAll(DURATION)) {
    const g = m.groups ?? {};
    const n = /^\d+$/.test(g['n'] ?? '') ? Number(g['n']) : (NUMBER_WORDS[g['n'] ?? ''] ?? 0);
    if (!n) continue;
    const u = unitDays(g['u'] ?? '');
    const base = u.months ? new Date(Date.UTC(local.year, local.month - 1 + n * u.months, local.day)) : null;
    const d = base ? { year: base.getUTCFullYear(), month: base.getUTCMonth() + 1, day: base.getUTCDate() } : addDays(local.year, local.month, local.day, n * u.days);
    const span = { index: m.index ?? 0, end: (m.index ?? 0) + m[0].length };
    resolved.push({ ...span, ...d, dayOnly: true });
    taken.push(span);
  }

  const rewritten = rewrite(blank(text, taken));
  let prepared = rewritten.text;
  // Portuguese without accents: "amanha as 15:00" (chrono wants "às").
  if (o.language === 'pt') prepared = prepared.replace(/\bas(?= \d)/gi, 'às');
  // Weekdays typed without their accents, which chrono knows only with them ("terca a tarde", "miercoles").
  for (const [re, to] of UNACCENTED[o.language]) prepared = prepared.replace(re, to);
  const reference = { instant: o.now, timezone: offsetMinutes(o.now, o.timeZone) };
  let results = PARSERS[o.language].parse(prepared, reference, { forwardDate: true });
  if (results.length === 0 && o.language !== 'en') results = PARSERS.en.parse(prepared, reference, { forwardDate: true }).filter((r) => ENGLISH_FALLBACK.test(r.text));
  results = results.filter((r) => {
    const t = foldKeepingLength(r.text.trim());
    // Whole words only: chrono-it finds "sera" in "tessera".
    const before = prepared[r.index - 1] ?? ' ';
    const after = prepared[r.index + r.text.length] ?? ' ';
    return !BARE_DURATION.test(t) && !MEANINGLESS.test(t) && !LETTER.test(before) && !LETTER.test(after);
  });

  for (const r of results) {
    const s = r.start;
    const from = rewritten.origin[r.index] ?? r.index;
    const to = (rewritten.origin[r.index + r.text.length - 1] ?? r.index + r.text.length - 1) + 1;
    const span = { index: from, end: to };
    const hasTime = s.isCertain('hour');
    const part = nearestPart(parts, span);
    let hour = hasTime ? s.get('hour') ?? 0 : undefined;
    const minute = hasTime ? s.get('minute') ?? 0 : undefined;
    if (hour !== undefined && part && !s.isCertain('meridiem') && part.part !== 'morning' && hour < 12) hour += 12;
    // "vendredi à 3", "a las 5": a clinic's 3 is in the afternoon, unless written 03:00 or said "in the morning".
    else if (hour !== undefined && hour >= 1 && hour <= 6 && !part && !s.isCertain('meridiem') && !/(?:^|[^\d:.])0[1-6](?:\s?[:h.]|\b)/i.test(text.slice(from, to))) hour += 12;
    const laterToday = (h: number, m: number) => h * 60 + m > local.hour * 60 + local.minute;
    let date: { year: number; month: number; day: number };
    let timeOnly = false;
    if (s.isCertain('day')) {
      date = { year: s.get('year') ?? local.year, month: s.get('month') ?? local.month, day: s.get('day') ?? local.day };
    } else if (s.isCertain('weekday')) {
      const wd = s.get('weekday') ?? 0;
      const pastWord = PAST_BEFORE.test(folded.slice(Math.max(0, span.index - 24), span.index)) || /\b(?:dernier|derniere|pasado|passado|scorso|scorsa|last)\b/.test(foldKeepingLength(r.text));
      let ahead = (wd - local.weekday + 7) % 7;
      const endOfNamed = hour !== undefined ? [hour, minute ?? 0] as const : part ? [PART_OF_DAY_HOURS[part.part][1], 0] as const : null;
      if (ahead === 0 && !(endOfNamed && laterToday(endOfNamed[0], endOfNamed[1]))) ahead = 7;
      // "since Monday": the last Monday before today.
      if (pastWord) ahead = -(((local.weekday - wd + 7) % 7) || 7);
      date = addDays(local.year, local.month, local.day, ahead);
    } else if (hour !== undefined && !s.isCertain('month')) {
      timeOnly = true;
      date = laterToday(hour, minute ?? 0) ? { year: local.year, month: local.month, day: local.day } : addDays(local.year, local.month, local.day, 1);
    } else {
      date = { year: s.get('year') ?? local.year, month: s.get('month') ?? local.month, day: s.get('day') ?? local.day };
    }
    const e = r.end;
    const item: Resolved = { ...span, ...date, dayOnly: hour === undefined && !part, ...(timeOnly ? { timeOnly } : {}) };
    if (hour !== undefined) {
      item.hour = hour;
      item.minute = minute ?? 0;
      if (e?.isCertain('hour')) {
        item.endHour = e.get('hour') ?? hour;
        item.endMinute = e.get('minute') ?? 0;
      }
    }
    if (part) {
      item.part = part.part;
      item.index = Math.min(item.index, part.index);
      item.end = Math.max(item.end, part.end);
      part.index = -1;
    }
    resolved.push(item);
  }
  // "this afternoon", "stasera", "tonight" with no other date: today.
  for (const p of parts) {
    if (p.index < 0 || !p.today) continue;
    resolved.push({ index: p.index, end: p.end, year: local.year, month: local.month, day: local.day, part: p.part, dayOnly: false });
  }

  // A part of the day right after a duration or "the day after tomorrow" belongs to it.
  for (const p of parts) {
    if (p.index < 0) continue;
    const r = resolved.find((x) => x.part === undefined && x.hour === undefined && near(x, p));
    if (r) {
      r.part = p.part;
      r.dayOnly = false;
      r.index = Math.min(r.index, p.index);
      r.end = Math.max(r.end, p.end);
    }
  }

  // "in 2 days at 9am", "pasado mañana a las 10": a time alone next to a day found by our rules is on that day.
  for (const t of resolved.filter((x) => x.timeOnly)) {
    const day = resolved.find((x) => x !== t && x.dayOnly && near(x, t));
    if (!day) continue;
    day.hour = t.hour;
    day.minute = t.minute;
    day.dayOnly = false;
    if (t.part) day.part = t.part;
    day.index = Math.min(day.index, t.index);
    day.end = Math.max(day.end, t.end);
    t.index = -1;
  }

  return resolved
    .filter((r) => r.index >= 0)
    .sort((a, b) => a.index - b.index)
    .filter((r, i, all) => i === 0 || r.index >= all[i - 1]!.end)
    .map((r) => toEntity(text, r, o.timeZone));
}

function near(a: Span, b: Span): boolean {
  const gap = a.end <= b.index ? b.index - a.end : a.index >= b.end ? a.index - b.end : 0;
  return gap <= 12;
}

function nearestPart(parts: PartMention[], span: Span): PartMention | undefined {
  return parts.find((p) => p.index >= 0 && near(p, span));
}

function toEntity(text: string, r: Resolved, timeZone: string): DateEntity {
  const date = isoDate(r.year, r.month, r.day);
  const entity: DateEntity = { text: text.slice(r.index, r.end).trim().replace(/[\s,.;:!?¿¡]+$/u, ''), start: '', date, dayOnly: r.dayOnly };
  if (r.hour !== undefined) {
    entity.start = fromLocal(r.year, r.month, r.day, r.hour, r.minute ?? 0, timeZone).toISOString();
    entity.time = `${pad2(r.hour)}:${pad2(r.minute ?? 0)}`;
    if (r.endHour !== undefined) entity.end = fromLocal(r.year, r.month, r.day, r.endHour, r.endMinute ?? 0, timeZone).toISOString();
    if (r.part) entity.partOfDay = r.part;
  } else if (r.part) {
    const [from, to] = PART_OF_DAY_HOURS[r.part];
    entity.start = fromLocal(r.year, r.month, r.day, from, 0, timeZone).toISOString();
    entity.end = fromLocal(r.year, r.month, r.day, to, 0, timeZone).toISOString();
    entity.partOfDay = r.part;
  } else {
    entity.start = fromLocal(r.year, r.month, r.day, 0, 0, timeZone).toISOString();
  }
  return entity;
}

export type { LocalTime };
