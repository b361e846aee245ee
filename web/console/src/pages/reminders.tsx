// Reminders: the clinic's appointment reminder settings (offsets before the start, quiet hours; admins
// edit), the appointments still to be marked after their end (no-show candidates: arrived, completed or
// no-show in one click), and the weekly report of what reminders do for attendance.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { z } from 'zod';
import { api } from '../api';
import { ErrorAlert, Field, Loading, Notice, useDate, useLoad } from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';

const settingsSchema = z.object({
  appointmentOffsetsMinutes: z.array(z.number()),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
});
type Settings = z.infer<typeof settingsSchema>;

const candidatesSchema = z.object({ items: z.array(z.object({ id: z.string(), start: z.string(), end: z.string(), practitionerId: z.string(), serviceId: z.string(), patientId: z.string(), state: z.string() })) });
const group = z.object({ appointments: z.number(), noShows: z.number(), noShowRate: z.number().nullable() });
const reportSchema = z.object({ items: z.array(z.object({
  week: z.string(), withReminder: group, withoutReminder: group,
  byOffset: z.array(z.object({ offsetMinutes: z.number(), appointments: z.number(), confirmed: z.number(), cancelled: z.number(), rescheduled: z.number(), noShow: z.number() })),
})) });

/** "72 h", "90 min", "2 d 3 h". */
function offsetLabel(minutes: number, t: TFunction): string {
  if (minutes % 1440 === 0) return t('reminders.days', { count: minutes / 1440 });
  if (minutes % 60 === 0) return t('reminders.hours', { count: minutes / 60 });
  return t('reminders.minutes', { count: minutes });
}

const percent = (r: number | null) => (r === null ? '–' : `${Math.round(r * 1000) / 10} %`);

export default function Reminders() {
  const { t } = useTranslation();
  const role = useSession().session.user.role;
  const settings = useLoad(() => api('GET', '/api/settings/reminders', settingsSchema), []);
  // Here, not in the form: the form is rebuilt from the settings read back after a save.
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <section aria-labelledby="reminders-settings">
        <h2 id="reminders-settings">{t('reminders.settings')}</h2>
        <ErrorAlert error={settings.error} />
        {notice ? <Notice>{notice}</Notice> : null}
        {settings.loading && !settings.data ? <Loading /> : null}
        {settings.data ? <SettingsForm key={JSON.stringify(settings.data)} value={settings.data} editable={role === 'admin'} onSaving={() => setNotice(null)} onSaved={(n) => { setNotice(n); settings.reload(); }} /> : null}
      </section>
      {role !== 'analyst' ? <Candidates /> : null}
      {role === 'admin' || role === 'clinician' || role === 'analyst' ? <Report /> : null}
    </>
  );
}

function SettingsForm({ value, editable, onSaving, onSaved }: { value: Settings; editable: boolean; onSaving(): void; onSaved(notice: string): void }) {
  const { t } = useTranslation();
  const [hours, setHours] = useState(value.appointmentOffsetsMinutes.map((m) => String(m / 60)).join(', '));
  const [quiet, setQuiet] = useState(value.quietHours !== null);
  const [start, setStart] = useState(value.quietHours?.start ?? '21:00');
  const [end, setEnd] = useState(value.quietHours?.end ?? '08:00');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    onSaving();
    const offsets = hours.split(/[,;\s]+/).filter(Boolean).map((h) => Math.round(Number(h.replace(',', '.')) * 60));
    if (offsets.some((m) => !Number.isFinite(m) || m < 1)) {
      setError(new Error(t('reminders.badOffsets')));
      return;
    }
    try {
      const r = await api('PUT', '/api/settings/reminders', settingsSchema.extend({ replanned: z.number() }), { appointmentOffsetsMinutes: offsets, quietHours: quiet ? { start, end } : null });
      onSaved(t('reminders.saved', { count: r.replanned }));
    } catch (err) {
      setError(err);
    }
  };
  if (!editable) {
    return (
      <dl className="facts">
        <dt>{t('reminders.offsets')}</dt><dd>{value.appointmentOffsetsMinutes.map((m) => offsetLabel(m, t)).join(', ') || t('reminders.none')}</dd>
        <dt>{t('reminders.quietHours')}</dt><dd>{value.quietHours ? `${value.quietHours.start}–${value.quietHours.end}` : t('reminders.none')}</dd>
      </dl>
    );
  }
  return (
    <form onSubmit={submit} className="stack">
      <ErrorAlert error={error} />
      <Field label={t('reminders.offsetsHours')} hint={t('reminders.offsetsHint')}>
        {(id, hint) => <input id={id} aria-describedby={hint} value={hours} onChange={(e) => setHours(e.target.value)} inputMode="decimal" />}
      </Field>
      <label className="check"><input type="checkbox" checked={quiet} onChange={(e) => setQuiet(e.target.checked)} /> {t('reminders.quietOn')}</label>
      {quiet ? (
        <div className="row">
          <Field label={t('reminders.quietStart')}>{(id) => <input id={id} type="time" value={start} onChange={(e) => setStart(e.target.value)} required />}</Field>
          <Field label={t('reminders.quietEnd')}>{(id) => <input id={id} type="time" value={end} onChange={(e) => setEnd(e.target.value)} required />}</Field>
        </div>
      ) : null}
      <div><button type="submit">{t('reminders.save')}</button></div>
    </form>
  );
}

function Candidates() {
  const { t } = useTranslation();
  const date = useDate();
  const list = useLoad(() => api('GET', '/api/appointments/no-show-candidates', candidatesSchema), []);
  const [error, setError] = useState<unknown>(null);
  const mark = async (id: string, to: 'arrived' | 'completed' | 'noshow') => {
    setError(null);
    try {
      await api('POST', `/api/appointments/${encodeURIComponent(id)}/${to}`, z.unknown());
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="reminders-candidates">
      <h2 id="reminders-candidates">{t('reminders.candidates')}</h2>
      <p className="hint">{t('reminders.candidatesHint')}</p>
      <ErrorAlert error={error ?? list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.items.length === 0 ? <p>{t('reminders.noCandidates')}</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead><tr><th scope="col">{t('reminders.when')}</th><th scope="col">{t('reminders.patient')}</th><th scope="col">{t('reminders.actions')}</th></tr></thead>
            <tbody>
              {list.data.items.map((a) => (
                <tr key={a.id} data-appointment={a.id}>
                  <td>{date(a.start)}</td>
                  <td><Link to={`/patients/${encodeURIComponent(a.patientId)}`}>{t('reminders.patientRecord')}</Link></td>
                  <td><div className="cell-actions">
                    <button type="button" className="secondary" onClick={() => void mark(a.id, 'arrived')}>{t('reminders.markArrived')}</button>
                    <button type="button" className="secondary" onClick={() => void mark(a.id, 'completed')}>{t('reminders.markCompleted')}</button>
                    <button type="button" className="secondary" onClick={() => void mark(a.id, 'noshow')}>{t('reminders.markNoShow')}</button>
                  </div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Report() {
  const { t } = useTranslation();
  const [to] = useState(() => new Date());
  const from = new Date(to.getTime() - 12 * 7 * 86_400_000);
  const report = useLoad(() => api('GET', `/api/reports/reminders?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`, reportSchema), []);
  return (
    <section aria-labelledby="reminders-report">
      <h2 id="reminders-report">{t('reminders.report')}</h2>
      <p className="hint">{t('reminders.reportHint')}</p>
      <ErrorAlert error={report.error} />
      {report.loading && !report.data ? <Loading /> : null}
      {report.data && report.data.items.length === 0 ? <p>{t('reminders.noReport')}</p> : null}
      {report.data && report.data.items.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('reminders.week')}</th><th scope="col">{t('reminders.withReminder')}</th><th scope="col">{t('reminders.withoutReminder')}</th><th scope="col">{t('reminders.byOffset')}</th>
              </tr>
            </thead>
            <tbody>
              {report.data.items.map((w) => (
                <tr key={w.week} data-week={w.week}>
                  <td>{w.week}</td>
                  <td>{t('reminders.rate', { rate: percent(w.withReminder.noShowRate), count: w.withReminder.appointments })}</td>
                  <td>{t('reminders.rate', { rate: percent(w.withoutReminder.noShowRate), count: w.withoutReminder.appointments })}</td>
                  <td>{w.byOffset.map((o) => t('reminders.offsetOutcomes', { offset: offsetLabel(o.offsetMinutes, t), count: o.appointments, confirmed: o.confirmed, cancelled: o.cancelled, rescheduled: o.rescheduled, noShow: o.noShow })).join(' · ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
