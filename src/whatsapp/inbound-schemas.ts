// zod schemas of the Cloud API webhook wire format for inbound messages, contacts and statuses (cloud-api.md §2–§4).
// Optional fields use .catch(undefined): one odd field must not turn a whole message into "unknown".
import { z } from 'zod';
import { isStorableText } from './webhook-envelope.js';

const optString = z.string().optional().catch(undefined);
const optBool = z.boolean().optional().catch(undefined);
const optNumber = z.number().optional().catch(undefined);
// Text that becomes a database column when the message is processed (media ids, patients' ids): a NUL or a
// lone surrogate could not be stored (22021), so such a value does not parse. Intake checks the identity
// fields the same way (webhook-envelope.ts).
const columnText = z.string().min(1).refine(isStorableText);
/** An id of the sender; empty means absent (some senders put "from": "" beside a BSUID). */
const optId = z
  .string()
  .refine(isStorableText)
  .optional()
  .catch(undefined)
  .transform((v) => (v === '' ? undefined : v));

/** Unix seconds; Meta sends strings, a stored payload may carry a number. */
export const unixSecondsSchema = z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative().max(1e12)]).transform(Number);

export const wireErrorSchema = z
  .object({
    code: z.number().int(),
    title: optString,
    message: optString,
    error_data: z.object({ details: optString }).loose().optional().catch(undefined),
    // Before v16 `details` sat on the error itself.
    details: optString,
    href: optString,
  })
  .loose();

/** An array in which each element that does not parse is dropped (the raw payload is stored anyway). */
const lenientArray = <T extends z.ZodType>(item: T) =>
  z
    .array(z.unknown())
    .optional()
    .catch(undefined)
    .transform((items) =>
      (items ?? []).flatMap((raw) => {
        const parsed = item.safeParse(raw);
        return parsed.success ? [parsed.data] : [];
      }),
    );

export const wireErrorsSchema = lenientArray(wireErrorSchema);

export const contextSchema = z
  .object({
    from: optString,
    id: optString,
    forwarded: optBool,
    frequently_forwarded: optBool,
    referred_product: z.object({ catalog_id: optString, product_retailer_id: optString }).loose().optional().catch(undefined),
  })
  .loose();

export const referralSchema = z
  .object({
    source_url: optString,
    source_id: optString,
    source_type: optString,
    body: optString,
    headline: optString,
    media_type: optString,
    image_url: optString,
    video_url: optString,
    thumbnail_url: optString,
    ctwa_clid: optString,
    welcome_message: z.object({ text: optString }).loose().optional().catch(undefined),
  })
  .loose();

/** The fields every message has; only id, timestamp and type are required. */
export const messageEnvelopeSchema = z
  .object({
    id: z.string().min(1),
    timestamp: unixSecondsSchema,
    type: z.string().min(1),
    from: optId,
    from_user_id: optId,
    from_parent_user_id: optId,
    group_id: optString,
    context: contextSchema.optional().catch(undefined),
    referral: referralSchema.optional().catch(undefined),
    errors: wireErrorsSchema,
  })
  .loose();

export const mediaSchema = z
  .object({
    id: columnText,
    mime_type: columnText,
    sha256: columnText.optional().catch(undefined),
    url: optString,
    caption: optString,
    filename: optString,
    voice: optBool,
    animated: optBool,
  })
  .loose();

export const locationSchema = z
  .object({
    latitude: z.number(),
    longitude: z.number(),
    name: optString,
    address: optString,
    url: optString,
  })
  .loose();

export const sharedContactSchema = z
  .object({
    name: z
      .object({
        formatted_name: optString,
        first_name: optString,
        last_name: optString,
        middle_name: optString,
        suffix: optString,
        prefix: optString,
      })
      .loose()
      .optional()
      .catch(undefined),
    org: z.object({ company: optString, department: optString, title: optString }).loose().optional().catch(undefined),
    phones: lenientArray(z.object({ phone: optString, wa_id: optString, type: optString }).loose()),
    emails: lenientArray(z.object({ email: optString, type: optString }).loose()),
    addresses: lenientArray(
      z
        .object({
          street: optString,
          city: optString,
          state: optString,
          zip: optString,
          country: optString,
          country_code: optString,
          type: optString,
        })
        .loose(),
    ),
    urls: lenientArray(z.object({ url: optString, type: optString }).loose()),
    birthday: optString,
    vcard: optString,
    origin: optString,
  })
  .loose();

export const interactiveSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('button_reply'), button_reply: z.object({ id: z.string(), title: z.string() }).loose() }).loose(),
  z
    .object({
      type: z.literal('list_reply'),
      list_reply: z.object({ id: z.string(), title: z.string(), description: optString }).loose(),
    })
    .loose(),
  z
    .object({
      type: z.literal('nfm_reply'),
      nfm_reply: z.object({ name: optString, body: optString, response_json: z.string() }).loose(),
    })
    .loose(),
  // The patient's answer to a call permission request (Calling API).
  z
    .object({
      type: z.literal('call_permission_reply'),
      call_permission_reply: z
        .object({
          response: z.string().min(1),
          is_permanent: optBool,
          expiration_timestamp: unixSecondsSchema.optional().catch(undefined),
          response_source: optString,
        })
        .loose(),
    })
    .loose(),
]);

/** A patient edited an earlier message (coexistence numbers): the new content is a message object. */
export const editSchema = z
  .object({
    original_message_id: z.string().min(1),
    message: z.record(z.string(), z.unknown()).optional().catch(undefined),
  })
  .loose();

/** A patient deleted an earlier message for everyone. */
export const revokeSchema = z.object({ original_message_id: z.string().min(1) }).loose();

export const buttonSchema = z.object({ payload: z.string(), text: z.string() }).loose();

export const reactionSchema = z.object({ message_id: z.string().min(1), emoji: optString }).loose();

export const orderSchema = z
  .object({
    catalog_id: z.string(),
    text: optString,
    product_items: z.array(
      z
        .object({
          product_retailer_id: z.string(),
          quantity: z.number(),
          item_price: optNumber,
          currency: optString,
        })
        .loose(),
    ),
  })
  .loose();

export const systemSchema = z
  .object({
    body: z.string(),
    type: z.string().min(1),
    wa_id: optString,
    // Before v12 the new number came as new_wa_id; user_changed_user_id carries the new BSUID.
    new_wa_id: optString,
    user_id: optString,
    new_user_id: optString,
  })
  .loose();

export const contactSchema = z
  .object({
    profile: z.object({ name: optString, username: optId }).loose().optional().catch(undefined),
    wa_id: optId,
    user_id: optId,
    parent_user_id: optId,
  })
  .loose();

export const statusSchema = z
  .object({
    id: z.string().min(1),
    status: z.string().min(1),
    timestamp: unixSecondsSchema,
    recipient_id: optString,
    recipient_user_id: optString,
    recipient_parent_user_id: optString,
    biz_opaque_callback_data: optString,
    errors: wireErrorsSchema,
    pricing: z
      .object({ billable: optBool, pricing_model: optString, type: optString, category: optString })
      .loose()
      .optional()
      .catch(undefined),
    conversation: z
      .object({
        id: optString,
        expiration_timestamp: unixSecondsSchema.optional().catch(undefined),
        origin: z.object({ type: optString }).loose().optional().catch(undefined),
      })
      .loose()
      .optional()
      .catch(undefined),
  })
  .loose();
