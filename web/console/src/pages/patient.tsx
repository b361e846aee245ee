// A patient's profile: who (as text, never as HTML), consent per purpose and its history, a form to record
// consent given at the desk, the care plans with adherence and readings (care-plans.tsx), the data export
// (JSON download) and erasure behind a typed confirmation.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, request } from '../api';
import { ErrorAlert, Loading, useDate, useLoad } from '../components/ui';
import type { PageProps } from '../pages';
import { Link, navigate } from '../router';
import { consentEventSchema, listOf, patientDetailSchema, PURPOSES, type ConsentEvent } from '../schemas';
import { useSession } from '../session';
import { CarePlans } from './care-plans';
import { DeskConsent } from './desk-consent';

const events = listOf(consentEventSchema);

export default function PatientPage({ params }: PageProps) {
  const { t } = useTranslation();
  const date = useDate();
  const id = params['id'] ?? '';
  const base = `/api/patients/${encodeURIComponent(id)}`;
  const patient = useLoad(() => api('GET', base, patientDetailSchema), [base]);
  const history = useLoad(() => api('GET', `${base}/consents`, events), [base]);
  const role = useSession().session.user.role;

  if (patient.loading && !patient.data) return <Loading />;
  if (!patient.data) return <><ErrorAlert error={patient.error} /><p><Link to="/patients">{t('patient.back')}</Link></p></>;
  const p = patient.data;
  return (
    <>
      <p><Link to="/patients">{t('patient.back')}</Link></p>
      <section aria-labelledby="patient-who" className="card">
        <h2 id="patient-who" className="patient-name">{p.displayName ?? t('patients.noName')}</h2>
        <dl className="facts">
          <dt>{t('patients.phone')}</dt><dd>{p.phoneMasked ?? '—'}</dd>
          <dt>{t('patients.language')}</dt><dd>{p.language ?? '—'}</dd>
          <dt>{t('patient.dateOfBirth')}</dt><dd>{p.dateOfBirth ?? '—'}</dd>
          <dt>{t('patient.since')}</dt><dd>{date(p.createdAt)}</dd>
          <dt>{t('patients.status')}</dt><dd>{p.optedOut ? t('patients.optedOut') : t('patients.active')}</dd>
        </dl>
      </section>
      <section aria-labelledby="patient-consent">
        <h2 id="patient-consent">{t('consent.current')}</h2>
        <ul className="consents">
          {PURPOSES.map((k) => {
            const c = p.consents[k];
            const channel = c?.channel ? `, ${t(`consent.channels.${c.channel}`, { defaultValue: c.channel })}` : '';
            return <li key={k}><strong>{t(`consent.purposes.${k}`)}</strong>: {c ? `${c.granted ? t('consent.granted') : t('consent.withdrawn')} (${date(c.at)}${channel})` : t('consent.unknown')}</li>;
          })}
        </ul>
        <h3>{t('consent.history')}</h3>
        <ErrorAlert error={history.error} />
        {history.data ? <ConsentTable items={history.data.items} /> : <Loading />}
        <DeskConsent patientId={id} onRecorded={() => { patient.reload(); history.reload(); }} />
      </section>
      <CarePlans patientId={id} canWrite={role === 'admin' || role === 'clinician'} />
      {role === 'admin' || role === 'clinician' ? <Export id={id} base={base} /> : null}
      {role === 'admin' ? <Erase id={id} base={base} /> : null}
    </>
  );
}

function by(e: ConsentEvent): string {
  const r = e.recordedBy;
  if (r === null || r === undefined) return '—';
  return typeof r === 'string' ? r : (r.displayName ?? r.email ?? r.id ?? '—');
}

function ConsentTable({ items }: { items: ConsentEvent[] }) {
  const { t } = useTranslation();
  const date = useDate();
  if (items.length === 0) return <p className="muted">{t('consent.noHistory')}</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead><tr><th scope="col">{t('consent.at')}</th><th scope="col">{t('consent.purpose')}</th><th scope="col">{t('consent.decision')}</th><th scope="col">{t('consent.textVersion')}</th><th scope="col">{t('consent.language')}</th><th scope="col">{t('consent.channel')}</th><th scope="col">{t('consent.recordedBy')}</th></tr></thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id}>
              <td>{date(e.at)}</td>
              <td>{t(`consent.purposes.${e.purpose}`, { defaultValue: e.purpose })}</td>
              <td>{e.granted ? t('consent.granted') : t('consent.withdrawn')}</td>
              <td>{e.textVersion ?? '—'}</td>
              <td>{e.language ?? '—'}</td>
              <td>{e.channel ? t(`consent.channels.${e.channel}`, { defaultValue: e.channel }) : '—'}</td>
              <td className="id">{by(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Export({ id, base }: { id: string; base: string }) {
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const download = async () => {
    setError(null);
    try {
      const blob = await (await request('GET', `${base}/export`)).blob();
      const url = URL.createObjectURL(new Blob([blob], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `patient-${id}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="patient-export" className="card">
      <h2 id="patient-export">{t('export.title')}</h2>
      <p>{t('export.body')}</p>
      <ErrorAlert error={error} />
      <button type="button" onClick={() => void download()}>{t('export.button')}</button>
    </section>
  );
}

function Erase({ id, base }: { id: string; base: string }) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const phrase = `ERASE ${id}`;
  const erase = async () => {
    setError(null);
    try {
      await request('POST', `${base}/erase`, { confirm: typed });
      navigate('/patients?erased=1');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="patient-erase" className="card danger">
      <h2 id="patient-erase">{t('erase.title')}</h2>
      <p>{t('erase.body')}</p>
      <form onSubmit={(e) => { e.preventDefault(); if (typed === phrase) void erase(); }}>
        <div className="field">
          <label htmlFor="erase-confirm">{t('erase.label')} <code>{phrase}</code></label>
          <input id="erase-confirm" name="confirm" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </div>
        <ErrorAlert error={error} />
        <button type="submit" className="danger" disabled={typed !== phrase}>{t('erase.button')}</button>
      </form>
    </section>
  );
}
