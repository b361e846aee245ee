// The desk's calendar: a day or a week, one practitioner or all, as a grid of hours in the clinic location's
// time zone. Appointments are blocks (service, state as colour and text, the patient only as the API gives
// them: a link to their record); choosing one opens its actions, only those its state allows (confirm,
// arrived, no-show, completed, move to another free slot, cancel with a reason). Booking picks a service,
// a free slot of the day and the patient's phone and name; a slot taken meanwhile shows the API's answer
// and the free slots again. Day, view and practitioner live in the address (shareable, back button works).
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import { api, ApiError, query } from '../api';
import { clinicZone, collect, practitionerName, useCatalogue, useServiceName, type Catalogue } from '../components/catalogue';
import { ErrorAlert, Field, Loading, Notice, useLoad, useLocale } from '../components/ui';
import { addDays, dayStart, isDayKey, weekStart, zonedFormats, zonedParts } from '../components/zoned';
import { Link, navigate, useSearch } from '../router';
import { appointmentSchema, CANCEL_REASONS, listOf, slotSchema, type Appointment, type Slot } from '../schemas';
import './calendar.css';

const appointments = listOf(appointmentSchema);
const slots = listOf(slotSchema);
const booked = appointmentSchema.extend({ patientCreated: z.boolean() });
const moved = appointmentSchema.extend({ previous: appointmentSchema });

type Mark = 'confirm' | 'arrived' | 'noshow' | 'completed';
/** The marks each state allows (the API's transitions). */
const MARKS: Record<Appointment['state'], readonly Mark[]> = {
  booked: ['confirm', 'arrived', 'noshow', 'completed'],
  confirmed: ['arrived', 'noshow', 'completed'],
  arrived: ['completed'],
  cancelled: [],
  rescheduled: [],
  noshow: [],
  completed: [],
};
const changeable = (a: Appointment) => a.state === 'booked' || a.state === 'confirmed';
const ENDED: readonly Appointment['state'][] = ['cancelled', 'rescheduled'];

type Formats = ReturnType<typeof zonedFormats>;

export default function Calendar() {
  const cat = useCatalogue();
  if (cat.error) return <ErrorAlert error={cat.error} />;
  if (!cat.data) return <Loading />;
  return <CalendarView cat={cat.data} />;
}

function CalendarView({ cat }: { cat: Catalogue }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const serviceName = useServiceName();
  const zone = clinicZone(cat);
  const f = zonedFormats(locale, zone);
  const search = new URLSearchParams(useSearch());
  const today = zonedParts(new Date(), zone).day;
  const wanted = search.get('date');
  const day = isDayKey(wanted) ? wanted : today;
  const view = search.get('view') === 'week' ? 'week' : 'day';
  const practitioner = cat.practitioners.some((p) => p.id === search.get('practitioner')) ? (search.get('practitioner') ?? '') : '';
  const [showEnded, setShowEnded] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [booking, setBooking] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const go = (patch: { date?: string; view?: string; practitioner?: string }) => {
    const next = { date: day, view, practitioner, ...patch };
    navigate(`/calendar${query({ date: next.date, view: next.view === 'week' ? 'week' : null, practitioner: next.practitioner })}`);
  };

  const days = view === 'week' ? Array.from({ length: 7 }, (_, i) => addDays(weekStart(day), i)) : [day];
  const first = days[0] ?? day;
  const last = days[days.length - 1] ?? day;
  const from = dayStart(first, zone).toISOString();
  const to = dayStart(addDays(last, 1), zone).toISOString();
  const list = useLoad(
    () => collect((cursor) => api('GET', `/api/appointments${query({ from, to, practitionerId: practitioner, cursor, limit: '200' })}`, appointments)),
    [from, to, practitioner],
  );
  const all = list.data ?? [];
  const shown = all.filter((a) => showEnded || !ENDED.includes(a.state));
  const current = all.find((a) => a.id === selected) ?? null;

  const step = view === 'week' ? 7 : 1;
  const range = view === 'week' ? t('calendar.weekOf', { from: f.dayLong(first), to: f.dayLong(last) }) : f.dayLong(day);

  const changed = (id: string | null, message: string, start?: string) => {
    setNotice(message);
    setSelected(id);
    if (start) {
      const d = zonedParts(new Date(start), zone).day;
      if (!days.includes(d)) go({ date: d });
    }
    list.reload();
  };

  return (
    <div className="calendar">
      <form className="card filters" aria-label={t('calendar.controls')} onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <button type="button" className="secondary" onClick={() => go({ date: addDays(day, -step) })}>{view === 'week' ? t('calendar.prevWeek') : t('calendar.prevDay')}</button>
          <button type="button" className="secondary" onClick={() => go({ date: today })} aria-current={day === today ? 'date' : undefined}>{t('calendar.today')}</button>
          <button type="button" className="secondary" onClick={() => go({ date: addDays(day, step) })}>{view === 'week' ? t('calendar.nextWeek') : t('calendar.nextDay')}</button>
        </div>
        <Field label={t('calendar.date')}>
          {(id) => <input id={id} type="date" name="date" value={day} onChange={(e) => { if (isDayKey(e.target.value)) go({ date: e.target.value }); }} />}
        </Field>
        <Field label={t('calendar.view')}>
          {(id) => (
            <select id={id} name="view" value={view} onChange={(e) => go({ view: e.target.value })}>
              <option value="day">{t('calendar.day')}</option>
              <option value="week">{t('calendar.week')}</option>
            </select>
          )}
        </Field>
        <Field label={t('calendar.practitioner')}>
          {(id) => (
            <select id={id} name="practitioner" value={practitioner} onChange={(e) => go({ practitioner: e.target.value })}>
              <option value="">{t('calendar.allPractitioners')}</option>
              {cat.practitioners.filter((p) => p.active || p.id === practitioner).map((p) => <option key={p.id} value={p.id}>{p.displayName}</option>)}
            </select>
          )}
        </Field>
        <label className="check"><input type="checkbox" checked={showEnded} onChange={(e) => setShowEnded(e.target.checked)} /> {t('calendar.showEnded')}</label>
        <div className="row"><button type="button" onClick={() => { setNotice(null); setSelected(null); setBooking(true); }}>{t('calendar.book')}</button></div>
      </form>

      {notice ? <Notice>{notice}</Notice> : null}

      {booking ? (
        <BookForm cat={cat} zone={zone} f={f} day={day} practitioner={practitioner}
          onCancel={() => setBooking(false)}
          onBooked={(a) => { setBooking(false); changed(a.id, t('calendar.booked', { service: serviceName(cat.services.find((s) => s.id === a.serviceId)), time: f.dateTime(a.start) }), a.start); }} />
      ) : null}

      {current ? (
        <AppointmentPanel key={current.id} a={current} cat={cat} zone={zone} f={f}
          onClose={() => setSelected(null)} onChanged={changed} />
      ) : null}

      <section aria-labelledby="calendar-range" aria-busy={list.loading}>
        <h2 id="calendar-range" aria-live="polite">{range}</h2>
        <ErrorAlert error={list.error} />
        {list.loading && !list.data ? <Loading /> : null}
        {list.data && shown.length === 0 ? <p className="muted" data-testid="calendar-empty">{t('calendar.none')}</p> : null}
        {list.data ? <Grid cat={cat} zone={zone} f={f} days={days} view={view} practitioner={practitioner} items={shown} selected={selected} onSelect={(id) => { setNotice(null); setBooking(false); setSelected(id); }} /> : null}
      </section>
    </div>
  );
}

interface Column {
  key: string;
  label: string;
  day: string;
  practitionerId: string | null;
}

function Grid({ cat, zone, f, days, view, practitioner, items, selected, onSelect }: {
  cat: Catalogue; zone: string; f: Formats; days: string[]; view: 'day' | 'week'; practitioner: string; items: Appointment[]; selected: string | null; onSelect(id: string): void;
}) {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const day = days[0] ?? '';
  // A day of all practitioners: one column each (the active ones and whoever has an appointment that day).
  const columns: Column[] = view === 'day' && !practitioner
    ? cat.practitioners.filter((p) => p.active || items.some((a) => a.practitionerId === p.id)).map((p) => ({ key: p.id, label: p.displayName, day, practitionerId: p.id }))
    : days.map((d) => ({ key: d, label: f.dayShort(d), day: d, practitionerId: null }));
  const placed = items.map((a) => ({ a, at: zonedParts(new Date(a.start), zone) }));
  const hours = placed.map((p) => p.at.hour);
  const firstHour = Math.min(7, ...hours);
  const lastHour = Math.max(19, ...hours);
  const rows = Array.from({ length: lastHour - firstHour + 1 }, (_, i) => firstHour + i);
  const showPractitioner = columns.every((c) => c.practitionerId === null) && !practitioner;

  return (
    <div className="table-wrap">
      <table className="calendar-grid" data-view={view}>
        <caption className="sr-only">{t('calendar.gridCaption', { zone })}</caption>
        <thead>
          <tr><th scope="col">{t('calendar.time', { zone })}</th>{columns.map((c) => <th scope="col" key={c.key}>{c.label}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((h) => (
            <tr key={h}>
              <th scope="row">{f.hour(h)}</th>
              {columns.map((c) => {
                const here = placed.filter((p) => p.at.day === c.day && p.at.hour === h && (c.practitionerId === null || p.a.practitionerId === c.practitionerId));
                return (
                  <td key={c.key} data-day={c.day} data-hour={h} data-practitioner={c.practitionerId ?? undefined}>
                    {here.map(({ a }) => (
                      <button type="button" key={a.id} className={`appt state-${a.state}`} data-appointment-id={a.id} data-state={a.state}
                        aria-pressed={a.id === selected} onClick={() => onSelect(a.id)}>
                        <span className="appt-time">{f.time(a.start)}–{f.time(a.end)}</span>
                        <span className="appt-service">{serviceName(cat.services.find((s) => s.id === a.serviceId))}</span>
                        {showPractitioner ? <span className="appt-who">{practitionerName(cat, a.practitionerId)}</span> : null}
                        <span className="appt-state">{t(`calendar.states.${a.state}`)}</span>
                      </button>
                    ))}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The free slots of a service on a local day (all pages), for one practitioner or any. */
function useDaySlots(serviceId: string, day: string, practitionerId: string, zone: string) {
  return useLoad(async (): Promise<Slot[]> => {
    if (!serviceId || !isDayKey(day)) return [];
    const from = dayStart(day, zone).toISOString();
    const to = dayStart(addDays(day, 1), zone).toISOString();
    return collect((cursor) => api('GET', `/api/slots${query({ serviceId, from, to, practitionerId, cursor, limit: '200' })}`, slots));
  }, [serviceId, day, practitionerId, zone]);
}

function SlotPicker({ legend, cat, f, list, value, onChange }: { legend: string; cat: Catalogue; f: Formats; list: ReturnType<typeof useDaySlots>; value: string; onChange(v: string): void }) {
  const { t } = useTranslation();
  const key = (s: Slot) => `${s.practitionerId}|${s.start}`;
  return (
    <fieldset className="choice slots wide" aria-busy={list.loading}>
      <legend>{legend}</legend>
      <ErrorAlert error={list.error} />
      {list.loading ? <Loading /> : null}
      {!list.loading && list.data && list.data.length === 0 ? <p className="muted">{t('calendar.noSlots')}</p> : null}
      {!list.loading && list.data ? (
        <div className="slot-list">
          {list.data.map((s) => (
            <label key={key(s)}>
              <input type="radio" name="slot" value={key(s)} checked={value === key(s)} onChange={() => onChange(key(s))} />
              {' '}{t('calendar.slot', { time: f.time(s.start), practitioner: practitionerName(cat, s.practitionerId) })}
            </label>
          ))}
        </div>
      ) : null}
    </fieldset>
  );
}

const slotOf = (v: string) => {
  const i = v.indexOf('|');
  return i < 0 ? null : { practitionerId: v.slice(0, i), start: v.slice(i + 1) };
};

/** Focus the form's heading when it opens (keyboard users land on it). */
function useFocusHeading() {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

function BookForm({ cat, zone, f, day: initialDay, practitioner, onBooked, onCancel }: {
  cat: Catalogue; zone: string; f: Formats; day: string; practitioner: string; onBooked(a: Appointment): void; onCancel(): void;
}) {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const heading = useFocusHeading();
  const active = cat.services.filter((s) => s.active);
  const firstFor = active.find((s) => !practitioner || s.givenBy.some((g) => g.practitionerId === practitioner)) ?? active[0];
  const [serviceId, setServiceId] = useState(firstFor?.id ?? '');
  const service = cat.services.find((s) => s.id === serviceId);
  const givers = cat.practitioners.filter((p) => service?.givenBy.some((g) => g.practitionerId === p.id));
  const [who, setWho] = useState(givers.some((p) => p.id === practitioner) ? practitioner : '');
  const [day, setDay] = useState(initialDay);
  const [slot, setSlot] = useState('');
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [dob, setDob] = useState('');
  const [optIn, setOptIn] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const free = useDaySlots(serviceId, day, who, zone);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = slotOf(slot);
    if (!chosen) {
      setError(new ApiError(0, 'slot_required', t('calendar.pickSlot')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const a = await api('POST', '/api/appointments', booked, {
        serviceId, practitionerId: chosen.practitionerId, start: chosen.start,
        patient: { phone: phone.trim(), name: name.trim(), ...(dob ? { dateOfBirth: dob } : {}), whatsappOptIn: optIn },
      });
      onBooked(a);
    } catch (err) {
      setError(err);
      // Taken meanwhile, or no longer bookable: the free slots as they are now.
      if (err instanceof ApiError && err.status === 409) {
        setSlot('');
        free.reload();
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="calendar-book">
      <h2 id="calendar-book" ref={heading} tabIndex={-1}>{t('calendar.bookTitle')}</h2>
      <form className="card grid" onSubmit={submit}>
        <Field label={t('calendar.service')}>
          {(id) => (
            <select id={id} name="service" value={serviceId} onChange={(e) => {
              const next = cat.services.find((s) => s.id === e.target.value);
              setServiceId(e.target.value);
              setSlot('');
              // The chosen practitioner stays when they give the new service too.
              setWho((w) => (next?.givenBy.some((g) => g.practitionerId === w) ? w : ''));
            }}>
              {active.map((s) => <option key={s.id} value={s.id}>{serviceName(s)}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('calendar.practitioner')}>
          {(id) => (
            <select id={id} name="bookPractitioner" value={who} onChange={(e) => { setWho(e.target.value); setSlot(''); }}>
              <option value="">{t('calendar.anyPractitioner')}</option>
              {givers.map((p) => <option key={p.id} value={p.id}>{p.displayName}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('calendar.slotDay')}>
          {(id) => <input id={id} type="date" name="slotDay" value={day} onChange={(e) => { setDay(e.target.value); setSlot(''); }} />}
        </Field>
        <SlotPicker legend={t('calendar.freeSlots', { day: isDayKey(day) ? f.dayLong(day) : '—' })} cat={cat} f={f} list={free} value={slot} onChange={setSlot} />
        <Field label={t('calendar.phone')} hint={t('calendar.phoneHint')}>
          {(id, hint) => <input id={id} type="tel" name="phone" required minLength={6} maxLength={32} autoComplete="off" aria-describedby={hint} value={phone} onChange={(e) => setPhone(e.target.value)} />}
        </Field>
        <Field label={t('calendar.patientName')}>
          {(id) => <input id={id} name="patientName" required maxLength={200} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label={t('calendar.dateOfBirth')}>
          {(id) => <input id={id} type="date" name="dateOfBirth" value={dob} onChange={(e) => setDob(e.target.value)} />}
        </Field>
        <label className="check wide"><input type="checkbox" name="whatsappOptIn" checked={optIn} onChange={(e) => setOptIn(e.target.checked)} /> {t('calendar.optIn')}</label>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>{t('calendar.bookSubmit')}</button>
          <button type="button" className="secondary" onClick={onCancel}>{t('calendar.close')}</button>
        </div>
      </form>
    </section>
  );
}

function AppointmentPanel({ a, cat, zone, f, onClose, onChanged }: {
  a: Appointment; cat: Catalogue; zone: string; f: Formats; onClose(): void; onChanged(id: string | null, message: string, start?: string): void;
}) {
  const { t } = useTranslation();
  const serviceName = useServiceName();
  const heading = useFocusHeading();
  const [mode, setMode] = useState<'actions' | 'cancel' | 'move'>('actions');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const service = cat.services.find((s) => s.id === a.serviceId);
  const title = t('calendar.appointmentTitle', { time: f.dateTime(a.start), service: serviceName(service) });

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const mark = (m: Mark) => run(async () => {
    await api('POST', `/api/appointments/${encodeURIComponent(a.id)}/${m}`, appointmentSchema);
    onChanged(a.id, t(`calendar.marked.${m}`));
  });

  return (
    <section aria-labelledby="calendar-appointment" className="card appointment" data-testid="appointment-panel">
      <h2 id="calendar-appointment" ref={heading} tabIndex={-1}>{title}</h2>
      <dl className="facts">
        <dt>{t('calendar.stateLabel')}</dt><dd><span className={`badge state-${a.state}`} data-testid="appointment-state">{t(`calendar.states.${a.state}`)}</span></dd>
        <dt>{t('calendar.when')}</dt><dd>{f.dateTime(a.start)}–{f.time(a.end)}</dd>
        <dt>{t('calendar.practitioner')}</dt><dd>{practitionerName(cat, a.practitionerId)}</dd>
        <dt>{t('calendar.patient')}</dt><dd><Link to={`/patients/${encodeURIComponent(a.patientId)}`}>{t('calendar.patientRecord')}</Link></dd>
        {a.cancelReason ? <><dt>{t('calendar.reason')}</dt><dd>{t(`calendar.reasons.${a.cancelReason}`, { defaultValue: a.cancelReason })}</dd></> : null}
        {a.videoUrl ? <><dt>{t('calendar.video')}</dt><dd className="break"><a href={a.videoUrl} rel="noreferrer noopener" target="_blank">{t('calendar.videoLink')}</a></dd></> : null}
      </dl>
      <ErrorAlert error={error} />
      {mode === 'actions' ? (
        <div className="row">
          {MARKS[a.state].map((m) => <button type="button" key={m} disabled={busy} className={m === 'noshow' ? 'secondary' : undefined} onClick={() => void mark(m)}>{t(`calendar.actions.${m}`)}</button>)}
          {changeable(a) ? <button type="button" className="secondary" disabled={busy} onClick={() => setMode('move')}>{t('calendar.actions.move')}</button> : null}
          {changeable(a) ? <button type="button" className="danger" disabled={busy} onClick={() => setMode('cancel')}>{t('calendar.actions.cancel')}</button> : null}
          <button type="button" className="secondary" onClick={onClose}>{t('calendar.close')}</button>
        </div>
      ) : null}
      {mode === 'cancel' ? <CancelForm a={a} busy={busy} run={run} onDone={(m) => onChanged(a.id, m)} onBack={() => setMode('actions')} /> : null}
      {mode === 'move' ? <MoveForm a={a} cat={cat} zone={zone} f={f} onDone={onChanged} onBack={() => setMode('actions')} /> : null}
    </section>
  );
}

function CancelForm({ a, busy, run, onDone, onBack }: { a: Appointment; busy: boolean; run(f: () => Promise<void>): Promise<void>; onDone(message: string): void; onBack(): void }) {
  const { t } = useTranslation();
  const [reason, setReason] = useState<(typeof CANCEL_REASONS)[number]>('patient_request');
  const [note, setNote] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', `/api/appointments/${encodeURIComponent(a.id)}/cancel`, appointmentSchema, { reason, ...(note.trim() ? { note: note.trim() } : {}) });
      onDone(t('calendar.cancelled'));
    });
  };
  return (
    <form className="grid" aria-label={t('calendar.cancelTitle')} onSubmit={submit}>
      <Field label={t('calendar.reason')}>
        {(id) => (
          <select id={id} name="reason" value={reason} onChange={(e) => { const r = CANCEL_REASONS.find((x) => x === e.target.value); if (r) setReason(r); }}>
            {CANCEL_REASONS.map((r) => <option key={r} value={r}>{t(`calendar.reasons.${r}`)}</option>)}
          </select>
        )}
      </Field>
      <Field label={t('calendar.note')} hint={t('calendar.noteHint')}>
        {(id, hint) => <textarea id={id} name="note" rows={2} maxLength={500} aria-describedby={hint} value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
      <div className="row">
        <button type="submit" className="danger" disabled={busy}>{t('calendar.cancelSubmit')}</button>
        <button type="button" className="secondary" onClick={onBack}>{t('calendar.back')}</button>
      </div>
    </form>
  );
}

function MoveForm({ a, cat, zone, f, onDone, onBack }: { a: Appointment; cat: Catalogue; zone: string; f: Formats; onDone(id: string, message: string, start: string): void; onBack(): void }) {
  const { t } = useTranslation();
  const service = cat.services.find((s) => s.id === a.serviceId);
  const givers = cat.practitioners.filter((p) => p.active && service?.givenBy.some((g) => g.practitionerId === p.id));
  const [who, setWho] = useState(a.practitionerId);
  const [day, setDay] = useState(zonedParts(new Date(a.start), zone).day);
  const [slot, setSlot] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const free = useDaySlots(a.serviceId, day, who, zone);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const chosen = slotOf(slot);
    if (!chosen) {
      setError(new ApiError(0, 'slot_required', t('calendar.pickSlot')));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api('POST', `/api/appointments/${encodeURIComponent(a.id)}/reschedule`, moved, { start: chosen.start, practitionerId: chosen.practitionerId });
      onDone(r.id, t('calendar.moved', { time: f.dateTime(r.start), practitioner: practitionerName(cat, r.practitionerId) }), r.start);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 409) {
        setSlot('');
        free.reload();
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="grid" aria-label={t('calendar.moveTitle')} onSubmit={submit}>
      <Field label={t('calendar.practitioner')}>
        {(id) => (
          <select id={id} name="movePractitioner" value={who} onChange={(e) => { setWho(e.target.value); setSlot(''); }}>
            {givers.map((p) => <option key={p.id} value={p.id}>{p.displayName}</option>)}
          </select>
        )}
      </Field>
      <Field label={t('calendar.slotDay')}>
        {(id) => <input id={id} type="date" name="moveDay" value={day} onChange={(e) => { setDay(e.target.value); setSlot(''); }} />}
      </Field>
      <SlotPicker legend={t('calendar.freeSlots', { day: isDayKey(day) ? f.dayLong(day) : '—' })} cat={cat} f={f} list={free} value={slot} onChange={setSlot} />
      <ErrorAlert error={error} />
      <div className="row">
        <button type="submit" disabled={busy}>{t('calendar.moveSubmit')}</button>
        <button type="button" className="secondary" onClick={onBack}>{t('calendar.back')}</button>
      </div>
    </form>
  );
}
