// The zod shapes of the staff API (api-contract.md: Auth, Users, tokens). They validate requests and
// responses and feed the OpenAPI document.
import { z } from 'zod';
import { roleSchema } from '../http/api.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  role: roleSchema,
  totpEnabled: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.iso.datetime(),
  lastLoginAt: z.iso.datetime().nullable(),
});

const email = z.string().trim().max(320).pipe(z.email({ message: 'must be an e-mail address' }));
/** A password as typed: checked for strength where one is set, never echoed back. */
const password = z.string().min(1).max(MAX_PASSWORD_LENGTH * 4);
const code = z.string().trim().regex(/^\d{6}$/, 'a 6-digit code');

export const loginBody = z.object({ email: z.string().trim().min(1).max(320), password });
export const loginReply = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), user: userSchema, csrfToken: z.string() }),
  z.object({ status: z.literal('totp_required') }),
  z.object({ status: z.literal('totp_setup_required'), secret: z.string(), otpauthUrl: z.string() }),
]);
export const totpBody = z.object({ code });
export const sessionReply = z.object({ user: userSchema, csrfToken: z.string() });
export const okReply = z.object({ status: z.literal('ok'), user: userSchema, csrfToken: z.string() });
export const infoReply = z.object({ sandbox: z.boolean(), demoEmail: z.string().nullable() });
export const passwordBody = z.object({ currentPassword: password, newPassword: password });
export const totpSetupReply = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const noContent = z.null().describe('No content');

export const newUserBody = z.object({
  email,
  displayName: z.string().trim().min(1).max(120),
  role: roleSchema,
  password,
});
export const userPatchBody = z.object({
  displayName: z.string().trim().min(1).max(120).optional(),
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  requireTotp: z.boolean().optional(),
}).strict();
export const idParams = z.object({ id: z.uuid() });

export const tokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: roleSchema,
  createdBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
});
export const newTokenBody = z.object({
  name: z.string().trim().min(1).max(120),
  role: roleSchema,
  expiresInDays: z.number().int().min(1).max(366),
});
export const newTokenReply = tokenSchema.extend({ token: z.string().describe('Shown once: only its hash is kept') });

/** Where the next page of users or tokens starts. */
export const pageCursor = z.object({ c: z.iso.datetime(), id: z.uuid() });
