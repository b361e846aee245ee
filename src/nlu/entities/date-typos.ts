// Typos in the words that name a day or a part of it ("tusday", "wendesday", "mecredi", "giovedi", "mañna",
// "nachmitag", "tomorow"): chrono and the part-of-day rules know these words only as spelled, so a word one
// typo away (two for long words) from one of them, with the same first letter, is read as that word before
// dates are looked for. Only words of five letters or more, and only the message's language's words: "mari"
// stays "mari", an Italian "tardi" is not a Spanish "tarde".
import { editDistance } from '../../lib/edit-distance.js';
import type { Language } from '../types.js';

const WORDS: Record<Language, readonly string[]> = {
  en: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'morning', 'afternoon', 'evening', 'tomorrow', 'tonight', 'today', 'next'],
  fr: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche', 'matin', 'matinée', 'après-midi', 'soir', 'soirée', 'demain', 'aujourd\'hui', 'prochain', 'prochaine'],
  it: ['lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato', 'domenica', 'mattina', 'mattino', 'pomeriggio', 'sera', 'domani', 'dopodomani', 'prossimo', 'prossima'],
  es: ['lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado', 'domingo', 'mañana', 'tarde', 'noche', 'próximo', 'próxima'],
  pt: ['segunda', 'terça', 'quarta', 'quinta', 'sexta', 'sábado', 'domingo', 'segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira', 'sexta-feira', 'manhã', 'tarde', 'noite', 'amanhã', 'próxima', 'próximo'],
  de: ['montag', 'dienstag', 'mittwoch', 'donnerstag', 'freitag', 'samstag', 'sonntag', 'vormittag', 'nachmittag', 'abend', 'morgen', 'übermorgen', 'nächsten', 'nächste'],
};

const fold = (w: string) => w.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
const FOLDED: Record<Language, { folded: string; word: string }[]> = Object.fromEntries(
  Object.entries(WORDS).map(([l, ws]) => [l, ws.map((word) => ({ folded: fold(word), word }))]),
) as Record<Language, { folded: string; word: string }[]>;
const KNOWN: Record<Language, ReadonlySet<string>> = Object.fromEntries(Object.entries(FOLDED).map(([l, ws]) => [l, new Set(ws.map((w) => w.folded))])) as unknown as Record<Language, ReadonlySet<string>>;

/** The text with each misspelt day word replaced by the word (folded spellings are left as written). */
export function correctDateTypos(text: string, language: Language): string {
  const vocabulary = FOLDED[language];
  const known = KNOWN[language];
  return text.replace(/[\p{L}][\p{L}'-]*/gu, (w) => {
    if (w.length < 5) return w;
    const f = fold(w);
    if (known.has(f)) return w;
    let best: string | null = null;
    let bestDistance = Infinity;
    for (const v of vocabulary) {
      if (v.folded.length < 5 || v.folded[0] !== f[0]) continue;
      const allowed = v.folded.length >= 8 ? 2 : 1;
      const d = editDistance(f, v.folded, allowed);
      if (d <= allowed && d < bestDistance) {
        best = v.word;
        bestDistance = d;
      }
    }
    return best ?? w;
  });
}
