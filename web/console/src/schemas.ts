// The /api shapes the console reads (docs: /work/briefs/api-contract.md → README), validated with zod as
// they arrive: a response the console does not understand is an error shown to the user, not a crash later.
import { z } from 'zod';

export const ROLES = ['admin', 'clinician', 'reception', 'analyst'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

const id = z.union([z.string(), z.number()]).transform(String);
const instant = z.string();

export const userSchema = z.object({
  id,
  email: z.string(),
  displayName: z.string().nullable().optional(),
  role: roleSchema,
  totpEnabled: z.boolean().optional().default(false),
  disabled: z.boolean().optional().default(false),
  createdAt: instant.optional(),
  lastLoginAt: instant.nullable().optional(),
});
export type User = z.infer<typeof userSchema>;

export const sessionSchema = z.object({ user: userSchema, csrfToken: z.string() });
export type Session = z.infer<typeof sessionSchema>;

export const loginSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), user: userSchema, csrfToken: z.string() }),
  z.object({ status: z.literal('totp_required') }),
  // The account must have a second factor and has none yet: enrol now, then the code completes the login.
  z.object({ status: z.literal('totp_setup_required'), secret: z.string(), otpauthUrl: z.string() }),
]);

export const authInfoSchema = z.object({ sandbox: z.boolean(), demoEmail: z.string().nullable().optional() });

export const totpSetupSchema = z.object({ secret: z.string(), otpauthUrl: z.string() });

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().optional().default(null) });
}

export const PURPOSES = ['care', 'sensitive', 'surveys', 'campaigns'] as const;
export const purposeSchema = z.enum(PURPOSES);

export const patientSchema = z.object({
  id,
  displayName: z.string().nullable().optional(),
  phoneMasked: z.string().nullable().optional(),
  language: z.string().nullable().optional(),
  createdAt: instant.nullable().optional(),
  lastInboundAt: instant.nullable().optional(),
  optedOut: z.boolean().optional().default(false),
});
export type Patient = z.infer<typeof patientSchema>;

const currentConsent = z.object({ granted: z.boolean(), at: instant.nullable().optional(), channel: z.string().nullable().optional() }).nullable();

export const patientDetailSchema = patientSchema.extend({
  dateOfBirth: z.string().nullable().optional(),
  consents: z.record(z.string(), currentConsent.optional()).optional().default({}),
});
export type PatientDetail = z.infer<typeof patientDetailSchema>;

const staffRef = z.union([z.string(), z.number().transform(String), z.object({ id: id.optional(), email: z.string().optional(), displayName: z.string().nullable().optional() })]);

export const consentEventSchema = z.object({
  id,
  purpose: z.string(),
  granted: z.boolean(),
  textVersion: z.string().nullable().optional(),
  language: z.string().nullable().optional(),
  channel: z.string().nullable().optional(),
  recordedBy: staffRef.nullable().optional(),
  at: instant,
});
export type ConsentEvent = z.infer<typeof consentEventSchema>;

export const auditEntrySchema = z.object({
  id,
  at: instant,
  actorType: z.string(),
  actorId: id.nullable().optional(),
  action: z.string(),
  patientId: id.nullable().optional(),
  target: z.string().nullable().optional(),
  ip: z.string().nullable().optional(),
  details: z.unknown().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

// Scheduling: the catalogue (GET /api/services, /api/practitioners, /api/locations), free slots and appointments.
export const MODES = ['in_person', 'video'] as const;

export const serviceSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  names: z.record(z.string(), z.string()),
  instructions: z.record(z.string(), z.string()).nullable(),
  durationMinutes: z.number(),
  bufferMinutes: z.number(),
  mode: z.enum(MODES),
  leadTimeMinutes: z.number(),
  horizonDays: z.number(),
  slotStepMinutes: z.number(),
  requiresReferral: z.boolean(),
  active: z.boolean(),
  givenBy: z.array(z.object({ practitionerId: z.string(), locationId: z.string() })),
});
export type Service = z.infer<typeof serviceSchema>;

export const practitionerSchema = z.object({
  id: z.string(),
  code: z.string(),
  displayName: z.string(),
  title: z.string().nullable(),
  specialties: z.array(z.string()),
  languages: z.array(z.string()),
  active: z.boolean(),
  givesServices: z.array(z.object({ serviceId: z.string(), locationId: z.string() })),
});
export type Practitioner = z.infer<typeof practitionerSchema>;

export const locationSchema = z.object({ id: z.string(), code: z.string(), name: z.string(), timeZone: z.string(), active: z.boolean() });
export type Location = z.infer<typeof locationSchema>;

export const slotSchema = z.object({ practitionerId: z.string(), locationId: z.string(), serviceId: z.string(), start: instant, end: instant });
export type Slot = z.infer<typeof slotSchema>;

export const APPOINTMENT_STATES = ['booked', 'confirmed', 'cancelled', 'rescheduled', 'arrived', 'noshow', 'completed'] as const;
export const CANCEL_REASONS = ['patient_request', 'clinic_request', 'practitioner_unavailable', 'duplicate', 'other'] as const;

export const appointmentSchema = z.object({
  id: z.string(),
  serviceId: z.string(),
  practitionerId: z.string(),
  locationId: z.string(),
  patientId: z.string(),
  start: instant,
  end: instant,
  state: z.enum(APPOINTMENT_STATES),
  cancelReason: z.string().nullable().optional(),
  rescheduledTo: z.string().nullable().optional(),
  videoUrl: z.string().nullable().optional(),
});
export type Appointment = z.infer<typeof appointmentSchema>;

export const sessionRuleSchema = z.object({ id: z.string(), locationId: z.string(), weekday: z.number(), start: z.string(), end: z.string() });
export type SessionRule = z.infer<typeof sessionRuleSchema>;

export const exceptionSchema = z.object({ id: z.string(), kind: z.enum(['extra_hours', 'leave']), locationId: z.string().nullable(), start: instant, end: instant, reason: z.string().nullable() });
export type AvailabilityException = z.infer<typeof exceptionSchema>;
