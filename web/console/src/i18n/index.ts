// The message catalogue: en and fr complete, the others partial (missing keys fall back to English; the
// test test/console/i18n.test.ts lists what each lacks). Default language from the browser, then the
// user's choice, kept in localStorage.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import de from './de.json';
import en from './en.json';
import es from './es.json';
import fr from './fr.json';
import it from './it.json';
import pt from './pt.json';

export const LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'pt'] as const;
export const LANGUAGE_NAMES: Record<(typeof LANGUAGES)[number], string> = { en: 'English', fr: 'Français', de: 'Deutsch', es: 'Español', it: 'Italiano', pt: 'Português' };
const KEY = 'pl.language';

function initial(): string {
  let stored: string | null = null;
  try {
    stored = window.localStorage.getItem(KEY);
  } catch {
    // Storage refused (private mode): the browser's language then.
  }
  const wanted = stored ?? navigator.language ?? 'en';
  return LANGUAGES.find((l) => wanted.toLowerCase().startsWith(l)) ?? 'en';
}

export function setLanguage(lang: string): void {
  void i18n.changeLanguage(lang);
  try {
    window.localStorage.setItem(KEY, lang);
  } catch {
    // Not remembered: it still applies to this page.
  }
}

i18n.on('languageChanged', (lng) => document.documentElement.setAttribute('lang', lng));

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr }, de: { translation: de }, es: { translation: es }, it: { translation: it }, pt: { translation: pt } },
  lng: initial(),
  fallbackLng: 'en',
  // React escapes what it renders: names stay text.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18n;
