// A vitals answer as a reading: the measurements src/nlu found in the patient's words, read as the measure
// the prompt asked for (a bare "5,8" is glucose in mmol/L when glucose was asked), normalised to one unit per
// code (temperature in °C, weight in kg; glucose in the unit written, mg/dL or mmol/L, each its own LOINC
// code), interpreted against the plan's thresholds (converted into the reading's unit), and shaped as a FHIR
// R4 Observation. Pure.
import { extractMeasurements } from '../nlu/entities/measurements.js';
import type { Measurement } from '../nlu/types.js';
import { numberFormat } from '../lib/intl.js';

export const MEASURES = ['glucose', 'blood_pressure', 'weight', 'temperature', 'heart_rate'] as const;
export type Measure = (typeof MEASURES)[number];
export type Interpretation = 'normal' | 'low' | 'high';

export interface Reading {
  /** LOINC. */
  code: string;
  /** UCUM. */
  unit: string;
  /** The value (the systolic pressure for blood pressure). */
  value: number;
  systolic?: number;
  diastolic?: number;
}

export interface Thresholds {
  low: number | null;
  high: number | null;
  /** UCUM unit of low/high ('mg/dL', 'mmol/L', 'mm[Hg]' (systolic), 'Cel', 'kg', '/min'). */
  unit: string;
}

export const LOINC: Record<string, string> = {
  '2339-0': 'Glucose [Mass/volume] in Blood',
  '15074-8': 'Glucose [Moles/volume] in Blood',
  '85354-9': 'Blood pressure panel with all children optional',
  '8480-6': 'Systolic blood pressure',
  '8462-4': 'Diastolic blood pressure',
  '29463-7': 'Body weight',
  '8310-5': 'Body temperature',
  '8867-4': 'Heart rate',
};

/** mg/dL per mmol/L of glucose (molar mass 180.16 g/mol). */
const GLUCOSE_FACTOR = 18.016;
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function glucose(value: number, unit: string | undefined): Reading | null {
  const mmol = unit === 'mmol/L' || (unit === undefined && value < 35);
  if (mmol) return value >= 1 && value <= 45 ? { code: '15074-8', unit: 'mmol/L', value } : null;
  return value >= 20 && value <= 800 ? { code: '2339-0', unit: 'mg/dL', value } : null;
}

function temperature(value: number, unit: string | undefined): Reading | null {
  const f = unit === '[degF]' || (unit === undefined && value >= 90 && value <= 110);
  const c = f ? round(((value - 32) * 5) / 9, 1) : value;
  return c >= 30 && c <= 45 ? { code: '8310-5', unit: 'Cel', value: c } : null;
}

function weight(value: number, unit: string | undefined): Reading | null {
  const kg = unit === '[lb_av]' ? round(value * 0.45359237, 1) : value;
  return kg >= 1 && kg <= 400 ? { code: '29463-7', unit: 'kg', value: kg } : null;
}

/** The reading of `measure` among the measurements, or null when none is one (or plausible). */
export function readingOf(measure: Measure, found: readonly Measurement[]): Reading | null {
  for (const m of found) {
    if (measure === 'blood_pressure' && m.kind === 'blood_pressure' && m.systolic !== undefined && m.diastolic !== undefined) {
      return { code: '85354-9', unit: 'mm[Hg]', value: m.systolic, systolic: m.systolic, diastolic: m.diastolic };
    }
    if (m.kind !== measure && m.kind !== 'number') continue;
    const unit = m.kind === 'number' ? undefined : m.unit;
    const r = measure === 'glucose' ? glucose(m.value, unit)
      : measure === 'temperature' ? temperature(m.value, unit)
      : measure === 'weight' ? weight(m.value, unit)
      : measure === 'heart_rate' ? (m.value >= 20 && m.value <= 250 && Number.isInteger(m.value) ? { code: '8867-4', unit: '/min', value: m.value } : null)
      : null;
    if (r) return r;
  }
  return null;
}

/** A threshold in the reading's unit (glucose thresholds in either unit, temperature in °C or °F). */
function inUnit(v: number, from: string, to: string): number {
  if (from === to) return v;
  if (from === 'mmol/L' && to === 'mg/dL') return v * GLUCOSE_FACTOR;
  if (from === 'mg/dL' && to === 'mmol/L') return v / GLUCOSE_FACTOR;
  if (from === '[degF]' && to === 'Cel') return ((v - 32) * 5) / 9;
  if (from === '[lb_av]' && to === 'kg') return v * 0.45359237;
  return v;
}

export function interpret(r: Reading, t: Thresholds | null): Interpretation {
  if (!t) return 'normal';
  const low = t.low === null ? null : inUnit(t.low, t.unit, r.unit);
  const high = t.high === null ? null : inUnit(t.high, t.unit, r.unit);
  if (high !== null && r.value > high) return 'high';
  if (low !== null && r.value < low) return 'low';
  return 'normal';
}

/** How the reading is said back: "118 mg/dL", "135/85 mmHg", "37.8 °C". */
export function formatReading(r: Reading, locale: string): string {
  const n = (v: number) => numberFormat(locale, { maximumFractionDigits: 2 }).format(v);
  if (r.systolic !== undefined && r.diastolic !== undefined) return `${r.systolic}/${r.diastolic} mmHg`;
  const unit = r.unit === 'Cel' ? '°C' : r.unit === '/min' ? 'bpm' : r.unit;
  return `${n(r.value)} ${unit}`;
}

const UCUM = 'http://unitsofmeasure.org';
const coding = (code: string) => ({ system: 'http://loinc.org', code, display: LOINC[code] ?? code });
const quantity = (value: number, unit: string) => ({ value, unit: unit === 'mm[Hg]' ? 'mmHg' : unit === 'Cel' ? '°C' : unit, system: UCUM, code: unit });
const INTERPRETATION: Record<Interpretation, { code: string; display: string }> = { normal: { code: 'N', display: 'Normal' }, low: { code: 'L', display: 'Low' }, high: { code: 'H', display: 'High' } };

export interface StoredObservation {
  id: string;
  patientId: string;
  planId: string | null;
  code: string;
  unit: string;
  value: { value?: number; systolic?: number; diastolic?: number };
  effectiveAt: Date;
  interpretation: Interpretation | null;
  source: 'whatsapp' | 'staff';
}

/** A FHIR R4 Observation (vital-signs category). */
export function fhirObservation(o: StoredObservation): Record<string, unknown> {
  const base: Record<string, unknown> = {
    resourceType: 'Observation',
    id: o.id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [coding(o.code)] },
    subject: { reference: `Patient/${o.patientId}` },
    // Who reported it: the patient over WhatsApp or clinic staff (FHIR meta.source is a URI).
    meta: { source: `urn:patientline:${o.source}` },
    ...(o.planId ? { basedOn: [{ reference: `CarePlan/${o.planId}` }] } : {}),
    effectiveDateTime: o.effectiveAt.toISOString(),
    ...(o.interpretation ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', ...INTERPRETATION[o.interpretation] }] }] } : {}),
  };
  if (o.code === '85354-9') {
    base['component'] = [
      { code: { coding: [coding('8480-6')] }, valueQuantity: quantity(o.value.systolic ?? 0, 'mm[Hg]') },
      { code: { coding: [coding('8462-4')] }, valueQuantity: quantity(o.value.diastolic ?? 0, 'mm[Hg]') },
    ];
  } else {
    base['valueQuantity'] = quantity(o.value.value ?? 0, o.unit);
  }
  return base;
}

/** The UCUM units a reading (or a threshold) of each measure may be given in. */
export const MEASURE_UNITS: Record<Measure, readonly string[]> = {
  glucose: ['mg/dL', 'mmol/L'], blood_pressure: ['mm[Hg]'], weight: ['kg', '[lb_av]'], temperature: ['Cel', '[degF]'], heart_rate: ['/min'],
};

/** What staff type into the console: the words as the patient would send them, or a number with its unit. */
export type StaffEntry = { text: string } | { value: number; unit?: string; diastolic?: number };

/**
 * Staff's entry read as a reading of `measure`, by the same extractor and the same reading rules as the
 * patient's chat answer (so "5,8" or "118 mg/dl" mean the same thing at the desk and on WhatsApp); null when
 * it is not one (or not plausible).
 */
export function readingOfEntry(measure: Measure, e: StaffEntry): Reading | null {
  if ('text' in e) return readingOf(measure, extractMeasurements(e.text));
  if (measure === 'blood_pressure') {
    if (e.diastolic === undefined) return null;
    // As a typed "120/80": the extractor's plausibility rules (systolic above diastolic, in range).
    return readingOf(measure, extractMeasurements(`${e.value}/${e.diastolic} mmHg`));
  }
  const m: Measurement = e.unit === undefined ? { kind: 'number', text: String(e.value), value: e.value } : { kind: measure, text: String(e.value), value: e.value, unit: e.unit };
  return readingOf(measure, [m]);
}
