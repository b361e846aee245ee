// Numbers with units in a message: glucose ("118 mg/dl", "5.8 mmol/L", "glicemia 110", "Blutzucker 6,1"),
// blood pressure ("120/80", "135 / 85 mmHg", "tension 13/8": the French cmHg habit, read as 130/80),
// temperature ("38.5", "39°C", "101 F"), weight ("72 kg") and heart rate ("pulse 88"). A message that is
// only a number ("5,8") gives kind 'number': what it measures is the asking flow's to say. Decimals take a
// comma or a point.
import type { Measurement } from '../types.js';

const NUM = String.raw`(\d{1,3}(?:[.,]\d{1,2})?)`;
const num = (s: string) => Number(s.replace(',', '.'));

const GLUCOSE_WORDS = String.raw`glucose|glycemie|glycemia|glicemia|glucemia|glicose|glicemia|blutzucker|zucker|sugar|blood sugar|azucar|acucar|sucre|bz|dextro`;
const BP_WORDS = String.raw`tension|ta|pression|pressione|pression arterielle|pressione arteriosa|presion|presion arterial|pressao|pressao arterial|tensao|blutdruck|rr|bp|blood pressure`;
const TEMP_WORDS = String.raw`fever|temp|temperature|fievre|febbre|fiebre|febre|fieber|temperatur|temperatura|thermometre`;
const PULSE_WORDS = String.raw`pulse|heart rate|pouls|frequence cardiaque|fc|polso|battito|battiti|frequenza cardiaca|pulso|frecuencia cardiaca|pulsacao|frequencia cardiaca|puls|herzfrequenz|hf|bpm`;

/** Lower case without accents, one character for one. */
function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const f = ch.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
    out += f.length === 1 ? f : ch;
  }
  return out;
}

interface Found extends Measurement {
  index: number;
  end: number;
}

export function extractMeasurements(text: string): Measurement[] {
  const t = fold(text);
  const found: Found[] = [];
  const free = (i: number, e: number) => !found.some((f) => i < f.end && e > f.index);
  const add = (m: RegExpMatchArray, value: Omit<Measurement, 'text'>) => {
    const index = m.index ?? 0;
    const end = index + m[0].length;
    if (!free(index, end)) return;
    found.push({ ...value, text: text.slice(index, end).trim(), index, end });
  };

  // Blood pressure: a/b with a unit or a word, or in the range of one.
  for (const m of t.matchAll(new RegExp(String.raw`(?:\b(?:${BP_WORDS})\b[^\d\n]{0,12})?(?<![\d/.,])(\d{1,3})\s*\/\s*(\d{1,3})(?![\d/])(?:\s*(mm\s*hg|mmhg|cm\s*hg|cmhg))?`, 'g'))) {
    let sys = Number(m[1]);
    let dia = Number(m[2]);
    const worded = new RegExp(String.raw`\b(?:${BP_WORDS})\b`).test(m[0]);
    const unit = m[3] ?? '';
    if ((worded || /cm/.test(unit)) && sys < 30 && dia < 20) {
      sys *= 10;
      dia *= 10;
    }
    if (!(sys >= 60 && sys <= 260 && dia >= 30 && dia <= 160 && sys > dia)) continue;
    if (!worded && !unit && !(sys >= 80 && dia >= 40)) continue;
    add(m, { kind: 'blood_pressure', value: sys, unit: 'mm[Hg]', systolic: sys, diastolic: dia });
  }

  // Glucose with a unit, or a glucose word before a number.
  for (const m of t.matchAll(new RegExp(String.raw`${NUM}\s*(mg\s*\/\s*dl|mg\/dl|mg|mmol\s*\/\s*l|mmol)\b`, 'g'))) {
    const unit = /mmol/.test(m[2] ?? '') ? 'mmol/L' : 'mg/dL';
    add(m, { kind: 'glucose', value: num(m[1] ?? '0'), unit });
  }
  for (const m of t.matchAll(new RegExp(String.raw`\b(?:${GLUCOSE_WORDS})\b[^\d\n]{0,20}?${NUM}(?![\d/])`, 'g'))) {
    const value = num(m[1] ?? '0');
    add(m, { kind: 'glucose', value, unit: value < 35 ? 'mmol/L' : 'mg/dL' });
  }

  // Temperature: a degree sign or word, an F/C unit, or a fever word before a number.
  for (const m of t.matchAll(new RegExp(String.raw`${NUM}\s*(?:°|º|degrees?|degres?|grados?|gradi|graus?|grad)?\s*(c|f|celsius|fahrenheit)?(?![a-z\d])`, 'g'))) {
    const raw = m[0];
    const degree = /°|º|degre|grad/.test(raw);
    const unitLetter = m[2] ?? '';
    const value = num(m[1] ?? '0');
    if (!degree && !unitLetter) continue;
    const fahrenheit = /^f/.test(unitLetter) || (!unitLetter && value >= 90 && value <= 110);
    if (fahrenheit ? !(value >= 90 && value <= 110) : !(value >= 34 && value <= 43)) continue;
    add(m, { kind: 'temperature', value, unit: fahrenheit ? '[degF]' : 'Cel' });
  }
  for (const m of t.matchAll(new RegExp(String.raw`\b(?:${TEMP_WORDS})\b[^\d\n]{0,12}?${NUM}(?![\d/])`, 'g'))) {
    const value = num(m[1] ?? '0');
    if (value >= 34 && value <= 43) add(m, { kind: 'temperature', value, unit: 'Cel' });
    else if (value >= 90 && value <= 110) add(m, { kind: 'temperature', value, unit: '[degF]' });
  }

  // Weight.
  for (const m of t.matchAll(new RegExp(String.raw`${NUM}\s*(kg|kgs|kilos?|kilogram(?:me)?s?|lbs?)\b`, 'g'))) {
    const value = num(m[1] ?? '0');
    add(m, /lb/.test(m[2] ?? '') ? { kind: 'weight', value, unit: '[lb_av]' } : { kind: 'weight', value, unit: 'kg' });
  }

  // Heart rate.
  for (const m of t.matchAll(new RegExp(String.raw`\b(?:${PULSE_WORDS})\b[^\d\n]{0,12}?(\d{2,3})(?![\d/]|[.,]\d)|(\d{2,3})\s*(?:bpm|\/\s*min|pulsations|battiti|latidos|schlage)\b`, 'g'))) {
    const value = Number(m[1] ?? m[2]);
    if (value >= 25 && value <= 250) add(m, { kind: 'heart_rate', value, unit: '/min' });
  }

  // A message that is only a number: what it measures is the flow's to say.
  const bare = /^\s*(\d{1,4}(?:[.,]\d{1,2})?)\s*$/.exec(t);
  if (bare && found.length === 0) found.push({ kind: 'number', value: num(bare[1] ?? '0'), text: text.trim(), index: 0, end: text.length });

  return found.sort((a, b) => a.index - b.index).map(({ index: _i, end: _e, ...m }) => m);
}
