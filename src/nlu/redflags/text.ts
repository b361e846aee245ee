// How a patient's message becomes tokens for red-flag matching, and how loosely a token may match a word of
// the rules: accents and case ignored, repeated letters collapsed, apostrophes unified (an elision such as
// "j'ai" splits, "can't" joins), one typo tolerated on
// longer words. Everything here is linear in the length of the message (no backtracking regex).

/** One token of a message: `text` is normalised; `start`/`end` index the original message. */
export interface Token {
  text: string;
  /** 'word' (letters), 'number' (digits, with a decimal part: "38,5" → "38.5") or 'punct' (. , ; : ! ?). */
  type: 'word' | 'number' | 'punct';
  start: number;
  end: number;
}

const APOSTROPHES = new Set(["'", '’', '‘', '`', '´', 'ʼ', 'ʹ', '′']);
const SPECIAL: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ı: 'i', þ: 'th' };

/** One code point, normalised: lowercase, without diacritics; '' for combining marks. */
function normaliseChar(ch: string): string {
  if (APOSTROPHES.has(ch)) return "'";
  const lower = ch.toLowerCase();
  const special = SPECIAL[lower];
  if (special !== undefined) return special;
  return lower.normalize('NFKD').replace(/\p{M}/gu, '');
}

/** Repeated letters collapse to one ("heeelp" → "help", "bleeding" → "bleding"); rules get the same treatment. */
export function collapse(word: string): string {
  let out = '';
  for (const ch of word) if (out.length === 0 || out[out.length - 1] !== ch) out += ch;
  return out;
}

const isLetter = (c: string): boolean => c >= 'a' && c <= 'z';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const PUNCT = new Set(['.', ',', ';', ':', '!', '?', '\n']);

/** The tokens of a message (letters a–z after normalisation, numbers, sentence punctuation); others are dropped. */
export function tokenise(text: string): Token[] {
  // Normalised characters, each remembering where it came from in `text`.
  const chars: string[] = [];
  const from: number[] = [];
  let i = 0;
  for (const ch of text) {
    for (const c of normaliseChar(ch)) {
      chars.push(c);
      from.push(i);
    }
    i += ch.length;
  }
  const tokens: Token[] = [];
  let k = 0;
  const n = chars.length;
  while (k < n) {
    const c = chars[k]!;
    if (isLetter(c)) {
      const s = k;
      let word = '';
      while (k < n) {
        const d = chars[k]!;
        if (isLetter(d)) {
          word += d;
          k++;
        } else if (d === "'" && k + 1 < n && isLetter(chars[k + 1]!) && word.length > 0) {
          // An elision ("j'ai", "n'arrive", "l'aria", "qu'il") ends the word; otherwise the apostrophe goes
          // ("can't" → "cant", "geht's" → "gehts").
          if (word.length === 1 || word === 'qu') break;
          k++;
        } else break;
      }
      tokens.push({ text: collapse(word), type: 'word', start: from[s]!, end: from[k - 1]! + 1 });
      if (chars[k] === "'" && k + 1 < n && isLetter(chars[k + 1]!)) k++;
    } else if (isDigit(c)) {
      const s = k;
      let num = '';
      while (k < n && isDigit(chars[k]!)) num += chars[k++]!;
      if (k + 1 < n && (chars[k] === '.' || chars[k] === ',') && isDigit(chars[k + 1]!)) {
        num += '.';
        k++;
        while (k < n && isDigit(chars[k]!)) num += chars[k++]!;
      }
      tokens.push({ text: num, type: 'number', start: from[s]!, end: from[k - 1]! + 1 });
      // An ordinal ("in der 8. Woche") is not the end of a sentence.
      if (chars[k] === '.' && chars[k + 1] === ' ' && k + 2 < n && isLetter(chars[k + 2]!)) k++;
    } else {
      if (PUNCT.has(c)) tokens.push({ text: c === '\n' ? '.' : c, type: 'punct', start: from[k]!, end: from[k]! + 1 });
      k++;
    }
  }
  return tokens;
}

/** The normalised tokens of a rule's word or phrase (same treatment as messages). */
export function normaliseWords(phrase: string): string[] {
  return tokenise(phrase)
    .filter((t) => t.type !== 'punct')
    .map((t) => t.text);
}

/** Whether a and b are within one edit (insertion, deletion, substitution or swap of neighbours). O(n). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** Words shorter than this must match exactly: a typo on "pain" is too close to other words. */
export const FUZZY_MIN = 5;
