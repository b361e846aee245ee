// The FAQ API's shapes (zod: validation, types and the OpenAPI document). They mirror migration 0015's
// checks so that bad input gets a clear 400 before SQL; the database's checks stay the last word.
import { z } from 'zod';
import { listQuery } from '../http/api.js';
import { LANGUAGES } from '../nlu/types.js';
import { isBuiltInTopic, topicSchema } from './topics.js';

const text = (max: number) => z.string().trim().min(1, 'must not be blank').max(max, `must be at most ${max} characters`);
export const faqLanguage = z.enum(LANGUAGES);
export const httpsLink = z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2000);

export const faqInput = z
  .object({
    topic: topicSchema,
    language: faqLanguage,
    /** null: the clinic-wide answer; a location's own answer wins over it for that location. */
    locationId: z.uuid().nullable().default(null),
    question: text(500),
    variants: z.array(text(500)).max(30, 'at most 30 variants').default([]),
    answer: text(4096),
    link: httpsLink.nullable().default(null),
    /** The topic's list title in this language (≤ 24 characters); required for a staff-defined topic. */
    title: text(24).nullable().default(null),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!isBuiltInTopic(v.topic) && v.title === null) ctx.addIssue({ code: 'custom', path: ['title'], message: 'a staff-defined topic needs a title' });
    if (new Set(v.variants.map((x) => x.toLowerCase())).size !== v.variants.length) ctx.addIssue({ code: 'custom', path: ['variants'], message: 'must not repeat a variant' });
  });
export type FaqInput = z.output<typeof faqInput>;

export const faqItem = z.object({
  id: z.uuid(),
  topic: z.string(),
  language: z.string(),
  locationId: z.string().nullable(),
  question: z.string(),
  variants: z.array(z.string()),
  answer: z.string(),
  link: z.string().nullable(),
  title: z.string().nullable(),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string().nullable(),
});
export type FaqItem = z.infer<typeof faqItem>;

export const faqListQuery = listQuery.extend({ topic: topicSchema.optional(), language: faqLanguage.optional() });
export const faqParams = z.object({ id: z.uuid() });

export const faqMatchBody = z.object({ text: text(4096), language: faqLanguage }).strict();
export const faqMatchResult = z.object({
  match: z
    .object({ id: z.uuid(), topic: z.string(), language: z.string(), question: z.string(), answer: z.string(), link: z.string().nullable(), score: z.number().min(0).max(1) })
    .nullable(),
  threshold: z.number(),
});
