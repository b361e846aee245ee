// The envelope of a webhook POST, checked at intake. Only what intake needs is strict here (ids, types,
// timestamps, routing); the content of each message is parsed later by inbound-model.ts, so that an
// unknown or odd message is stored rather than refused.
import { z } from 'zod';

const unixSeconds = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()]).transform(Number);

export const envelopeMessageSchema = z
  .object({
    id: z.string().min(1).max(512),
    type: z.string().min(1).max(64),
    timestamp: unixSeconds,
    from: z.string().min(1).max(64).optional(),
    from_user_id: z.string().min(1).max(256).optional(),
  })
  .loose();

export const envelopeStatusSchema = z
  .object({
    id: z.string().min(1).max(512),
    status: z.string().min(1).max(32),
    timestamp: unixSeconds,
    recipient_id: z.string().max(64).optional(),
    recipient_user_id: z.string().max(256).optional(),
    biz_opaque_callback_data: z.string().max(1024).optional(),
    errors: z.array(z.object({ code: z.number().int() }).loose()).optional(),
  })
  .loose();

export const envelopeContactSchema = z
  .object({
    wa_id: z.string().optional(),
    user_id: z.string().optional(),
  })
  .loose();

export const envelopeChangeSchema = z.object({
  field: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
});

export const envelopeSchema = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string().optional(),
      changes: z.array(envelopeChangeSchema),
    }),
  ),
});

export const messagesValueSchema = z.object({
  messaging_product: z.literal('whatsapp').optional(),
  metadata: z.object({ phone_number_id: z.string().min(1), display_phone_number: z.string().optional() }).loose(),
  contacts: z.array(envelopeContactSchema).optional(),
  messages: z.array(envelopeMessageSchema).optional(),
  statuses: z.array(envelopeStatusSchema).optional(),
  errors: z.array(z.unknown()).optional(),
});

export type Envelope = z.infer<typeof envelopeSchema>;
export type EnvelopeMessage = z.infer<typeof envelopeMessageSchema>;
export type EnvelopeStatus = z.infer<typeof envelopeStatusSchema>;
export type EnvelopeContact = z.infer<typeof envelopeContactSchema>;

/** The ordering key of a sender: the BSUID when present (always, since 2026), else the phone. */
export function senderKey(m: { from?: string | undefined; from_user_id?: string | undefined }): string | null {
  if (m.from_user_id) return `u:${m.from_user_id}`;
  if (m.from) return `p:${m.from}`;
  return null;
}
