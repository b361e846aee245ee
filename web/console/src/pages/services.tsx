// The clinic's services (every role reads; admins add, edit and deactivate): name in the staff's language,
// duration, buffer, in person or video, lead time, horizon and who gives them. The editor holds the name
// and the patient instructions per language and the booking rules (POST/PATCH/DELETE /api/services).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, send } from '../api';
import { practitionerName, useCatalogue, useServiceName, type Catalogue } from '../components/catalogue';
import { ErrorAlert, Field, Loading, Notice } from '../components/ui';
import { LANGUAGES, LANGUAGE_NAMES } from '../i18n';
import { MODES, serviceSchema, type Service } from '../schemas';
import { useSession } from '../session';

const savedSchema = serviceSchema.pick({ id: true, code: true });

export default function Services() {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const admin = useSession().session.user.role === 'admin';
  const [tick, setTick] = useState(0);
  const cat = useCatalogue({ includeInactive: admin }, [tick]);
  const [editing, setEditing] = useState<Service | 'new' | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirmOff, setConfirmOff] = useState<string | null>(null);
  const data = cat.data;

  const done = (message: string) => {
    setEditing(null);
    setConfirmOff(null);
    setNotice(message);
    setTick((n) => n + 1);
  };
  const deactivate = async (s: Service) => {
    setError(null);
    try {
      await send('DELETE', `/api/services/${encodeURIComponent(s.id)}`);
      done(t('services.deactivated', { name: serviceName(s) }));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="catalogue">
      <p className="muted">{t('services.intro')}</p>
      {admin ? <div className="row"><button type="button" onClick={() => { setNotice(null); setEditing('new'); }}>{t('services.add')}</button></div> : null}
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorAlert error={error} />
      {editing && data ? (
        <ServiceEditor key={editing === 'new' ? 'new' : editing.id} service={editing === 'new' ? null : editing}
          onSaved={(name) => done(t('services.saved', { name }))} onCancel={() => setEditing(null)} />
      ) : null}
      <section aria-labelledby="services-list" aria-busy={cat.loading}>
        <h2 id="services-list">{t('services.list')}</h2>
        <ErrorAlert error={cat.error} />
        {cat.loading && !data ? <Loading /> : null}
        {data && data.services.length === 0 ? <p className="muted">{t('services.none')}</p> : null}
        {data && data.services.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('services.name')}</th><th scope="col">{t('services.duration')}</th><th scope="col">{t('services.buffer')}</th>
                  <th scope="col">{t('services.mode')}</th><th scope="col">{t('services.leadTime')}</th><th scope="col">{t('services.horizon')}</th>
                  <th scope="col">{t('services.givenBy')}</th>{admin ? <th scope="col">{t('services.actions')}</th> : null}
                </tr>
              </thead>
              <tbody>
                {data.services.map((s) => (
                  <tr key={s.id} data-service={s.code}>
                    <td>{serviceName(s)}{s.active ? null : <small className="muted"> {t('services.inactive')}</small>}</td>
                    <td data-col="duration">{t('services.minutes', { n: s.durationMinutes })}</td>
                    <td>{t('services.minutes', { n: s.bufferMinutes })}</td>
                    <td>{t(`services.modes.${s.mode}`)}</td>
                    <td>{leadTime(t, s.leadTimeMinutes)}</td>
                    <td>{t('services.days', { n: s.horizonDays })}</td>
                    <td>{givenBy(data, s)}</td>
                    {admin ? (
                      <td className="cell-actions">
                        <button type="button" className="secondary" onClick={() => { setNotice(null); setEditing(s); }}>{t('services.edit')}<span className="sr-only"> {serviceName(s)}</span></button>
                        {s.active ? (
                          confirmOff === s.id
                            ? <button type="button" className="danger" onClick={() => void deactivate(s)}>{t('services.confirmDeactivate')}<span className="sr-only"> {serviceName(s)}</span></button>
                            : <button type="button" className="danger" onClick={() => setConfirmOff(s.id)}>{t('services.deactivate')}<span className="sr-only"> {serviceName(s)}</span></button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}

function leadTime(t: TFunction, minutes: number): string {
  return minutes % 60 === 0 && minutes > 0 ? t('services.hours', { n: minutes / 60 }) : t('services.minutes', { n: minutes });
}

function givenBy(c: Catalogue, s: Service): string {
  const names = [...new Set(s.givenBy.map((g) => practitionerName(c, g.practitionerId)))];
  return names.length ? names.join(', ') : '—';
}

interface Form {
  code: string;
  names: Record<string, string>;
  instructions: Record<string, string>;
  durationMinutes: string;
  bufferMinutes: string;
  mode: (typeof MODES)[number];
  leadTimeMinutes: string;
  horizonDays: string;
  slotStepMinutes: string;
  requiresReferral: boolean;
}

function formOf(s: Service | null): Form {
  if (!s) return { code: '', names: {}, instructions: {}, durationMinutes: '20', bufferMinutes: '0', mode: 'in_person', leadTimeMinutes: '60', horizonDays: '90', slotStepMinutes: '', requiresReferral: false };
  return {
    code: s.code, names: { ...s.names }, instructions: { ...(s.instructions ?? {}) }, durationMinutes: String(s.durationMinutes), bufferMinutes: String(s.bufferMinutes),
    mode: s.mode, leadTimeMinutes: String(s.leadTimeMinutes), horizonDays: String(s.horizonDays),
    slotStepMinutes: s.slotStepMinutes === s.durationMinutes ? '' : String(s.slotStepMinutes), requiresReferral: s.requiresReferral,
  };
}

const filled = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));

function ServiceEditor({ service, onSaved, onCancel }: { service: Service | null; onSaved(name: string): void; onCancel(): void }) {
  const { t, i18n } = useTranslation();
  const [form, setForm] = useState<Form>(() => formOf(service));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: 'code' | 'durationMinutes' | 'bufferMinutes' | 'leadTimeMinutes' | 'horizonDays' | 'slotStepMinutes') => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  // The clinic's languages first (those it already has), then the console's.
  const langs = [...new Set([...Object.keys(service?.names ?? {}), ...LANGUAGES])];
  const langName = (l: string) => (l in LANGUAGE_NAMES ? LANGUAGE_NAMES[l as keyof typeof LANGUAGE_NAMES] : l);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const instructions = filled(form.instructions);
    const body = {
      code: form.code.trim(), name: filled(form.names), instructions: Object.keys(instructions).length ? instructions : null,
      durationMinutes: Number(form.durationMinutes), bufferMinutes: Number(form.bufferMinutes), mode: form.mode,
      leadTimeMinutes: Number(form.leadTimeMinutes), horizonDays: Number(form.horizonDays),
      slotStepMinutes: form.slotStepMinutes.trim() ? Number(form.slotStepMinutes) : null, requiresReferral: form.requiresReferral,
    };
    try {
      if (service) await api('PATCH', `/api/services/${encodeURIComponent(service.id)}`, savedSchema, body);
      else await api('POST', '/api/services', savedSchema, body);
      onSaved(body.name[i18n.language] ?? Object.values(body.name)[0] ?? body.code);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="service-editor">
      <h2 id="service-editor">{service ? t('services.editing', { name: service.names[i18n.language] ?? service.name }) : t('services.new')}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('services.code')} hint={t('services.codeHint')}>
          {(id, hint) => <input id={id} name="code" required pattern="[a-z0-9]+(-[a-z0-9]+)*" maxLength={64} aria-describedby={hint} value={form.code} onChange={set('code')} />}
        </Field>
        <Field label={t('services.duration')}>
          {(id) => <input id={id} name="durationMinutes" type="number" required min={1} max={480} value={form.durationMinutes} onChange={set('durationMinutes')} />}
        </Field>
        <Field label={t('services.buffer')}>
          {(id) => <input id={id} name="bufferMinutes" type="number" required min={0} max={240} value={form.bufferMinutes} onChange={set('bufferMinutes')} />}
        </Field>
        <Field label={t('services.mode')}>
          {(id) => (
            <select id={id} name="mode" value={form.mode} onChange={(e) => { const m = MODES.find((x) => x === e.target.value); if (m) setForm({ ...form, mode: m }); }}>
              {MODES.map((m) => <option key={m} value={m}>{t(`services.modes.${m}`)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('services.leadTimeField')}>
          {(id) => <input id={id} name="leadTimeMinutes" type="number" required min={0} max={43200} value={form.leadTimeMinutes} onChange={set('leadTimeMinutes')} />}
        </Field>
        <Field label={t('services.horizonField')}>
          {(id) => <input id={id} name="horizonDays" type="number" required min={1} max={730} value={form.horizonDays} onChange={set('horizonDays')} />}
        </Field>
        <Field label={t('services.slotStep')} hint={t('services.slotStepHint')}>
          {(id, hint) => <input id={id} name="slotStepMinutes" type="number" min={5} max={480} aria-describedby={hint} value={form.slotStepMinutes} onChange={set('slotStepMinutes')} />}
        </Field>
        <label className="check"><input type="checkbox" name="requiresReferral" checked={form.requiresReferral} onChange={(e) => setForm({ ...form, requiresReferral: e.target.checked })} /> {t('services.requiresReferral')}</label>
        <h3>{t('services.names')}</h3>
        {langs.map((l) => (
          <Field key={`n-${l}`} label={t('services.nameIn', { language: langName(l) })}>
            {(id) => <input id={id} name={`name-${l}`} lang={l} maxLength={200} required={l === langs[0] && !Object.values(form.names).some((v) => v.trim())} value={form.names[l] ?? ''} onChange={(e) => setForm({ ...form, names: { ...form.names, [l]: e.target.value } })} />}
          </Field>
        ))}
        <h3>{t('services.instructions')}</h3>
        {langs.map((l) => (
          <div className="wide" key={`i-${l}`}>
            <Field label={t('services.instructionsIn', { language: langName(l) })}>
              {(id) => <textarea id={id} name={`instructions-${l}`} lang={l} rows={2} maxLength={2000} value={form.instructions[l] ?? ''} onChange={(e) => setForm({ ...form, instructions: { ...form.instructions, [l]: e.target.value } })} />}
            </Field>
          </div>
        ))}
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>{t('services.save')}</button>
          <button type="button" className="secondary" onClick={onCancel}>{t('services.cancel')}</button>
        </div>
      </form>
    </section>
  );
}
