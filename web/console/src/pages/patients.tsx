// Patients: search by a name token or a phone number; each result opens the profile.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { ErrorAlert, Field, Loading, MoreButton, Notice, useDate, usePaged } from '../components/ui';
import { Link, navigate, useSearch } from '../router';
import { listOf, patientSchema } from '../schemas';

const patients = listOf(patientSchema);

export default function Patients() {
  const { t } = useTranslation();
  const date = useDate();
  const search = new URLSearchParams(useSearch());
  const q = search.get('q') ?? '';
  const [text, setText] = useState(q);
  const list = usePaged((cursor) => api('GET', `/api/patients${query({ q, cursor })}`, patients), [q]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/patients${query({ q: text.trim() })}`);
  };
  return (
    <>
      {search.get('erased') ? <Notice>{t('patients.erased')}</Notice> : null}
      <form role="search" className="card search" onSubmit={submit}>
        <Field label={t('patients.search')} hint={t('patients.searchHint')}>
          {(id, hint) => (
            <div className="inline">
              <input id={id} type="search" name="q" value={text} aria-describedby={hint} onChange={(e) => setText(e.target.value)} />
              <button type="submit">{t('patients.searchButton')}</button>
            </div>
          )}
        </Field>
      </form>
      <section aria-labelledby="patients-results" aria-busy={list.loading}>
        <h2 id="patients-results">{t('patients.results')}</h2>
        <ErrorAlert error={list.error} />
        {!list.loading && !list.error && list.items.length === 0 ? <p className="muted">{t('patients.none')}</p> : null}
        {list.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">{t('patients.name')}</th><th scope="col">{t('patients.phone')}</th><th scope="col">{t('patients.language')}</th><th scope="col">{t('patients.lastInbound')}</th><th scope="col">{t('patients.status')}</th></tr></thead>
              <tbody>
                {list.items.map((p) => (
                  <tr key={p.id}>
                    <td><Link to={`/patients/${encodeURIComponent(p.id)}`} className="patient-link">{p.displayName ?? t('patients.noName')}</Link></td>
                    <td>{p.phoneMasked ?? '—'}</td>
                    <td>{p.language ?? '—'}</td>
                    <td>{date(p.lastInboundAt)}</td>
                    <td>{p.optedOut ? t('patients.optedOut') : t('patients.active')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {list.loading ? <Loading /> : null}
        <MoreButton list={list} />
      </section>
    </>
  );
}
