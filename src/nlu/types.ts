// The contract of the understanding layer (src/nlu): what `parse` returns for one patient message. The
// conversation engine, the flows, POST /api/nlu/parse and the benchmarks all read this shape; the /api
// response is `{ language, intent, confidence, emergency, entities }` plus the extra fields below.

export const LANGUAGES = ['en', 'fr', 'it', 'es', 'pt', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

/** shared/ARCHITECTURE.md's intent list, in its order. */
export const INTENTS = [
  'greeting',
  'thanks',
  'book_appointment',
  'reschedule_appointment',
  'cancel_appointment',
  'confirm_appointment',
  'appointment_status',
  'opening_hours',
  'location',
  'insurance',
  'payment',
  'accessibility',
  'lab_results',
  'prescription_renewal',
  'symptoms',
  'talk_to_human',
  'opt_out',
  'opt_in',
  'feedback',
  'other',
] as const;
export type Intent = (typeof INTENTS)[number];

/** The kinds of red-flag emergency detected in every language (src/nlu/redflags). */
export const RED_FLAG_KINDS = [
  'chest_pain',
  'stroke',
  'breathing',
  'bleeding',
  'unconscious',
  'seizure',
  'anaphylaxis',
  'poisoning',
  'self_harm',
  'infant_fever',
  'pregnancy_bleeding',
  'other_emergency',
] as const;
export type RedFlagKind = (typeof RED_FLAG_KINDS)[number];

export interface RedFlag {
  kind: RedFlagKind;
  /** The words of the message that raised it (PHI: never logged). */
  match: string;
}

/** A date or time the patient named, resolved against `now` in the clinic's time zone. */
export interface DateEntity {
  /** The words it came from. */
  text: string;
  /** ISO 8601 instant (UTC) of the start of what was named: a day's local midnight, or the time named. */
  start: string;
  /** ISO instant of the end when a range or a part of the day was named ("tomorrow morning"). */
  end?: string;
  /** The local calendar date in the clinic's zone, YYYY-MM-DD. */
  date: string;
  /** The local time HH:MM when a time was named. */
  time?: string;
  partOfDay?: 'morning' | 'afternoon' | 'evening';
  /** Only a weekday or a day was named, no time. */
  dayOnly: boolean;
}

export type MeasurementKind = 'glucose' | 'blood_pressure' | 'temperature' | 'weight' | 'heart_rate' | 'number';
export interface Measurement {
  kind: MeasurementKind;
  text: string;
  value: number;
  /** UCUM-style unit as written or implied: 'mg/dL', 'mmol/L', 'mm[Hg]', 'Cel', '[degF]', 'kg', '/min'. */
  unit?: string;
  /** Blood pressure only. */
  systolic?: number;
  diastolic?: number;
}

export interface Entities {
  dates?: DateEntity[];
  measurements?: Measurement[];
  /** E.164 when it can be normalised, else the digits as written. */
  phones?: string[];
  /** YYYY-MM-DD, only when the message reads as a date of birth (a plausible past date). */
  dateOfBirth?: string;
}

export interface NluResult {
  language: Language;
  languageConfidence: number;
  intent: Intent;
  /** 0..1 */
  confidence: number;
  /** The next intents by confidence (at most 3), for the clarifying question. */
  alternatives: { intent: Intent; confidence: number }[];
  emergency: boolean;
  redFlags: RedFlag[];
  entities: Entities;
}

export interface ParseOptions {
  /** A language the caller already knows (the patient's preference); detection may still override it. */
  language?: Language;
  now: Date;
  /** IANA zone for dates and times (the clinic's location). */
  timeZone: string;
}

/** A loaded model: parse is synchronous CPU work with no I/O. */
export interface Nlu {
  parse(text: string, opts: ParseOptions): NluResult;
}
