import { useTranslation } from 'react-i18next';
import { LANGUAGES, LANGUAGE_NAMES, setLanguage } from './index';

/** The language picker of the layout and the login page; the choice is remembered in this browser. */
export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  const current = LANGUAGES.find((l) => i18n.language.startsWith(l)) ?? 'en';
  return (
    <select aria-label={t('common.language')} value={current} onChange={(e) => setLanguage(e.target.value)}>
      {LANGUAGES.map((l) => <option key={l} value={l} lang={l}>{LANGUAGE_NAMES[l]}</option>)}
    </select>
  );
}
