// Consent collected at the desk: purpose, granted or withdrawn, the text version shown and its language.
// The API records the channel ('desk') and the staff user.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorAlert, Field, Notice } from '../components/ui';
import { LANGUAGES } from '../i18n/index';
import { consentEventSchema, PURPOSES, purposeSchema } from '../schemas';

type Purpose = (typeof PURPOSES)[number];

export function DeskConsent({ patientId, onRecorded }: { patientId: string; onRecorded(): void }) {
  const { t } = useTranslation();
  const [purpose, setPurpose] = useState<Purpose>('care');
  const [granted, setGranted] = useState(true);
  const [textVersion, setTextVersion] = useState('v1');
  const [language, setLanguage] = useState<string>('en');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      await api('POST', `/api/patients/${encodeURIComponent(patientId)}/consents`, consentEventSchema, { purpose, granted, textVersion, language });
      setDone(true);
      onRecorded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card grid" onSubmit={submit} aria-labelledby="desk-consent">
      <h3 id="desk-consent">{t('consent.desk')}</h3>
      <Field label={t('consent.purpose')}>
        {(id) => (
          <select id={id} value={purpose} onChange={(e) => { const p = purposeSchema.safeParse(e.target.value); if (p.success) setPurpose(p.data); }}>
            {PURPOSES.map((k) => <option key={k} value={k}>{t(`consent.purposes.${k}`)}</option>)}
          </select>
        )}
      </Field>
      <fieldset className="choice">
        <legend>{t('consent.decision')}</legend>
        <label><input type="radio" name="granted" checked={granted} onChange={() => setGranted(true)} /> {t('consent.granted')}</label>
        <label><input type="radio" name="granted" checked={!granted} onChange={() => setGranted(false)} /> {t('consent.withdrawn')}</label>
      </fieldset>
      <Field label={t('consent.textVersion')}>{(id) => <input id={id} required maxLength={40} value={textVersion} onChange={(e) => setTextVersion(e.target.value)} />}</Field>
      <Field label={t('consent.language')}>
        {(id) => (
          <select id={id} value={language} onChange={(e) => setLanguage(e.target.value)}>
            {LANGUAGES.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        )}
      </Field>
      <ErrorAlert error={error} />
      {done ? <Notice>{t('consent.recorded')}</Notice> : null}
      <div className="row"><button type="submit">{t('consent.record')}</button></div>
    </form>
  );
}
