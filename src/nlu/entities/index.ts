// Entities of a message: dates and times, measurements, phone numbers, a date of birth.
import type { Entities, Language } from '../types.js';

export interface EntityOptions {
  language: Language;
  now: Date;
  timeZone: string;
}

export function extractEntities(_text: string, _o: EntityOptions): Entities {
  return {};
}
