// The language of the chat: "language", "langue", "lingua", "idioma", "Sprache" or the menu's entry show the
// clinic's languages as a list (each in its own name); `lang:xx` stores the choice (effect patient.language)
// and confirms it in the chosen language.
import type { Flow } from '../conversation/flow.js';
import { isLanguage, type Language } from '../nlu/types.js';
import { list, text } from '../whatsapp/outbound.js';
import { done, tappedId } from './common.js';

/** Each language by its own name: the same in every catalogue, so not in them. */
export const AUTONYMS: Record<Language, string> = { en: 'English', fr: 'Français', it: 'Italiano', es: 'Español', pt: 'Português', de: 'Deutsch' };

/** The words that open the language list, in the normalised form of consent-keywords' normaliseKeyword. */
export const LANGUAGE_WORDS: ReadonlySet<string> = new Set([
  'language', 'languages', 'langue', 'langues', 'lingua', 'lingue', 'idioma', 'idiomas', 'sprache', 'sprachen',
]);

export const languageFlow: Flow<never> = {
  name: 'lang',
  version: 1,
  async start(input, ctx) {
    const id = tappedId(input.message);
    const chosen = id?.startsWith('lang:') ? id.slice(5) : null;
    if (chosen !== null && isLanguage(chosen) && ctx.clinic.languages.includes(chosen)) {
      return done([text(ctx.tIn(chosen)('language.changed'))], [{ type: 'patient.language', language: chosen }]);
    }
    return done([list({
      body: ctx.t('language.chooseBody'),
      button: ctx.t('language.chooseButton'),
      sections: [{ rows: ctx.clinic.languages.map((l) => ({ id: `lang:${l}`, title: AUTONYMS[l] })) }],
    })]);
  },
  async step(_state, input, ctx) {
    return this.start(input, ctx);
  },
};
