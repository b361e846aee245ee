// Entities of a message, each found by its own pure function: dates and times (relative to `now` in the
// clinic's zone), measurements with units, phone numbers and a date of birth. Only what was found is set.
import type { Entities, Language } from '../types.js';
import { extractDateOfBirth } from './date-of-birth.js';
import { extractDates } from './dates.js';
import { extractMeasurements } from './measurements.js';
import { extractPhones } from './phones.js';

export interface EntityOptions {
  language: Language;
  now: Date;
  timeZone: string;
  /** Region for national phone numbers (default FR, the demo clinic's). */
  phoneRegion?: string;
}

export function extractEntities(text: string, o: EntityOptions): Entities {
  const entities: Entities = {};
  const dateOfBirth = extractDateOfBirth(text, o.language, o.now);
  if (dateOfBirth) entities.dateOfBirth = dateOfBirth;
  // A date of birth is not an appointment date.
  const dates = extractDates(text, o).filter((d) => !dateOfBirth || d.date !== dateOfBirth);
  if (dates.length) entities.dates = dates;
  const measurements = extractMeasurements(text);
  if (measurements.length) entities.measurements = measurements;
  const phones = extractPhones(text, o.phoneRegion ?? 'FR');
  if (phones.length) entities.phones = phones;
  return entities;
}

export { extractDateOfBirth } from './date-of-birth.js';
export { extractDates, PART_OF_DAY_HOURS } from './dates.js';
export { extractMeasurements } from './measurements.js';
export { extractPhones, normalizePhone } from './phones.js';
export { fromLocal, isTimeZone, offsetMinutes, toLocal } from './time-zone.js';
