// zod schemas for the clinic's reference data (locations, practitioners, services, hours, FAQ). They mirror
// the checks of migration 0002 so that bad input is refused with a clear message before it reaches SQL;
// the database checks stay the last word.
import { z } from 'zod';

/** The FAQ topics a clinic answers. The first five are NLU intents (shared/ARCHITECTURE.md); the CHECK on
 * faq_entries.intent lists the same values. */
export const FAQ_INTENTS = [
  'opening_hours',
  'location',
  'insurance',
  'payment',
  'accessibility',
  'what_to_bring',
  'cancellation_policy',
] as const;
export const faqIntent = z.enum(FAQ_INTENTS);
export type FaqIntent = z.infer<typeof faqIntent>;

export const slug = z.string().max(64).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a lowercase slug such as general-consultation');
export const languageTag = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language tag such as en or pt-BR');
export const languageList = z
  .array(languageTag)
  .min(1)
  .max(32)
  .refine((l) => new Set(l).size === l.length, 'must not repeat a language');

const ianaZoneName = /^(UTC|(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)?)$/;

function knownToIntl(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An IANA zone id that both this Node.js (slot arithmetic) and the database's check accept. */
export const timeZone = z
  .string()
  .regex(ianaZoneName, 'must be an IANA time zone such as Europe/Paris')
  .refine(knownToIntl, 'is not a time zone this server knows');

export const localizedText = z
  .record(languageTag, z.string().trim().min(1))
  .refine((t) => Object.keys(t).length > 0, 'needs at least one language');

export const e164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +33199004242');
export const emergencyNumber = z.string().regex(/^[0-9]{2,6}$/, 'must be a short emergency number such as 112');
/** 'HH:MM' local wall-clock time; 24:00 closes a day. */
export const localTime = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'must be a time such as 08:30');
export const weekday = z.number().int().min(1, 'ISO weekday: 1 = Monday').max(7, 'ISO weekday: 7 = Sunday');

export const weeklyRule = z
  .object({ weekday, start: localTime, end: localTime })
  .refine((r) => r.end > r.start, 'must end after it starts');
export type WeeklyRule = z.infer<typeof weeklyRule>;

/** A closure in a location's local calendar: from the start of `from` to the end of `to` (inclusive). */
const localDate = z.iso.date();
const address = z.object({
  line1: z.string().trim().min(1),
  line2: z.string().trim().min(1).nullable().default(null),
  postalCode: z.string().trim().min(1),
  city: z.string().trim().min(1),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR'),
});

const locationDefinition = z.object({
  code: slug,
  name: z.string().trim().min(1).max(200),
  address,
  timeZone,
  phone: e164.nullable().default(null),
  emergencyNumber,
  languages: languageList,
  accessibilityNotes: localizedText.nullable().default(null),
  latitude: z.number().min(-90).max(90).nullable().default(null),
  longitude: z.number().min(-180).max(180).nullable().default(null),
  /** When the doors are open. */
  hours: z.array(weeklyRule).min(1),
  closures: z
    .array(z.object({ from: localDate, to: localDate, reason: z.string().trim().min(1).max(200) }).refine((c) => c.to >= c.from, 'must end on or after its first day'))
    .default([]),
});

const practitionerDefinition = z.object({
  code: slug,
  displayName: z.string().trim().min(1).max(200),
  title: z.string().trim().min(1).max(40).nullable().default(null),
  specialties: z.array(slug).default([]),
  languages: languageList,
  /** Where the practitioner works, which services they give there, and their weekly sessions. */
  at: z.array(z.object({ location: slug, services: z.array(slug).min(1), sessions: z.array(weeklyRule).min(1) })).min(1),
});

/** Words patients use for a service, lower case (the chat matches them without accents or case anyway). */
export const serviceKeywords = z.array(z.string().trim().toLowerCase().min(2).max(60)).max(60).default([]);

const serviceDefinition = z.object({
  code: slug,
  name: localizedText,
  instructions: localizedText.nullable().default(null),
  durationMinutes: z.number().int().min(1).max(480),
  bufferMinutes: z.number().int().min(0).max(240).default(0),
  requiresReferral: z.boolean().default(false),
  /** A video visit: each appointment gets a join link (VIDEO_URL_TEMPLATE). */
  mode: z.enum(['in_person', 'video']).default('in_person'),
  /** What patients call it besides its names, in any language (matched in chat). */
  keywords: serviceKeywords,
  /** Only given in these windows at these locations (e.g. fasting blood tests in the morning). */
  windows: z.array(z.object({ location: slug }).and(weeklyRule)).default([]),
});

const faqDefinition = z.object({
  intent: faqIntent,
  language: languageTag,
  question: z.string().trim().min(1).max(500),
  answer: z.string().trim().min(1).max(4096),
  /** Other ways patients ask it (matched on meaning by src/faq). */
  variants: z.array(z.string().trim().min(1).max(500)).max(30).default([]),
  link: z.url({ protocol: /^https$/ }).nullable().default(null),
});

/** A whole clinic as reference data, cross-checked: every code it mentions is defined, every text is in the
 * clinic's default language. The demo clinic is one; an import command could load others. */
export const clinicDefinition = z
  .object({
    code: slug,
    name: z.string().trim().min(1).max(200),
    defaultLanguage: languageTag,
    languages: languageList,
    emergencyNumber,
    phone: e164.nullable().default(null),
    email: z.email().nullable().default(null),
    website: z.url({ protocol: /^https?$/ }).nullable().default(null),
    /** For suicidal thoughts and self-harm, given beside the emergency number (France: 3114). */
    crisisLine: z.string().regex(/^(\+[1-9][0-9]{6,14}|[0-9]{2,15})$/, 'must be digits or an E.164 number such as 3114').nullable().default(null),
    locations: z.array(locationDefinition).min(1),
    practitioners: z.array(practitionerDefinition),
    services: z.array(serviceDefinition),
    faq: z.array(faqDefinition).default([]),
  })
  .superRefine((c, ctx) => {
    const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });
    const unique = (codes: string[], what: string) => {
      if (new Set(codes).size !== codes.length) issue(`${what} codes must be unique`, [what]);
    };
    unique(c.locations.map((l) => l.code), 'locations');
    unique(c.practitioners.map((p) => p.code), 'practitioners');
    unique(c.services.map((s) => s.code), 'services');
    if (!c.languages.includes(c.defaultLanguage)) issue('must be one of languages', ['defaultLanguage']);
    const locations = new Set(c.locations.map((l) => l.code));
    const services = new Set(c.services.map((s) => s.code));
    c.practitioners.forEach((p, i) =>
      p.at.forEach((a, j) => {
        if (!locations.has(a.location)) issue(`unknown location ${a.location}`, ['practitioners', i, 'at', j, 'location']);
        for (const s of a.services) if (!services.has(s)) issue(`unknown service ${s}`, ['practitioners', i, 'at', j, 'services']);
      }),
    );
    c.services.forEach((s, i) => {
      if (!(c.defaultLanguage in s.name)) issue(`needs a name in ${c.defaultLanguage}`, ['services', i, 'name']);
      s.windows.forEach((w, j) => {
        if (!locations.has(w.location)) issue(`unknown location ${w.location}`, ['services', i, 'windows', j, 'location']);
      });
    });
    const faqKeys = c.faq.map((f) => `${f.intent}/${f.language}`);
    if (new Set(faqKeys).size !== faqKeys.length) issue('one answer per intent and language', ['faq']);
    c.faq.forEach((f, i) => {
      if (!c.languages.includes(f.language)) issue(`${f.language} is not a clinic language`, ['faq', i, 'language']);
    });
  });
export type ClinicDefinition = z.output<typeof clinicDefinition>;
export type ClinicDefinitionInput = z.input<typeof clinicDefinition>;
