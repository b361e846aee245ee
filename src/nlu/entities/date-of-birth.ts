// A date of birth in a message ("12/03/1985", "12.03.85", "born 3 March 1985", "né le 3 mars 1985"), as
// YYYY-MM-DD, only when the message reads as one: a birth word ("born", "né", "nata", "nacido", "nascido",
// "geboren", "date of birth"…) or a message that is only the date; and only a plausible one (a real calendar
// date, in the past, age under 120).
//
// Numeric dates are day-first in every language but English. In English the reading that is unambiguous is
// taken (13/03/1985 is day-first, 03/13/1985 month-first); 03/04/1985 is ambiguous and gives nothing rather
// than a wrong birthday. Two-digit years are 19xx, or 20xx when that is not in the future.
import type { Language } from '../types.js';

const MONTHS: Record<string, number> = {};
const monthNames: string[][] = [
  ['january', 'jan', 'janvier', 'janv', 'gennaio', 'enero', 'janeiro', 'januar', 'jänner', 'janner'],
  ['february', 'feb', 'fevrier', 'fev', 'febbraio', 'febrero', 'fevereiro', 'februar'],
  ['march', 'mar', 'mars', 'marzo', 'marco', 'marz', 'maerz'],
  ['april', 'apr', 'avril', 'avr', 'aprile', 'abril'],
  ['may', 'mai', 'maggio', 'mayo', 'maio'],
  ['june', 'jun', 'juin', 'giugno', 'junio', 'junho', 'juni'],
  ['july', 'jul', 'juillet', 'juil', 'luglio', 'julio', 'julho', 'juli'],
  ['august', 'aug', 'aout', 'agosto'],
  ['september', 'sep', 'sept', 'septembre', 'settembre', 'septiembre', 'setembro'],
  ['october', 'oct', 'octobre', 'ottobre', 'octubre', 'outubro', 'oktober', 'okt'],
  ['november', 'nov', 'novembre', 'noviembre', 'novembro'],
  ['december', 'dec', 'decembre', 'dicembre', 'diciembre', 'dezembro', 'dezember', 'dez'],
];
monthNames.forEach((names, i) => {
  for (const n of names) MONTHS[n] = i + 1;
});
const MONTH_RE = Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|');

const BIRTH_WORDS = /\b(born|birth|dob|d\.o\.b|birthday|nee? (?:le|en)|naissance|nato|nata|nascita|nacido|nacida|naci|nacimiento|nascido|nascida|nasci|nascimento|geboren|geb|geburtsdatum|geburtstag)\b/;

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

function fullYear(y: string, now: Date): number {
  if (y.length === 4) return Number(y);
  const yy = Number(y);
  const century = now.getUTCFullYear() % 100;
  return yy <= century ? 2000 + yy : 1900 + yy;
}

function plausible(y: number, m: number, d: number, now: Date): string | undefined {
  if (!validDate(y, m, d)) return undefined;
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const today = now.toISOString().slice(0, 10);
  if (iso > today) return undefined;
  if (now.getUTCFullYear() - y >= 120) return undefined;
  return iso;
}

export function extractDateOfBirth(text: string, language: Language, now: Date): string | undefined {
  const t = fold(text);
  const worded = BIRTH_WORDS.test(t);

  // "3 March 1985", "né le 3 mars 1985", "3 de marzo de 1985", "3. März 1985"
  const named = new RegExp(String.raw`\b(\d{1,2})(?:st|nd|rd|th|er|º|°|\.)?\s+(?:de\s+)?(${MONTH_RE})\.?\s+(?:de\s+|del\s+)?(\d{4})\b`).exec(t)
    ?? null;
  // "March 3, 1985"
  const namedUs = new RegExp(String.raw`\b(${MONTH_RE})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`).exec(t);
  const numeric = /(?<![\d/.-])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\d/.-])/.exec(t);
  const iso = /(?<![\d/.-])(\d{4})-(\d{2})-(\d{2})(?![\d/.-])/.exec(t);

  const only = (m: RegExpExecArray | null) => m !== null && t.replace(m[0], '').replace(/[\s.,;:!?()-]/g, '') === '';
  const candidates: { m: RegExpExecArray; value: string | undefined }[] = [];
  if (named) candidates.push({ m: named, value: plausible(Number(named[3]), MONTHS[named[2] ?? ''] ?? 0, Number(named[1]), now) });
  if (namedUs) candidates.push({ m: namedUs, value: plausible(Number(namedUs[3]), MONTHS[namedUs[1] ?? ''] ?? 0, Number(namedUs[2]), now) });
  if (iso) candidates.push({ m: iso, value: plausible(Number(iso[1]), Number(iso[2]), Number(iso[3]), now) });
  if (numeric) {
    const a = Number(numeric[1]);
    const b = Number(numeric[2]);
    const y = fullYear(numeric[3] ?? '', now);
    let value: string | undefined;
    if (language !== 'en') value = plausible(y, b, a, now);
    else if (a > 12 && b <= 12) value = plausible(y, b, a, now);
    else if (b > 12 && a <= 12) value = plausible(y, a, b, now);
    else if (a === b) value = plausible(y, a, b, now);
    candidates.push({ m: numeric, value });
  }
  for (const c of candidates) {
    if (c.value && (worded || only(c.m))) return c.value;
  }
  return undefined;
}
