// Chat text as patients write it, brought to one form before language detection and intent classification:
// lower case, no accents, letters typed three or more times once ("helloooo", "merciii"), curly quotes
// straight, and the chat abbreviations of each language spelled out ("rdv", "appt", "pls", "xq"). Training
// utterances go through the same function, so what matters is that both sides agree.
import type { Language } from './types.js';

/** Abbreviations and chat spellings, per language, as whole words (after accents are stripped). */
const ABBREVIATIONS: Record<Language, Record<string, string>> = {
  en: {
    pls: 'please', plz: 'please', plsss: 'please', pleas: 'please', appt: 'appointment', apt: 'appointment',
    appts: 'appointments', apointment: 'appointment', appointmnt: 'appointment', appoinment: 'appointment',
    tmrw: 'tomorrow', tmr: 'tomorrow', tmrow: 'tomorrow', '2moro': 'tomorrow', '2morrow': 'tomorrow', tomorow: 'tomorrow',
    u: 'you', ur: 'your', r: 'are', y: 'why', thx: 'thanks', thanx: 'thanks', thnx: 'thanks', tks: 'thanks', ty: 'thank you',
    tysm: 'thank you so much', im: "i'm", dont: "don't", cant: "can't", wont: "won't", didnt: "didn't",
    doesnt: "doesn't", whats: "what's", wanna: 'want to', gonna: 'going to', gotta: 'have to', b4: 'before',
    asap: 'as soon as possible', dr: 'doctor', doc: 'doctor', meds: 'medication', rx: 'prescription', hrs: 'hours',
    msg: 'message', msgs: 'messages', ppl: 'people', cuz: 'because', coz: 'because', bc: 'because', w: 'with',
    wk: 'week', nxt: 'next', abt: 'about', pic: 'picture', rdv: 'appointment',
  },
  fr: {
    rdv: 'rendez-vous', rdvs: 'rendez-vous', rendezvous: 'rendez-vous', rv: 'rendez-vous', svp: "s'il vous plait",
    stp: "s'il te plait", slvp: "s'il vous plait", bjr: 'bonjour', bsr: 'bonsoir', slt: 'salut', mrc: 'merci', mci: 'merci',
    merki: 'merci', bcp: 'beaucoup', jsuis: 'je suis', chui: 'je suis', jveux: 'je veux', jvoudrais: 'je voudrais', jpeux: 'je peux',
    jai: "j'ai", c: "c'est", ct: "c'etait", pk: 'pourquoi', pq: 'pourquoi', pcq: 'parce que', qd: 'quand', dem1: 'demain',
    ds: 'dans', tjrs: 'toujours', tjs: 'toujours', ordo: 'ordonnance', ordos: 'ordonnances', dr: 'docteur', doc: 'docteur',
    medoc: 'medicament', medocs: 'medicaments', kan: 'quand', koi: 'quoi', ke: 'que', ki: 'qui', mm: 'meme', tt: 'tout',
    tte: 'toute', pr: 'pour', vs: 'vous', ns: 'nous', msg: 'message', dispo: 'disponible', dispos: 'disponibles',
    aprem: 'apres-midi', exam: 'examen', labo: 'laboratoire', ya: "il y a", auj: "aujourd'hui", ajd: "aujourd'hui",
  },
  it: {
    xke: 'perche', xk: 'perche', xche: 'perche', perke: 'perche', x: 'per', cmq: 'comunque', nn: 'non', grz: 'grazie',
    app: 'appuntamento', appto: 'appuntamento', dott: 'dottore', dr: 'dottore', qlc: 'qualche', qls: 'qualcosa',
    tt: 'tutto', sn: 'sono', ke: 'che', k: 'che', msg: 'messaggio', dom: 'domani', pome: 'pomeriggio',
  },
  es: {
    q: 'que', k: 'que', xq: 'porque', pq: 'porque', porq: 'porque', porfa: 'por favor', porfis: 'por favor', xfa: 'por favor',
    pf: 'por favor', tb: 'tambien', tmb: 'tambien', finde: 'fin de semana', grax: 'gracias', grs: 'gracias', dr: 'doctor',
    dra: 'doctora', d: 'de', x: 'por', msj: 'mensaje', mna: 'manana', tdo: 'todo', toy: 'estoy', wenas: 'buenas',
    qiero: 'quiero', kiero: 'quiero', ola: 'hola', holi: 'hola', nd: 'nada', hla: 'hola',
  },
  pt: {
    vc: 'voce', vcs: 'voces', pf: 'por favor', pfv: 'por favor', pff: 'por favor', obg: 'obrigado', obgd: 'obrigado',
    obgda: 'obrigada', brigado: 'obrigado', brigada: 'obrigada', vlw: 'valeu', q: 'que', tb: 'tambem', tbm: 'tambem',
    n: 'nao', naum: 'nao', dr: 'doutor', dra: 'doutora', qro: 'quero', qr: 'quer', hj: 'hoje', amnh: 'amanha',
    msg: 'mensagem', td: 'tudo', blz: 'beleza', pq: 'porque', oq: 'o que', cmg: 'comigo', ta: 'esta',
  },
  de: {
    nen: 'einen', ne: 'eine', nem: 'einem', hab: 'habe', nich: 'nicht', nix: 'nichts', isses: 'ist es', gehts: 'geht es',
    thx: 'danke', dr: 'doktor', doc: 'doktor', termn: 'termin', wg: 'wegen', ca: 'circa',
    kannste: 'kannst du', haste: 'hast du', brauch: 'brauche', tach: 'tag', vllt: 'vielleicht', evtl: 'eventuell',
  },
};

/**
 * The days of the week, per language (folded): the classifier sees one token for all of them. Which day a
 * patient names is the dates entity's business, not the intent's, and with the names apart a weekday the
 * training used mostly for one intent ("can't make it friday, could it be monday") pulled any message naming
 * it towards that intent ("could I book something for thursday?").
 */
const WEEKDAYS: Record<Language, readonly string[]> = {
  en: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'mondays', 'tuesdays', 'wednesdays', 'thursdays', 'fridays', 'saturdays', 'sundays', 'mon', 'tue', 'tues', 'wed', 'weds', 'thu', 'thur', 'thurs', 'fri'],
  fr: ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche', 'lundis', 'mardis', 'mercredis', 'jeudis', 'vendredis', 'samedis', 'dimanches'],
  it: ['lunedi', 'martedi', 'mercoledi', 'giovedi', 'venerdi', 'sabato', 'domenica', 'sabati', 'domeniche'],
  es: ['lunes', 'martes', 'miercoles', 'jueves', 'viernes', 'sabado', 'domingo', 'sabados', 'domingos'],
  pt: ['segunda', 'terca', 'quarta', 'quinta', 'sexta', 'sabado', 'domingo', 'segunda-feira', 'terca-feira', 'quarta-feira', 'quinta-feira', 'sexta-feira', 'segundas', 'tercas', 'quartas', 'quintas', 'sextas', 'sabados', 'domingos'],
  de: ['montag', 'dienstag', 'mittwoch', 'donnerstag', 'freitag', 'samstag', 'sonntag', 'sonnabend', 'montags', 'dienstags', 'mittwochs', 'donnerstags', 'freitags', 'samstags', 'sonntags'],
};
/** The one token the weekdays become. */
export const WEEKDAY_TOKEN = 'weekday';
const weekdaySets: Record<Language, ReadonlySet<string>> = {
  en: new Set(WEEKDAYS.en), fr: new Set(WEEKDAYS.fr), it: new Set(WEEKDAYS.it), es: new Set(WEEKDAYS.es), pt: new Set(WEEKDAYS.pt), de: new Set(WEEKDAYS.de),
};

/** Lower case, no accents, no letter repeated three or more times, straight quotes, single spaces. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/[’‘`´]/g, "'")
    .replace(/[“”«»„]/g, '"')
    .replace(/(\p{L})\1{2,}/gu, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]+/gu;

/** Abbreviations of `language` spelled out, word by word (case and accents already folded). */
export function expandAbbreviations(folded: string, language: Language): string {
  const table = ABBREVIATIONS[language];
  return folded.replace(WORD, (w) => (Object.prototype.hasOwnProperty.call(table, w) ? table[w]! : w));
}

/** What the classifier sees: folded, the language's abbreviations spelled out, the weekdays one token. */
export function normalizeText(text: string, language: Language): string {
  const days = weekdaySets[language];
  return expandAbbreviations(foldText(text), language).replace(WORD, (w) => (days.has(w) ? WEEKDAY_TOKEN : w));
}

/** The words of a folded text (letters and digits, apostrophes and hyphens inside words). */
export function words(folded: string): string[] {
  return folded.match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
}
