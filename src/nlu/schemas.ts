// POST /api/nlu/parse: what staff tools and the evaluation send, and the NluResult they get back.
import { z } from 'zod';
import { isTimeZone } from './entities/time-zone.js';
import { INTENTS, LANGUAGES, RED_FLAG_KINDS } from './types.js';

export const parseBody = z.object({
  text: z.string().min(1).max(4096),
  language: z.enum(LANGUAGES).optional(),
  /** IANA zone for dates; default: the clinic's first location's, else Europe/Paris. */
  timeZone: z.string().max(64).refine(isTimeZone, { message: 'must be an IANA time zone, such as Europe/Paris' }).optional(),
}).strict();

const intent = z.enum(INTENTS);
const dateEntity = z.object({
  text: z.string(),
  start: z.string(),
  end: z.string().optional(),
  date: z.string(),
  time: z.string().optional(),
  partOfDay: z.enum(['morning', 'afternoon', 'evening']).optional(),
  dayOnly: z.boolean(),
});
const measurement = z.object({
  kind: z.enum(['glucose', 'blood_pressure', 'temperature', 'weight', 'heart_rate', 'number']),
  text: z.string(),
  value: z.number(),
  unit: z.string().optional(),
  systolic: z.number().optional(),
  diastolic: z.number().optional(),
});

export const parseResponse = z.object({
  language: z.enum(LANGUAGES),
  languageConfidence: z.number(),
  intent,
  confidence: z.number(),
  alternatives: z.array(z.object({ intent, confidence: z.number() })),
  emergency: z.boolean(),
  redFlags: z.array(z.object({ kind: z.enum(RED_FLAG_KINDS), match: z.string() })),
  entities: z.object({
    dates: z.array(dateEntity).optional(),
    measurements: z.array(measurement).optional(),
    phones: z.array(z.string()).optional(),
    dateOfBirth: z.string().optional(),
  }),
});
