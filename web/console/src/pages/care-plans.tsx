// A patient's care plans on the patient page (issue 15): the plans (medication, follow-up, vitals) with their
// schedule in words, next due in the plan's zone (the clinic's), state and the last 30 days' adherence; a form
// to add one (admins and clinicians) and a stop button with why; the recent doses; the observations with
// their LOINC code, out-of-range flag and a small trend per kind; a form to enter a reading, which the server
// reads with the chat's parser ("135/85", "5,8", "118 mg/dL"). The schedule is built here as an RFC 5545
// rule the API checks (a time the zone skips is a 400 naming the field, shown as the server says it).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { z } from 'zod';
import { api } from '../api';
import { ErrorAlert, Field, Loading, Notice, SelectField, useLoad, useLocale } from '../components/ui';
import { addMonths, dailyRule, dayDiff, parseTimes, scheduleInWords } from '../components/schedule';
import { addDays, zonedFormats, zonedParts } from '../components/zoned';
import { listOf, locationSchema, serviceSchema } from '../schemas';

const KINDS = ['medication', 'follow_up', 'vitals'] as const;
const MEASURES = ['glucose', 'blood_pressure', 'weight', 'temperature', 'heart_rate'] as const;
type Measure = (typeof MEASURES)[number];
const STOP_REASONS = ['completed', 'side_effects', 'patient_request', 'clinician_decision', 'replaced', 'other'] as const;
/** The UCUM units thresholds may be given in, per measure (as the API checks them). */
const THRESHOLD_UNITS: Record<Measure, readonly string[]> = {
  glucose: ['mg/dL', 'mmol/L'], blood_pressure: ['mm[Hg]'], weight: ['kg', '[lb_av]'], temperature: ['Cel', '[degF]'], heart_rate: ['/min'],
};
const UNIT_LABEL: Record<string, string> = { 'mm[Hg]': 'mmHg', Cel: '°C', '[degF]': '°F', '[lb_av]': 'lb', '/min': '/min' };
const unitLabel = (u: string) => UNIT_LABEL[u] ?? u;
/** LOINC codes of the observations, as the server codes them (src/careplans/vitals.ts). */
const MEASURE_OF_CODE: Record<string, Measure> = { '2339-0': 'glucose', '15074-8': 'glucose', '85354-9': 'blood_pressure', '29463-7': 'weight', '8310-5': 'temperature', '8867-4': 'heart_rate' };

const planSchema = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  details: z.object({ medicine: z.string().optional(), dose: z.string().optional(), service: z.string().optional(), measure: z.enum(MEASURES).optional() }),
  rrule: z.string(),
  dtstart: z.string(),
  timeZone: z.string(),
  thresholds: z.object({ low: z.number().nullable(), high: z.number().nullable(), unit: z.string() }).nullable(),
  state: z.enum(['active', 'stopped', 'finished']),
  stoppedAt: z.string().nullable(),
  stopReason: z.string().nullable(),
  nextDue: z.string().nullable(),
  lastDue: z.string().nullable(),
});
type Plan = z.infer<typeof planSchema>;
const adherenceSchema = z.object({ items: z.array(z.object({ planId: z.string(), sent: z.number(), taken: z.number(), snoozed: z.number(), missed: z.number(), answered: z.number(), skipped: z.number(), rate: z.number().nullable() })) });
type Adherence = z.infer<typeof adherenceSchema>['items'][number];
const occurrencesSchema = z.object({ items: z.array(z.object({ id: z.string(), planId: z.string(), dueAt: z.string(), state: z.string(), reason: z.string().nullable(), answeredAt: z.string().nullable() })) });

const coded = z.object({ coding: z.array(z.object({ code: z.string() })) });
const quantity = z.object({ value: z.number(), unit: z.string(), code: z.string().optional() });
/** The FHIR R4 Observation fields the console shows. */
const observationSchema = z.object({
  id: z.string(),
  effectiveDateTime: z.string(),
  code: coded,
  valueQuantity: quantity.optional(),
  component: z.array(z.object({ code: coded, valueQuantity: quantity })).optional(),
  interpretation: z.array(coded).optional(),
  meta: z.object({ source: z.string().optional() }).optional(),
});
type Observation = z.infer<typeof observationSchema>;
const observationsSchema = z.object({ items: z.array(observationSchema) });

const percent = (r: number | null) => (r === null ? '–' : `${Math.round(r * 1000) / 10} %`);
const pad = (n: number) => String(n).padStart(2, '0');

export function CarePlans({ patientId, canWrite }: { patientId: string; canWrite: boolean }) {
  const { t } = useTranslation();
  const base = `/api/patients/${encodeURIComponent(patientId)}`;
  const plans = useLoad(() => api('GET', `${base}/care-plans`, z.object({ items: z.array(planSchema) })), [base]);
  const adherence = useLoad(() => api('GET', `${base}/adherence?days=30`, adherenceSchema), [base]);
  const doses = useLoad(() => api('GET', `${base}/care-plan-occurrences?days=30&limit=20`, occurrencesSchema), [base]);
  const observations = useLoad(() => api('GET', `${base}/observations`, observationsSchema), [base]);
  const services = useLoad(() => api('GET', '/api/services', listOf(serviceSchema)), []);
  const locations = useLoad(() => api('GET', '/api/locations', listOf(locationSchema)), []);
  const zone = locations.data?.items[0]?.timeZone ?? 'UTC';
  const changed = () => { plans.reload(); adherence.reload(); doses.reload(); };
  const serviceName = (code: string | undefined) => services.data?.items.find((s) => s.code === code)?.name ?? code ?? '';
  const planList = plans.data?.items ?? [];

  return (
    <section aria-labelledby="care-plans" className="careplans">
      <h2 id="care-plans">{t('careplans.title')}</h2>
      <ErrorAlert error={plans.error} />
      {plans.loading && !plans.data ? <Loading /> : null}
      {plans.data && planList.length === 0 ? <p className="muted">{t('careplans.none')}</p> : null}
      {planList.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('careplans.kind')}</th><th scope="col">{t('careplans.what')}</th><th scope="col">{t('careplans.schedule')}</th>
                <th scope="col">{t('careplans.nextDue')}</th><th scope="col">{t('careplans.state')}</th><th scope="col">{t('careplans.adherence30')}</th>
                {canWrite ? <th scope="col">{t('careplans.actions')}</th> : null}
              </tr>
            </thead>
            <tbody>
              {planList.map((p) => (
                <PlanRow key={p.id} plan={p} adherence={adherence.data?.items.find((a) => a.planId === p.id) ?? null} what={what(p, t, serviceName)} canWrite={canWrite} base={base} onChanged={changed} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ErrorAlert error={adherence.error} />
      {canWrite ? <AddPlan base={base} zone={zone} services={services.data?.items.filter((s) => s.active).map((s) => ({ code: s.code, name: s.name })) ?? []} onAdded={changed} /> : null}

      <h3>{t('careplans.recentDoses')}</h3>
      <ErrorAlert error={doses.error} />
      {doses.data ? <Doses items={doses.data.items} plans={planList} label={(p) => what(p, t, serviceName)} /> : <Loading />}

      <h3 id="care-observations">{t('careplans.observations')}</h3>
      <ErrorAlert error={observations.error} />
      {observations.data ? <Observations items={observations.data.items} /> : <Loading />}
      {canWrite ? <EnterReading base={base} onRecorded={() => observations.reload()} /> : null}
    </section>
  );
}

/** What the plan is about: "Metformin 500 mg", the service's name, or the measure. */
function what(p: Plan, t: TFunction, serviceName: (code: string | undefined) => string): string {
  if (p.kind === 'medication') return `${p.details.medicine ?? ''} ${p.details.dose ?? ''}`.trim();
  if (p.kind === 'follow_up') return serviceName(p.details.service);
  return p.details.measure ? t(`careplans.measures.${p.details.measure}`) : '';
}

function PlanRow({ plan: p, adherence: a, what: label, canWrite, base, onChanged }: { plan: Plan; adherence: Adherence | null; what: string; canWrite: boolean; base: string; onChanged(): void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const f = zonedFormats(locale, p.timeZone);
  const [stopping, setStopping] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const stop = async () => {
    setError(null);
    try {
      await api('POST', `${base}/care-plans/${encodeURIComponent(p.id)}/stop`, z.unknown(), reason ? { reason } : {});
      setStopping(false);
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const thresholds = p.thresholds ? t('careplans.thresholdsShown', { low: p.thresholds.low ?? '–', high: p.thresholds.high ?? '–', unit: unitLabel(p.thresholds.unit) }) : null;
  return (
    <tr data-plan={p.id} data-state={p.state}>
      <td>{t(`careplans.kinds.${p.kind}`)}</td>
      <td>{label}{thresholds ? <><br /><small className="muted">{thresholds}</small></> : null}</td>
      <td>{scheduleInWords(p, t, locale)}</td>
      <td>{p.nextDue ? `${f.dateTime(p.nextDue)} (${p.timeZone})` : '—'}</td>
      <td>
        <span className={`badge plan-${p.state}`}>{t(`careplans.planStates.${p.state}`)}</span>
        {p.state === 'stopped' && p.stoppedAt ? <><br /><small className="muted">{f.dateTime(p.stoppedAt)}{p.stopReason ? ` · ${t(`careplans.reasons.${p.stopReason}`, { defaultValue: p.stopReason })}` : ''}</small></> : null}
      </td>
      <td>{a ? adherenceText(p, a, t) : '—'}</td>
      {canWrite ? (
        <td>
          {p.state === 'active' && !stopping ? <button type="button" className="secondary" onClick={() => setStopping(true)}>{t('careplans.stop')}</button> : null}
          {stopping ? (
            <div className="stack">
              <SelectField label={t('careplans.stopReason')} value={reason} onChange={setReason}
                options={[['', t('careplans.noReason')], ...STOP_REASONS.map((r) => [r, t(`careplans.reasons.${r}`)] as const)]} />
              <ErrorAlert error={error} />
              <div className="cell-actions">
                <button type="button" className="danger" onClick={() => void stop()}>{t('careplans.confirmStop')}</button>
                <button type="button" className="secondary" onClick={() => setStopping(false)}>{t('careplans.cancel')}</button>
              </div>
            </div>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

function adherenceText(p: Plan, a: Adherence, t: TFunction): string {
  if (p.kind === 'medication') return t('careplans.adherenceMedication', { taken: a.taken, snoozed: a.snoozed, missed: a.missed, rate: percent(a.rate) });
  if (p.kind === 'vitals') return t('careplans.adherenceVitals', { answered: a.answered, missed: a.missed, rate: percent(a.rate) });
  return t('careplans.adherenceFollowUp', { sent: a.sent });
}

function AddPlan({ base, zone, services, onAdded }: { base: string; zone: string; services: { code: string; name: string }[]; onAdded(): void }) {
  const { t } = useTranslation();
  const today = zonedParts(new Date(), zone).day;
  const [kind, setKind] = useState<(typeof KINDS)[number]>('medication');
  const [medicine, setMedicine] = useState('');
  const [dose, setDose] = useState('');
  const [measure, setMeasure] = useState<Measure>('glucose');
  const [times, setTimes] = useState('08:00, 20:00');
  const [start, setStart] = useState(today);
  const [end, setEnd] = useState<'days' | 'until' | 'open'>('days');
  const [days, setDays] = useState('30');
  const [until, setUntil] = useState(addDays(today, 29));
  const [service, setService] = useState('');
  const [inN, setInN] = useState('3');
  const [inUnit, setInUnit] = useState<'weeks' | 'months'>('months');
  const [at, setAt] = useState('09:00');
  const [low, setLow] = useState('');
  const [high, setHigh] = useState('');
  const [unit, setUnit] = useState('mg/dL');
  const [formError, setFormError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    setError(null);
    setNotice(null);
    let body: Record<string, unknown>;
    if (kind === 'follow_up') {
      const n = Number(inN);
      const time = parseTimes(at);
      const code = service || services[0]?.code;
      if (!Number.isInteger(n) || n < 1 || n > 60 || !time || time.length !== 1 || !code) {
        setFormError(t('careplans.badFollowUp'));
        return;
      }
      const day = inUnit === 'weeks' ? addDays(today, 7 * n) : addMonths(today, n);
      body = { kind, details: { service: code }, rrule: 'FREQ=DAILY;COUNT=1', dtstart: `${day}T${pad(Math.floor(time[0]! / 60))}:${pad(time[0]! % 60)}` };
    } else {
      const list = parseTimes(times);
      if (!list) {
        setFormError(t('careplans.badTimes'));
        return;
      }
      let count: number | null = null;
      if (end === 'days') {
        const n = Number(days);
        if (!Number.isInteger(n) || n < 1 || n > 3660) {
          setFormError(t('careplans.badDays'));
          return;
        }
        count = n * list.length;
      } else if (end === 'until') {
        const n = dayDiff(start, until) + 1;
        if (!(n >= 1)) {
          setFormError(t('careplans.badUntil'));
          return;
        }
        count = n * list.length;
      }
      const first = list[0]!;
      body = { kind, rrule: dailyRule(list, count), dtstart: `${start}T${pad(Math.floor(first / 60))}:${pad(first % 60)}`, details: kind === 'medication' ? { medicine, ...(dose.trim() ? { dose } : {}) } : { measure } };
      if (kind === 'vitals' && (low.trim() || high.trim())) {
        const num = (s: string) => (s.trim() ? Number(s.replace(',', '.')) : null);
        const l = num(low);
        const h = num(high);
        if ((l !== null && !Number.isFinite(l)) || (h !== null && !Number.isFinite(h))) {
          setFormError(t('careplans.badThresholds'));
          return;
        }
        body['thresholds'] = { low: l, high: h, unit };
      }
    }
    try {
      await api('POST', `${base}/care-plans`, z.unknown(), body);
      setNotice(t('careplans.added'));
      setMedicine('');
      setDose('');
      onAdded();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="card" aria-labelledby="careplans-add">
      <h3 id="careplans-add">{t('careplans.add')}</h3>
      {notice ? <Notice>{notice}</Notice> : null}
      <div className="grid">
        <SelectField label={t('careplans.kind')} value={kind} onChange={setKind} options={KINDS.map((k) => [k, t(`careplans.kinds.${k}`)] as const)} />
        {kind === 'medication' ? (
          <>
            <Field label={t('careplans.medicine')}>{(id) => <input id={id} value={medicine} onChange={(e) => setMedicine(e.target.value)} required maxLength={120} />}</Field>
            <Field label={t('careplans.dose')}>{(id) => <input id={id} value={dose} onChange={(e) => setDose(e.target.value)} maxLength={60} />}</Field>
          </>
        ) : null}
        {kind === 'vitals' ? (
          <SelectField label={t('careplans.measure')} value={measure} onChange={(m) => { setMeasure(m); setUnit(THRESHOLD_UNITS[m][0]!); }}
            options={MEASURES.map((m) => [m, t(`careplans.measures.${m}`)] as const)} />
        ) : null}
        {kind === 'follow_up' ? (
          <>
            <SelectField label={t('careplans.service')} value={service || services[0]?.code || ''} onChange={setService} options={services.map((s) => [s.code, s.name] as const)} />
            <Field label={t('careplans.inHowLong')}>{(id) => <input id={id} value={inN} onChange={(e) => setInN(e.target.value)} inputMode="numeric" />}</Field>
            <SelectField label={t('careplans.inUnit')} value={inUnit} onChange={setInUnit} options={[['weeks', t('careplans.weeks')], ['months', t('careplans.months')]]} />
            <Field label={t('careplans.atTime')}>{(id) => <input id={id} type="time" value={at} onChange={(e) => setAt(e.target.value)} required />}</Field>
          </>
        ) : (
          <>
            <Field label={t('careplans.times')} hint={t('careplans.timesHint')}>{(id, hint) => <input id={id} aria-describedby={hint} value={times} onChange={(e) => setTimes(e.target.value)} required />}</Field>
            <Field label={t('careplans.start')}>{(id) => <input id={id} type="date" value={start} onChange={(e) => setStart(e.target.value)} required />}</Field>
            <SelectField label={t('careplans.end')} value={end} onChange={setEnd}
              options={[['days', t('careplans.endDays')], ['until', t('careplans.endUntil')], ['open', t('careplans.endOpen')]]} />
            {end === 'days' ? <Field label={t('careplans.days')}>{(id) => <input id={id} value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric" required />}</Field> : null}
            {end === 'until' ? <Field label={t('careplans.untilDate')}>{(id) => <input id={id} type="date" value={until} onChange={(e) => setUntil(e.target.value)} required />}</Field> : null}
          </>
        )}
        {kind === 'vitals' ? (
          <>
            <Field label={t('careplans.low')}>{(id) => <input id={id} value={low} onChange={(e) => setLow(e.target.value)} inputMode="decimal" />}</Field>
            <Field label={t('careplans.high')}>{(id) => <input id={id} value={high} onChange={(e) => setHigh(e.target.value)} inputMode="decimal" />}</Field>
            <SelectField label={t('careplans.unit')} value={unit} onChange={setUnit} options={THRESHOLD_UNITS[measure].map((u) => [u, unitLabel(u)] as const)} />
            <p className="hint">{t('careplans.thresholdsHint')}</p>
          </>
        ) : null}
      </div>
      {formError ? <p className="alert error" role="alert">{formError}</p> : null}
      <ErrorAlert error={error} />
      <div><button type="submit">{t('careplans.addButton')}</button></div>
    </form>
  );
}

function Doses({ items, plans, label }: { items: z.infer<typeof occurrencesSchema>['items']; plans: Plan[]; label(p: Plan): string }) {
  const { t } = useTranslation();
  const locale = useLocale();
  if (items.length === 0) return <p className="muted">{t('careplans.noDoses')}</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead><tr><th scope="col">{t('careplans.when')}</th><th scope="col">{t('careplans.plan')}</th><th scope="col">{t('careplans.outcome')}</th></tr></thead>
        <tbody>
          {items.map((o) => {
            const p = plans.find((x) => x.id === o.planId);
            const f = zonedFormats(locale, p?.timeZone ?? 'UTC');
            return (
              <tr key={o.id} data-occurrence={o.id}>
                <td>{f.dateTime(o.dueAt)}</td>
                <td>{p ? `${t(`careplans.kinds.${p.kind}`)}: ${label(p)}` : '—'}</td>
                <td>
                  <span className={`badge dose-${o.state}`}>{t(`careplans.states.${o.state}`, { defaultValue: o.state })}</span>
                  {o.reason ? ` ${t(`careplans.occurrenceReasons.${o.reason}`, { defaultValue: o.reason })}` : ''}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface Point { at: number; values: number[]; flag: 'H' | 'L' | 'N' | null }

function pointOf(o: Observation): Point {
  const flag = o.interpretation?.[0]?.coding[0]?.code;
  const values = o.component ? o.component.map((c) => c.valueQuantity.value) : o.valueQuantity ? [o.valueQuantity.value] : [];
  return { at: Date.parse(o.effectiveDateTime), values, flag: flag === 'H' || flag === 'L' || flag === 'N' ? flag : null };
}

function valueText(o: Observation, locale: string): string {
  const n = (v: number) => v.toLocaleString(locale, { maximumFractionDigits: 2 });
  if (o.component && o.component.length === 2) return `${n(o.component[0]!.valueQuantity.value)}/${n(o.component[1]!.valueQuantity.value)} ${o.component[0]!.valueQuantity.unit}`;
  return o.valueQuantity ? `${n(o.valueQuantity.value)} ${o.valueQuantity.unit}` : '—';
}

function Observations({ items }: { items: Observation[] }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  if (items.length === 0) return <p className="muted">{t('careplans.noObservations')}</p>;
  // One trend per LOINC code (glucose in mg/dL and in mmol/L are two codes: two scales).
  const codes = [...new Set(items.map((o) => o.code.coding[0]?.code ?? ''))].filter((c) => items.filter((o) => o.code.coding[0]?.code === c).length >= 2);
  return (
    <>
      {codes.length > 0 ? (
        <div className="trends">
          {codes.map((c) => {
            const of = items.filter((o) => o.code.coding[0]?.code === c);
            const m = MEASURE_OF_CODE[c];
            const unit = of[0]?.valueQuantity?.unit ?? of[0]?.component?.[0]?.valueQuantity.unit ?? '';
            return <Trend key={c} label={`${m ? t(`careplans.measures.${m}`) : c} (${unit})`} points={of.map(pointOf).reverse()} />;
          })}
        </div>
      ) : null}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('careplans.when')}</th><th scope="col">{t('careplans.measure')}</th><th scope="col">{t('careplans.value')}</th>
              <th scope="col">{t('careplans.loinc')}</th><th scope="col">{t('careplans.flag')}</th><th scope="col">{t('careplans.source')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => {
              const code = o.code.coding[0]?.code ?? '';
              const m = MEASURE_OF_CODE[code];
              const p = pointOf(o);
              const out = p.flag === 'H' || p.flag === 'L';
              const source = o.meta?.source?.replace('urn:patientline:', '');
              return (
                <tr key={o.id} data-observation={o.id} className={out ? 'out-of-range' : undefined}>
                  <td>{dateTime.format(new Date(o.effectiveDateTime))}</td>
                  <td>{m ? t(`careplans.measures.${m}`) : code}</td>
                  <td>{valueText(o, locale)}</td>
                  <td className="id">{code}</td>
                  <td>{p.flag ? <span className={`badge flag-${p.flag}`}>{t(`careplans.flags.${p.flag}`)}</span> : '—'}</td>
                  <td>{source ? t(`careplans.sources.${source}`, { defaultValue: source }) : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A small inline SVG trend: one line per series (blood pressure: systolic and diastolic), flagged points in red. */
function Trend({ label, points }: { label: string; points: Point[] }) {
  const W = 260;
  const H = 70;
  const P = 6;
  const all = points.flatMap((p) => p.values);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const t0 = points[0]!.at;
  const t1 = points.at(-1)!.at;
  const x = (at: number) => P + (t1 === t0 ? (W - 2 * P) / 2 : ((at - t0) / (t1 - t0)) * (W - 2 * P));
  const y = (v: number) => H - P - (hi === lo ? (H - 2 * P) / 2 : ((v - lo) / (hi - lo)) * (H - 2 * P));
  const series = Math.max(...points.map((p) => p.values.length));
  return (
    <figure className="trend">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {Array.from({ length: series }, (_, i) => (
          <polyline key={i} fill="none" stroke="currentColor" strokeWidth="1.5" points={points.filter((p) => p.values[i] !== undefined).map((p) => `${x(p.at).toFixed(1)},${y(p.values[i]!).toFixed(1)}`).join(' ')} />
        ))}
        {points.flatMap((p, j) => p.values.map((v, i) => <circle key={`${j}-${i}`} cx={x(p.at)} cy={y(v)} r="2.5" className={p.flag === 'H' || p.flag === 'L' ? 'point-out' : 'point'} />))}
      </svg>
      <figcaption>{label}: {lo}–{hi}</figcaption>
    </figure>
  );
}

function EnterReading({ base, onRecorded }: { base: string; onRecorded(): void }) {
  const { t } = useTranslation();
  const [measure, setMeasure] = useState<Measure>('glucose');
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const o = await api('POST', `${base}/observations`, observationSchema, { measure, text });
      const flag = pointOf(o).flag;
      setNotice(flag === 'H' || flag === 'L' ? t('careplans.recordedOut') : t('careplans.recorded'));
      setText('');
      onRecorded();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="card" aria-labelledby="careplans-reading">
      <h3 id="careplans-reading">{t('careplans.enterReading')}</h3>
      {notice ? <Notice>{notice}</Notice> : null}
      <div className="grid">
        <SelectField label={t('careplans.readingMeasure')} value={measure} onChange={setMeasure} options={MEASURES.map((m) => [m, t(`careplans.measures.${m}`)] as const)} />
        <Field label={t('careplans.reading')} hint={t('careplans.readingHint')}>
          {(id, hint) => <input id={id} aria-describedby={hint} value={text} onChange={(e) => setText(e.target.value)} required maxLength={60} autoComplete="off" />}
        </Field>
      </div>
      <ErrorAlert error={error} />
      <div><button type="submit">{t('careplans.record')}</button></div>
    </form>
  );
}
