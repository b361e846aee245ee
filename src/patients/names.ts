// Name words for search: normalised (NFKD, marks stripped, lower case, split on anything that is not a
// letter), then each word is stored as a blind index (a keyed hash) in patients.name_index, so that staff
// find "Zoë Müller" by typing "zoe" or "MULLER" without the database ever holding the name in clear.
import type { Cipher } from '../compliance/crypto.js';

/** The normalised words of a name or a query: "Zoë-Anne  MÜLLER" → ["zoe", "anne", "muller"]. */
export function nameWords(text: string): string[] {
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  const words = folded.split(/[^\p{L}]+/u).filter((w) => w.length > 0);
  return [...new Set(words)];
}

/** The blind indexes of a patient's name words (given, family and profile names together). */
export function nameIndexOf(cipher: Pick<Cipher, 'blindIndex'>, ...names: (string | null | undefined)[]): string[] {
  const words = new Set<string>();
  for (const n of names) if (n) for (const w of nameWords(n)) words.add(w);
  return [...words].map((w) => cipher.blindIndex(`name:${w}`)).sort();
}

/** The blind indexes a query must all find. */
export function queryIndex(cipher: Pick<Cipher, 'blindIndex'>, q: string): string[] {
  return nameWords(q).map((w) => cipher.blindIndex(`name:${w}`));
}
