// The patients API's shapes (zod: validation, types and the OpenAPI document).
import { z } from 'zod';
import { listQuery } from '../http/api.js';

/** 1..100 characters of any script; no control characters (they have no place in a name). */
const name = z.string()
  .refine((s) => [...s].length >= 1 && [...s].length <= 100, 'must be 1 to 100 characters')
  .refine((s) => s.trim().length > 0, 'must not be blank')
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');

/** A real calendar date 'YYYY-MM-DD' (the route checks it is not in the future). */
export const calendarDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').refine((s) => {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d && y >= 1880;
}, 'must be a real date');

export const patientPatch = z.object({
  givenName: name.nullable().optional(),
  familyName: name.nullable().optional(),
  dateOfBirth: calendarDate.nullable().optional(),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as fr or pt-BR').nullable().optional(),
}).strict();

export const searchQuery = listQuery.extend({ q: z.string().max(200).optional() });

export const patientSummarySchema = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  language: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastInboundAt: z.iso.datetime().nullable(),
  optedOut: z.boolean(),
});

const consentState = z.object({ granted: z.boolean(), at: z.iso.datetime(), channel: z.string() }).nullable();
export const consentsSchema = z.object({ care: consentState, sensitive: consentState, surveys: consentState, campaigns: consentState });
export type Consents = z.infer<typeof consentsSchema>;

export const patientDetailSchema = patientSummarySchema.extend({
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  dateOfBirth: z.string().nullable(),
  consents: consentsSchema,
});

export const patientParams = z.object({ id: z.string().max(100) });
