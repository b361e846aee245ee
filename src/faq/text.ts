// Text to match terms, per language: normalise (lowercase, no accents, no punctuation), tokenise, drop
// stop-words, stem with the @nlpjs language packs' stemmers (Snowball-style). The same pipeline runs on the
// staff's questions and variants and on the patient's message, so both sides meet on stems: "horaires",
// "horaire" and "Horaires ?" are one term; typos are left to the matcher's fuzzy step.
import { createRequire } from 'node:module';
import type { Language } from '../nlu/types.js';

interface Stemmer {
  stemWord(word: string): string;
}
interface Stopwords {
  dictionary: Record<string, unknown>;
}
type Pack = Record<string, new () => Stemmer & Stopwords>;

const require = createRequire(import.meta.url);
const PACKS: Record<Language, { pack: Pack; suffix: string }> = {
  en: { pack: require('@nlpjs/lang-en-min') as Pack, suffix: 'En' },
  fr: { pack: require('@nlpjs/lang-fr') as Pack, suffix: 'Fr' },
  it: { pack: require('@nlpjs/lang-it') as Pack, suffix: 'It' },
  es: { pack: require('@nlpjs/lang-es') as Pack, suffix: 'Es' },
  pt: { pack: require('@nlpjs/lang-pt') as Pack, suffix: 'Pt' },
  de: { pack: require('@nlpjs/lang-de') as Pack, suffix: 'De' },
};

// Function words the packs' lists lack (German's is empty) and chat words that carry no topic.
const EXTRA_STOP: Record<Language, string[]> = {
  en: ['pls', 'please', 'plz', 'u', 'ur', 'hi', 'hello', 'thanks', 'thank', 'im', 'ok', 'need', 'know', 'want', 'tell', 'clinic', 'doctor'],
  fr: ['svp', 'stp', 'bonjour', 'salut', 'merci', 'c', 'est', 'j', 'l', 'd', 'qu', 'quoi', 'faut', 'veux', 'voudrais', 'savoir', 'dire', 'centre', 'cabinet', 'y', 'a'],
  it: ['per', 'favore', 'ciao', 'buongiorno', 'grazie', 'c', 'l', 'è', 'e', 'vorrei', 'sapere', 'devo', 'clinica', 'studio'],
  es: ['porfa', 'favor', 'hola', 'gracias', 'q', 'que', 'quiero', 'saber', 'tengo', 'clinica', 'consultorio', 'luego', 'muchas', 'adios'],
  pt: ['favor', 'ola', 'obrigado', 'obrigada', 'q', 'que', 'queria', 'saber', 'tenho', 'clinica', 'consultorio'],
  de: [
    'der', 'die', 'das', 'den', 'dem', 'des', 'ein', 'eine', 'einen', 'einem', 'einer', 'und', 'oder', 'aber', 'ich', 'du', 'er', 'sie', 'es',
    'wir', 'ihr', 'mir', 'mich', 'mein', 'meine', 'meinen', 'meinem', 'ihre', 'ihren', 'ihrem', 'euch', 'euer', 'eure', 'sind', 'bin', 'ist',
    'seid', 'habe', 'hat', 'haben', 'habt', 'kann', 'konnen', 'muss', 'soll', 'will', 'mochte', 'wie', 'was', 'wer', 'welche', 'welcher',
    'ob', 'zu', 'zum', 'zur', 'im', 'in', 'am', 'an', 'auf', 'fur', 'mit', 'von', 'vom', 'bei', 'beim', 'nach', 'aus', 'um', 'es', 'gibt',
    'bitte', 'hallo', 'danke', 'dank', 'vielen', 'tschuss', 'schon', 'man', 'noch', 'auch', 'so', 'da', 'hier', 'wissen', 'praxis', 'nicht', 'kein', 'keine',
  ],
};
// Words the packs list as stop-words that decide a topic: "where" asks for the address, "when" for the hours.
const KEEP: Record<Language, string[]> = {
  en: ['where', 'when', 'much', 'open', 'late'],
  fr: ['ou', 'quand', 'combien', 'ouvert'],
  it: ['dove', 'quando', 'quanto', 'aperto'],
  es: ['donde', 'cuando', 'cuanto'],
  pt: ['onde', 'quando', 'quanto'],
  de: ['wo', 'wann', 'wieviel', 'viel'],
};

/** Lowercase, accents off (ß → ss), everything that is not a letter or digit becomes a space. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

interface Pipeline {
  stop: Set<string>;
  stemmer: Stemmer;
  cache: Map<string, string>;
}
const pipelines = new Map<Language, Pipeline>();

function pipeline(language: Language): Pipeline {
  let p = pipelines.get(language);
  if (!p) {
    const { pack, suffix } = PACKS[language];
    const stopwords = new pack[`Stopwords${suffix}`]!();
    const keep = new Set(KEEP[language]);
    const stop = new Set([...Object.keys(stopwords.dictionary), ...EXTRA_STOP[language]].map(normalise).filter((w) => w && !keep.has(w)));
    p = { stop, stemmer: new pack[`Stemmer${suffix}`]!(), cache: new Map() };
    pipelines.set(language, p);
  }
  return p;
}

/** The terms of a text in a language: stems of its content words, in order (repeats kept). */
export function terms(text: string, language: Language): string[] {
  const p = pipeline(language);
  const out: string[] = [];
  for (const token of normalise(text).split(' ')) {
    if (token.length < 2 && !/^\d$/.test(token)) continue;
    if (p.stop.has(token)) continue;
    let stem = p.cache.get(token);
    if (stem === undefined) {
      stem = p.stemmer.stemWord(token) || token;
      if (p.cache.size < 50_000) p.cache.set(token, stem);
    }
    out.push(stem);
  }
  return out;
}
