// What a booking request says besides its intent, from the patient's own words: which service (its names in
// every language and the words the clinic listed for it, tolerant of typos and missing accents), which
// practitioner if one is named, and when (the NLU's date entities: an instant, a part of a day, a day).
// Also the particulars a new patient gives once: a name and a date of birth. Pure functions.
import { editDistance } from '../../lib/edit-distance.js';
import { foldText, words } from '../../nlu/normalize.js';
import type { NluResult } from '../../nlu/types.js';
import type { PractitionerChoice, ServiceChoice } from '../../conversation/flow.js';

export { editDistance };

/** How many typos a word of this length may carry and still count as the word. */
const tolerance = (n: number): number => (n >= 8 ? 2 : n >= 5 ? 1 : 0);

/** Whether the patient's word is the term's word: the same, a typo of it, or (long words) the same stem. */
function sameWord(said: string, term: string, lenient: boolean): boolean {
  if (said === term) return true;
  const allowed = lenient && term.length >= 4 ? Math.max(1, tolerance(term.length)) : tolerance(term.length);
  if (allowed > 0 && editDistance(said, term, allowed) <= allowed) return true;
  // An inflected or foreign form of a short word of a longer term: "prise de sangue", "analyses".
  if (lenient && term.length >= 4 && said.startsWith(term) && said.length - term.length <= 2) return true;
  // "dermatologue" / "dermatologo" / "dermatologische": a shared stem of seven letters or more.
  const stem = Math.min(said.length, term.length);
  return stem >= 7 && said.slice(0, 7) === term.slice(0, 7) && Math.abs(said.length - term.length) <= 6;
}

/** Function words a term may contain ("prise DE sang") that the patient may drop or misspell. */
const minor = (w: string): boolean => w.length <= 3;

/**
 * How well `text` names a term: 0 (not at all), else about the number of letters matched (a longer, more
 * specific term wins: "visita dermatologica" over "visita").
 */
export function termScore(said: readonly string[], term: string): number {
  const tw = words(foldText(term));
  if (tw.length === 0) return 0;
  const major = tw.filter((w) => !minor(w));
  const needed = major.length > 0 ? major : tw;
  let matched = 0;
  let exact = 0;
  for (const w of needed) {
    const hit = said.find((s) => s === w);
    if (hit) { matched++; exact++; continue; }
    // A word of a several-word term may carry a typo when the term's other words are there as written.
    if (said.some((s) => sameWord(s, w, needed.length > 1))) matched++;
  }
  if (matched < needed.length) return 0;
  const letters = needed.reduce((n, w) => n + w.length, 0);
  // Every word of a several-word term misspelt ("bood tset"): only a long enough term, and it counts less.
  if (needed.length > 1 && exact === 0) return letters >= 8 ? letters * 0.6 : 0;
  return exact === needed.length ? letters : letters * 0.8;
}

/** The service the text names, or null when none (or two equally) does. */
export function matchService(text: string, services: readonly ServiceChoice[]): ServiceChoice | null {
  const said = words(foldText(text));
  if (said.length === 0) return null;
  let best: ServiceChoice | null = null;
  let bestScore = 0;
  let tie = false;
  for (const s of services) {
    const score = Math.max(0, ...s.terms.map((t) => termScore(said, t)));
    if (score > bestScore) { best = s; bestScore = score; tie = false; }
    else if (score > 0 && score === bestScore && best?.id !== s.id) tie = true;
  }
  return tie ? null : best;
}

/** The practitioner the text names (a family name, typos allowed), or null. */
export function matchPractitioner(text: string, practitioners: readonly PractitionerChoice[]): PractitionerChoice | null {
  const said = words(foldText(text));
  const hits = practitioners.filter((p) => {
    const names = words(foldText(p.name)).filter((w) => w.length >= 4 && w !== 'doctor' && w !== 'docteur');
    const family = names.at(-1);
    return family !== undefined && said.some((s) => sameWord(s, family, false));
  });
  return hits.length === 1 ? hits[0]! : null;
}

/** When the patient wants it: an instant ("jeudi vers 10h"), or a window (a part of a day, a whole day). */
export type Want = { at: string } | { from: string; to: string };

const DAY = 86_400_000;

export function wantOf(nlu: NluResult | null): Want | null {
  const d = nlu?.entities.dates?.[0];
  if (!d) return null;
  if (d.time && !d.partOfDay) return { at: d.start };
  if (d.end) return { from: d.start, to: d.end };
  if (d.dayOnly) return { from: d.start, to: new Date(new Date(d.start).getTime() + DAY).toISOString() };
  return { at: d.start };
}

export function wantTarget(w: Want): Date | { from: Date; to: Date } {
  return 'at' in w ? new Date(w.at) : { from: new Date(w.from), to: new Date(w.to) };
}

const LETTER = /\p{L}/u;

/**
 * A person's name as typed: letters, spaces, apostrophes, hyphens and dots, two to a hundred characters,
 * at most six words. Returned trimmed with single spaces, or null.
 */
export function parseName(text: string): string | null {
  const s = text.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (s.length < 2 || s.length > 100) return null;
  if (!/^[\p{L}\p{M}][\p{L}\p{M}' .’-]*$/u.test(s)) return null;
  const parts = s.split(' ');
  if (parts.length > 6 || !parts.every((p) => LETTER.test(p))) return null;
  return s;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A real calendar date, in the past, at most 120 years ago, as YYYY-MM-DD; else null. */
function validDate(y: number, m: number, d: number, now: Date): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return null;
  if (t > now.getTime() || now.getUTCFullYear() - y > 120) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/**
 * A date of birth: the NLU's when it read one, else DD/MM/YYYY (also with dots, dashes or spaces) or
 * YYYY-MM-DD. Day first, as in every language the bot speaks. Null when it is not a real past date.
 */
export function parseDateOfBirth(text: string, nlu: NluResult | null, now: Date): string | null {
  const iso = /\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b/.exec(text);
  if (iso) return validDate(Number(iso[1]), Number(iso[2]), Number(iso[3]), now);
  const dmy = /\b(\d{1,2})\s*[-/. ]\s*(\d{1,2})\s*[-/. ]\s*(\d{4})\b/.exec(text);
  if (dmy) return validDate(Number(dmy[3]), Number(dmy[2]), Number(dmy[1]), now);
  const fromNlu = nlu?.entities.dateOfBirth;
  if (fromNlu) {
    const [y, m, d] = fromNlu.split('-').map(Number);
    return validDate(y!, m!, d!, now);
  }
  return null;
}
