// The bot's words: one catalogue per language (src/flows/messages/<lang>.json) read through i18next, with its
// plurals (`_one` / `_other`, and `_many` where CLDR has it) and a `when` formatter that writes a date and
// time the way the language does, in the CLINIC'S time zone ("mardi 2 décembre à 15:00"), never the
// server's. One i18next instance per time zone (a clinic has one), created once and reused.
import i18next, { type i18n } from 'i18next';
import { LANGUAGES, type Language } from '../nlu/types.js';
import type { Translate } from '../conversation/flow.js';
import de from './messages/de.json' with { type: 'json' };
import en from './messages/en.json' with { type: 'json' };
import es from './messages/es.json' with { type: 'json' };
import fr from './messages/fr.json' with { type: 'json' };
import it from './messages/it.json' with { type: 'json' };
import pt from './messages/pt.json' with { type: 'json' };
import { dateTimeFormat } from '../lib/intl.js';

export const CATALOGUES: Readonly<Record<Language, Record<string, Record<string, string>>>> = { en, fr, it, es, pt, de };

/** The locale each language's dates are written in (en: day before month, 24-hour clock, as in Europe). */
const LOCALE: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR', it: 'it-IT', es: 'es-ES', pt: 'pt-PT', de: 'de-DE' };

/** The BCP 47 locale a language's dates and names are written in. */
export function localeOf(language: Language): string {
  return LOCALE[language];
}

/** "Tuesday 2 December at 15:00" in the language, in `timeZone`. */
export function formatWhen(at: Date, language: Language, timeZone: string): string {
  return dateTimeFormat(LOCALE[language], { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
}

const instances = new Map<string, i18n>();

function instanceFor(timeZone: string): i18n {
  let inst = instances.get(timeZone);
  if (inst) return inst;
  inst = i18next.createInstance();
  void inst.init({
    resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: CATALOGUES[l] }])),
    lng: 'en',
    // A key missing in a language is a bug the catalogue test catches; at run time English is better than a key.
    fallbackLng: 'en',
    initAsync: false,
    // Bot texts go to WhatsApp as plain text: no HTML escaping.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  inst.services.formatter?.add('when', (value: unknown, lng: string | undefined) => {
    const d = value instanceof Date ? value : new Date(String(value));
    const language = (LANGUAGES as readonly string[]).includes(lng ?? '') ? (lng as Language) : 'en';
    return formatWhen(d, language, timeZone);
  });
  instances.set(timeZone, inst);
  return inst;
}

/** A translator bound to a language and the clinic's time zone. */
export function translator(language: Language, timeZone = 'UTC'): Translate {
  const t = instanceFor(timeZone).getFixedT(language);
  return (key, vars) => String(t(key, vars ?? {}));
}

/** The keys of a catalogue as `section.key`. */
export function catalogueKeys(language: Language): string[] {
  return Object.entries(CATALOGUES[language]).flatMap(([section, keys]) => Object.keys(keys).map((k) => `${section}.${k}`));
}
