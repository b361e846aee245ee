// Practitioners (every role reads): name, specialties, languages and the services they give. Admins edit
// a practitioner and which services they give where; admins and reception (the rota) edit the weekly
// sessions at each location and add or remove exceptions (leave, extra hours). Times are the location's.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, query, send } from '../api';
import { clinicZone, useCatalogue, useServiceName, type Catalogue } from '../components/catalogue';
import { ErrorAlert, Field, Loading, Notice, useLoad, useLocale } from '../components/ui';
import { zonedFormats, zonedInstant, zonedParts } from '../components/zoned';
import { exceptionSchema, listOf, practitionerSchema, sessionRuleSchema, type Location, type Practitioner } from '../schemas';
import { useSession } from '../session';

const sessionsList = listOf(sessionRuleSchema);
const exceptionsList = listOf(exceptionSchema);
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
const splitList = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

export default function Practitioners() {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const role = useSession().session.user.role;
  const admin = role === 'admin';
  const rota = role === 'admin' || role === 'reception';
  const [tick, setTick] = useState(0);
  const cat = useCatalogue({}, [tick]);
  const [editing, setEditing] = useState<Practitioner | 'new' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const data = cat.data;
  const opened = data?.practitioners.find((p) => p.id === open) ?? null;

  const done = (message: string) => {
    setEditing(null);
    setNotice(message);
    setTick((n) => n + 1);
  };

  return (
    <div className="catalogue">
      <p className="muted">{t('practitioners.intro')}</p>
      {admin ? <div className="row"><button type="button" onClick={() => { setNotice(null); setEditing('new'); }}>{t('practitioners.add')}</button></div> : null}
      {notice ? <Notice>{notice}</Notice> : null}
      {editing && data ? (
        <PractitionerEditor key={editing === 'new' ? 'new' : editing.id} cat={data} practitioner={editing === 'new' ? null : editing}
          onSaved={(name) => done(t('practitioners.saved', { name }))} onCancel={() => setEditing(null)} />
      ) : null}
      <section aria-labelledby="practitioners-list" aria-busy={cat.loading}>
        <h2 id="practitioners-list">{t('practitioners.list')}</h2>
        <ErrorAlert error={cat.error} />
        {cat.loading && !data ? <Loading /> : null}
        {data && data.practitioners.length === 0 ? <p className="muted">{t('practitioners.none')}</p> : null}
        {data && data.practitioners.length > 0 ? (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('practitioners.name')}</th><th scope="col">{t('practitioners.specialties')}</th><th scope="col">{t('practitioners.languages')}</th>
                  <th scope="col">{t('practitioners.services')}</th><th scope="col">{t('practitioners.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {data.practitioners.map((p) => (
                  <tr key={p.id} data-practitioner={p.code}>
                    <td>{p.displayName}{p.active ? null : <small className="muted"> {t('practitioners.inactive')}</small>}</td>
                    <td>{p.specialties.join(', ') || '—'}</td>
                    <td>{p.languages.join(', ')}</td>
                    <td>{[...new Set(p.givesServices.map((g) => serviceName(data.services.find((s) => s.id === g.serviceId))))].join(', ') || '—'}</td>
                    <td className="cell-actions">
                      <button type="button" className="secondary" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? null : p.id)}>
                        {t('practitioners.availability')}<span className="sr-only"> {p.displayName}</span>
                      </button>
                      {admin ? <button type="button" className="secondary" onClick={() => { setNotice(null); setEditing(p); }}>{t('practitioners.edit')}<span className="sr-only"> {p.displayName}</span></button> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {opened && data ? <Availability key={opened.id} cat={data} p={opened} rota={rota} /> : null}
    </div>
  );
}

function PractitionerEditor({ cat, practitioner, onSaved, onCancel }: { cat: Catalogue; practitioner: Practitioner | null; onSaved(name: string): void; onCancel(): void }) {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const p = practitioner;
  const [code, setCode] = useState(p?.code ?? '');
  const [displayName, setDisplayName] = useState(p?.displayName ?? '');
  const [title, setTitle] = useState(p?.title ?? '');
  const [specialties, setSpecialties] = useState(p?.specialties.join(', ') ?? '');
  const [languages, setLanguages] = useState(p?.languages.join(', ') ?? 'en');
  const [active, setActive] = useState(p?.active ?? true);
  const key = (serviceId: string, locationId: string) => `${serviceId}|${locationId}`;
  const [gives, setGives] = useState<Set<string>>(() => new Set((p?.givesServices ?? []).map((g) => key(g.serviceId, g.locationId))));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const places = cat.locations.filter((l) => l.active);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { code: code.trim(), displayName: displayName.trim(), title: title.trim() || null, specialties: splitList(specialties), languages: splitList(languages), active };
    try {
      const saved = p
        ? await api('PATCH', `/api/practitioners/${encodeURIComponent(p.id)}`, practitionerSchema, body)
        : await api('POST', '/api/practitioners', practitionerSchema, body);
      const services = [...gives].map((g) => { const [serviceId = '', locationId = ''] = g.split('|'); return { serviceId, locationId }; });
      await api('PUT', `/api/practitioners/${encodeURIComponent(saved.id)}/services`, practitionerSchema, { services });
      onSaved(saved.displayName);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="practitioner-editor">
      <h2 id="practitioner-editor">{p ? t('practitioners.editing', { name: p.displayName }) : t('practitioners.new')}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('practitioners.code')} hint={t('practitioners.codeHint')}>
          {(id, hint) => <input id={id} name="code" required pattern="[a-z0-9]+(-[a-z0-9]+)*" maxLength={64} aria-describedby={hint} value={code} onChange={(e) => setCode(e.target.value)} />}
        </Field>
        <Field label={t('practitioners.name')}>
          {(id) => <input id={id} name="displayName" required maxLength={200} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
        </Field>
        <Field label={t('practitioners.title')}>
          {(id) => <input id={id} name="title" maxLength={40} value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <Field label={t('practitioners.specialties')} hint={t('practitioners.listHint')}>
          {(id, hint) => <input id={id} name="specialties" aria-describedby={hint} value={specialties} onChange={(e) => setSpecialties(e.target.value)} />}
        </Field>
        <Field label={t('practitioners.languages')} hint={t('practitioners.languagesHint')}>
          {(id, hint) => <input id={id} name="languages" required aria-describedby={hint} value={languages} onChange={(e) => setLanguages(e.target.value)} />}
        </Field>
        <label className="check"><input type="checkbox" name="active" checked={active} onChange={(e) => setActive(e.target.checked)} /> {t('practitioners.active')}</label>
        <fieldset className="choice wide slots">
          <legend>{t('practitioners.gives')}</legend>
          {places.flatMap((l) => cat.services.filter((s) => s.active).map((s) => {
            const k = key(s.id, l.id);
            return (
              <label key={k} className="check">
                <input type="checkbox" checked={gives.has(k)} onChange={(e) => { const next = new Set(gives); if (e.target.checked) next.add(k); else next.delete(k); setGives(next); }} />
                {places.length > 1 ? t('practitioners.serviceAt', { service: serviceName(s), location: l.name }) : serviceName(s)}
              </label>
            );
          }))}
        </fieldset>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>{t('practitioners.save')}</button>
          <button type="button" className="secondary" onClick={onCancel}>{t('practitioners.cancel')}</button>
        </div>
      </form>
    </section>
  );
}

interface Rule { weekday: number; start: string; end: string }

function Availability({ cat, p, rota }: { cat: Catalogue; p: Practitioner; rota: boolean }) {
  const { t } = useTranslation();
  const sessions = useLoad(() => api('GET', `/api/practitioners/${encodeURIComponent(p.id)}/sessions`, sessionsList), [p.id]);
  // Where they work: the locations of their sessions and of the services they give.
  const where = cat.locations.filter((l) => p.givesServices.some((g) => g.locationId === l.id) || (sessions.data?.items ?? []).some((s) => s.locationId === l.id));
  return (
    <section aria-labelledby="practitioner-availability">
      <h2 id="practitioner-availability">{t('practitioners.availabilityOf', { name: p.displayName })}</h2>
      <ErrorAlert error={sessions.error} />
      {sessions.loading && !sessions.data ? <Loading /> : null}
      {sessions.data ? (where.length === 0 ? <p className="muted">{t('practitioners.noLocation')}</p> : where.map((l) => (
        <SessionsEditor key={`${l.id}-${sessions.data?.items.length}`} p={p} location={l} rota={rota}
          rules={sessions.data!.items.filter((s) => s.locationId === l.id).map((s) => ({ weekday: s.weekday, start: s.start, end: s.end }))} onSaved={sessions.reload} />
      ))) : null}
      <Exceptions cat={cat} p={p} rota={rota} />
    </section>
  );
}

function SessionsEditor({ p, location, rules: initial, rota, onSaved }: { p: Practitioner; location: Location; rules: Rule[]; rota: boolean; onSaved(): void }) {
  const { t } = useTranslation();
  const f = zonedFormats(useLocale(), location.timeZone);
  const [rules, setRules] = useState<Rule[]>(initial);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const change = (i: number, patch: Partial<Rule>) => {
    setSaved(false);
    setRules(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('PUT', `/api/practitioners/${encodeURIComponent(p.id)}/sessions`, sessionsList, { locationId: location.id, sessions: rules });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const heading = `sessions-${location.id}`;
  return (
    <form className="card" aria-labelledby={heading} onSubmit={submit}>
      <h3 id={heading}>{t('practitioners.sessionsAt', { location: location.name, zone: location.timeZone })}</h3>
      {rules.length === 0 ? <p className="muted">{t('practitioners.noSessions')}</p> : (
        <div className="table-wrap">
          <table data-testid="sessions">
            <thead><tr><th scope="col">{t('practitioners.weekday')}</th><th scope="col">{t('practitioners.from')}</th><th scope="col">{t('practitioners.to')}</th>{rota ? <th scope="col">{t('practitioners.actions')}</th> : null}</tr></thead>
            <tbody>
              {rules.map((r, i) => (
                <tr key={i}>
                  {rota ? (
                    <>
                      <td><select aria-label={t('practitioners.weekdayOf', { n: i + 1 })} value={r.weekday} onChange={(e) => change(i, { weekday: Number(e.target.value) })}>{WEEKDAYS.map((w) => <option key={w} value={w}>{f.weekday(w)}</option>)}</select></td>
                      <td><input type="time" aria-label={t('practitioners.fromOf', { n: i + 1 })} required value={r.start} onChange={(e) => change(i, { start: e.target.value })} /></td>
                      <td><input type="time" aria-label={t('practitioners.toOf', { n: i + 1 })} required value={r.end === '24:00' ? '23:59' : r.end} onChange={(e) => change(i, { end: e.target.value })} /></td>
                      <td><button type="button" className="secondary" onClick={() => { setSaved(false); setRules(rules.filter((_, j) => j !== i)); }}>{t('practitioners.remove')}<span className="sr-only"> {t('practitioners.sessionN', { n: i + 1 })}</span></button></td>
                    </>
                  ) : (
                    <><td>{f.weekday(r.weekday)}</td><td>{r.start}</td><td>{r.end}</td></>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorAlert error={error} />
      {saved ? <Notice>{t('practitioners.sessionsSaved')}</Notice> : null}
      {rota ? (
        <div className="row">
          <button type="button" className="secondary" onClick={() => { setSaved(false); setRules([...rules, { weekday: 1, start: '09:00', end: '12:00' }]); }}>{t('practitioners.addSession')}</button>
          <button type="submit" disabled={busy}>{t('practitioners.saveSessions')}</button>
        </div>
      ) : null}
    </form>
  );
}

function Exceptions({ cat, p, rota }: { cat: Catalogue; p: Practitioner; rota: boolean }) {
  const { t } = useTranslation();
  const zone = clinicZone(cat);
  const f = zonedFormats(useLocale(), zone);
  const today = zonedParts(new Date(), zone).day;
  const from = zonedInstant(today, '00:00', zone).toISOString();
  const list = useLoad(() => api('GET', `/api/practitioners/${encodeURIComponent(p.id)}/exceptions${query({ from })}`, exceptionsList), [p.id, from]);
  const [kind, setKind] = useState<'leave' | 'extra_hours'>('leave');
  const [locationId, setLocationId] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const places = cat.locations.filter((l) => l.active);
  const locName = (id: string | null) => (id ? cat.locations.find((l) => l.id === id)?.name ?? '—' : t('practitioners.everywhere'));
  /** A datetime-local value (the location's wall clock) as an instant. */
  const instant = (v: string) => {
    const [d = '', hm = '00:00'] = v.split('T');
    return zonedInstant(d, hm.slice(0, 5), zone).toISOString();
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const loc = kind === 'extra_hours' ? locationId || places[0]?.id : locationId || undefined;
      await api('POST', `/api/practitioners/${encodeURIComponent(p.id)}/exceptions`, exceptionSchema, {
        kind, start: instant(start), end: instant(end), ...(loc ? { locationId: loc } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      setStart('');
      setEnd('');
      setReason('');
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await send('DELETE', `/api/practitioners/${encodeURIComponent(p.id)}/exceptions/${encodeURIComponent(id)}`);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="card" aria-labelledby="exceptions-heading" role="group">
      <h3 id="exceptions-heading">{t('practitioners.exceptions', { zone })}</h3>
      <ErrorAlert error={list.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.items.length === 0 ? <p className="muted">{t('practitioners.noExceptions')}</p> : null}
      {list.data && list.data.items.length > 0 ? (
        <div className="table-wrap">
          <table data-testid="exceptions">
            <thead><tr><th scope="col">{t('practitioners.kind')}</th><th scope="col">{t('practitioners.from')}</th><th scope="col">{t('practitioners.to')}</th><th scope="col">{t('practitioners.location')}</th><th scope="col">{t('practitioners.reason')}</th>{rota ? <th scope="col">{t('practitioners.actions')}</th> : null}</tr></thead>
            <tbody>
              {list.data.items.map((x) => (
                <tr key={x.id}>
                  <td>{t(`practitioners.kinds.${x.kind}`)}</td><td>{f.dateTime(x.start)}</td><td>{f.dateTime(x.end)}</td><td>{locName(x.locationId)}</td><td className="break">{x.reason ?? '—'}</td>
                  {rota ? <td><button type="button" className="secondary" onClick={() => void remove(x.id)}>{t('practitioners.remove')}<span className="sr-only"> {t(`practitioners.kinds.${x.kind}`)} {f.dateTime(x.start)}</span></button></td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {rota ? (
        <form className="grid" aria-label={t('practitioners.addException')} onSubmit={add}>
          <Field label={t('practitioners.kind')}>
            {(id) => (
              <select id={id} name="kind" value={kind} onChange={(e) => setKind(e.target.value === 'extra_hours' ? 'extra_hours' : 'leave')}>
                <option value="leave">{t('practitioners.kinds.leave')}</option>
                <option value="extra_hours">{t('practitioners.kinds.extra_hours')}</option>
              </select>
            )}
          </Field>
          <Field label={t('practitioners.location')}>
            {(id) => (
              <select id={id} name="location" value={locationId} onChange={(e) => setLocationId(e.target.value)}>
                {kind === 'leave' ? <option value="">{t('practitioners.everywhere')}</option> : null}
                {places.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
              </select>
            )}
          </Field>
          <Field label={t('practitioners.from')}>
            {(id) => <input id={id} type="datetime-local" name="start" required value={start} onChange={(e) => setStart(e.target.value)} />}
          </Field>
          <Field label={t('practitioners.to')}>
            {(id) => <input id={id} type="datetime-local" name="end" required value={end} onChange={(e) => setEnd(e.target.value)} />}
          </Field>
          <Field label={t('practitioners.reason')}>
            {(id) => <input id={id} name="reason" maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
          <ErrorAlert error={error} />
          <div className="row"><button type="submit" disabled={busy}>{t('practitioners.addException')}</button></div>
        </form>
      ) : <ErrorAlert error={error} />}
    </div>
  );
}
