// The audit log (admin): filters by actor, patient, action and dates, newest first, "more" pages on by the
// API's nextCursor.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query } from '../api';
import { ErrorAlert, Field, Loading, MoreButton, useDate, usePaged } from '../components/ui';
import { Link } from '../router';
import { auditEntrySchema, listOf } from '../schemas';

const page = listOf(auditEntrySchema);
type Filters = { actor: string; patient: string; action: string; from: string; to: string };
const EMPTY: Filters = { actor: '', patient: '', action: '', from: '', to: '' };

/** A day typed in the date field, as the instant its local midnight is (to: the end of that day). */
function dayStart(day: string, end = false): string | null {
  if (!day) return null;
  const d = new Date(`${day}T00:00:00`);
  if (Number.isNaN(d.getTime())) return null;
  if (end) d.setDate(d.getDate() + 1);
  return d.toISOString();
}

export default function Audit() {
  const { t } = useTranslation();
  const date = useDate();
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const list = usePaged((cursor) => {
    const f = applied;
    const q = query({ actor: f.actor.trim(), patient: f.patient.trim(), action: f.action.trim(), from: dayStart(f.from), to: dayStart(f.to, true), cursor });
    return api('GET', `/api/audit${q}`, page);
  }, [applied]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ ...form });
  };
  const input = (k: keyof Filters, type = 'text') => (id: string) => <input id={id} name={k} type={type} value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} />;

  return (
    <>
      <form className="card filters" onSubmit={submit} aria-label={t('audit.filters')}>
        <Field label={t('audit.actor')}>{input('actor')}</Field>
        <Field label={t('audit.patient')}>{input('patient')}</Field>
        <Field label={t('audit.action')}>{input('action')}</Field>
        <Field label={t('audit.from')}>{input('from', 'date')}</Field>
        <Field label={t('audit.to')}>{input('to', 'date')}</Field>
        <div className="row">
          <button type="submit">{t('audit.apply')}</button>
          <button type="button" className="secondary" onClick={() => { setForm(EMPTY); setApplied({ ...EMPTY }); }}>{t('audit.clear')}</button>
        </div>
      </form>
      <section aria-labelledby="audit-entries" aria-busy={list.loading}>
        <h2 id="audit-entries">{t('audit.entries')}</h2>
        <ErrorAlert error={list.error} />
        {list.items.length === 0 && !list.loading && !list.error ? <p className="muted">{t('audit.none')}</p> : null}
        {list.items.length > 0 ? (
          <div className="table-wrap">
            <table className="audit">
              <thead><tr><th scope="col">{t('audit.at')}</th><th scope="col">{t('audit.actor')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.patient')}</th><th scope="col">{t('audit.target')}</th><th scope="col">{t('audit.ip')}</th></tr></thead>
              <tbody>
                {list.items.map((e) => (
                  <tr key={e.id}>
                    <td>{date(e.at)}</td>
                    <td>{t(`audit.actorTypes.${e.actorType}`, { defaultValue: e.actorType })}{e.actorId ? <> <span className="id">{e.actorId}</span></> : null}</td>
                    <td><code>{e.action}</code></td>
                    <td>{e.patientId ? <Link to={`/patients/${encodeURIComponent(e.patientId)}`} className="id">{e.patientId}</Link> : '—'}</td>
                    <td>{e.target ?? '—'}</td>
                    <td>{e.ip ?? '—'}</td>
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
