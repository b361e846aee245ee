// The one typed model of inbound webhook content: messages, sender contacts and statuses, parsed from the wire.
// Unknown or malformed message content becomes `type: 'unknown'`, never a throw, so that it can be stored.
import { z } from 'zod';
import {
  buttonSchema,
  contactSchema,
  contextSchema,
  editSchema,
  interactiveSchema,
  locationSchema,
  mediaSchema,
  messageEnvelopeSchema,
  orderSchema,
  reactionSchema,
  referralSchema,
  revokeSchema,
  sharedContactSchema,
  statusSchema,
  systemSchema,
  wireErrorSchema,
} from './inbound-schemas.js';

/** Thrown only when a message or status lacks the fields needed to store it at all. Never carries content. */
export class InboundParseError extends Error {
  readonly code = 'inbound_parse';
  constructor(
    readonly field: string,
    what: 'message' | 'status',
  ) {
    super(`inbound ${what}: field ${field} is missing or invalid`);
    this.name = 'InboundParseError';
  }
}

export type WhatsAppError = {
  code: number;
  title: string | null;
  message: string | null;
  details: string | null;
  href: string | null;
};

export type MessageContext = {
  /** The business number, for replies to and taps on our messages. */
  from: string | null;
  /** wamid of the message replied to or tapped. */
  id: string | null;
  forwarded: boolean;
  frequentlyForwarded: boolean;
  referredProduct: { catalogId: string | null; productRetailerId: string | null } | null;
};

export type Referral = {
  sourceUrl: string | null;
  sourceId: string | null;
  sourceType: string | null;
  body: string | null;
  headline: string | null;
  mediaType: string | null;
  imageUrl: string | null;
  videoUrl: string | null;
  thumbnailUrl: string | null;
  ctwaClid: string | null;
  welcomeMessage: string | null;
};

export type InboundMedia = {
  id: string;
  mimeType: string;
  sha256: string | null;
  url: string | null;
  caption: string | null;
  filename: string | null;
  /** audio only: a recorded voice note. */
  voice: boolean | null;
  /** sticker only. */
  animated: boolean | null;
};

export type SharedContact = {
  name: {
    formattedName: string | null;
    firstName: string | null;
    lastName: string | null;
    middleName: string | null;
    prefix: string | null;
    suffix: string | null;
  };
  org: { company: string | null; department: string | null; title: string | null } | null;
  phones: { phone: string | null; waId: string | null; type: string | null }[];
  emails: { email: string | null; type: string | null }[];
  addresses: {
    street: string | null;
    city: string | null;
    state: string | null;
    zip: string | null;
    country: string | null;
    countryCode: string | null;
    type: string | null;
  }[];
  urls: { url: string | null; type: string | null }[];
  birthday: string | null;
  vcard: string | null;
  origin: string | null;
};

export type InteractiveReply =
  | { kind: 'button_reply' | 'list_reply'; id: string; title: string; description: string | null }
  | {
      kind: 'nfm_reply';
      name: string | null;
      body: string | null;
      /** response_json parsed when it is a JSON object, else the string as received. */
      response: Record<string, unknown> | string;
      flowToken: string | null;
    }
  | {
      kind: 'call_permission_reply';
      /** 'accept' or 'reject' on the wire. */
      response: string;
      permanent: boolean | null;
      expiresAt: Date | null;
      /** 'user_action' or 'automatic'. */
      source: string | null;
    };

export type OrderItem = { productRetailerId: string; quantity: number; itemPrice: number | null; currency: string | null };

export type InboundCommon = {
  /** wamid: the dedupe key. */
  id: string;
  /** Phone (digits, no +); absent for username users whose phone is withheld. */
  from: string | null;
  /** BSUID. */
  userId: string | null;
  parentUserId: string | null;
  groupId: string | null;
  timestamp: Date;
  context: MessageContext | null;
  referral: Referral | null;
  errors: WhatsAppError[];
};

export type MediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';
export type UnknownReason = 'unsupported' | 'unrecognised_type' | 'invalid_content';

export type InboundMessage = InboundCommon &
  (
    | { type: 'text'; text: string }
    | { [T in MediaType]: { type: T; media: InboundMedia } }[MediaType]
    | { type: 'location'; latitude: number; longitude: number; name: string | null; address: string | null; url: string | null }
    | { type: 'contacts'; contacts: SharedContact[] }
    | { type: 'interactive'; reply: InteractiveReply }
    | { type: 'button'; payload: string; text: string }
    | { type: 'reaction'; messageId: string; emoji: string | null }
    | { type: 'order'; catalogId: string; text: string | null; items: OrderItem[] }
    | { type: 'system'; systemType: string; body: string; newWaId: string | null; newUserId: string | null }
    /** The patient edited an earlier message: its new type and words (text body or caption), when present. */
    | { type: 'edit'; originalMessageId: string; editedType: string | null; text: string | null }
    /** The patient deleted an earlier message for everyone. */
    | { type: 'revoke'; originalMessageId: string }
    | {
        type: 'unknown';
        /** The wire `type`, e.g. 'unsupported', 'edit', or a recognised type whose content did not parse. */
        rawType: string;
        reason: UnknownReason;
        /** The message object as received, for storage. */
        raw: unknown;
      }
  );

export type Contact = {
  waId: string | null;
  userId: string | null;
  parentUserId: string | null;
  name: string | null;
  username: string | null;
};

export type StatusUpdate = {
  /** wamid of our message. */
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'played' | (string & {});
  timestamp: Date;
  recipientId: string | null;
  recipientUserId: string | null;
  recipientParentUserId: string | null;
  /** biz_opaque_callback_data echoed back: our outbox id. */
  callbackData: string | null;
  errors: WhatsAppError[];
  pricing: { billable: boolean | null; pricingModel: string | null; type: string | null; category: string | null } | null;
  conversation: { id: string | null; expiresAt: Date | null; originType: string | null } | null;
};

const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const fromUnixSeconds = (s: number) => new Date(s * 1000);

function toError(e: z.output<typeof wireErrorSchema>): WhatsAppError {
  return { code: e.code, title: n(e.title), message: n(e.message), details: n(e.error_data?.details ?? e.details), href: n(e.href) };
}

function toContext(c: z.output<typeof contextSchema>): MessageContext {
  const p = c.referred_product;
  return {
    from: n(c.from),
    id: n(c.id),
    forwarded: c.forwarded === true,
    frequentlyForwarded: c.frequently_forwarded === true,
    referredProduct: p ? { catalogId: n(p.catalog_id), productRetailerId: n(p.product_retailer_id) } : null,
  };
}

function toReferral(r: z.output<typeof referralSchema>): Referral {
  return {
    sourceUrl: n(r.source_url),
    sourceId: n(r.source_id),
    sourceType: n(r.source_type),
    body: n(r.body),
    headline: n(r.headline),
    mediaType: n(r.media_type),
    imageUrl: n(r.image_url),
    videoUrl: n(r.video_url),
    thumbnailUrl: n(r.thumbnail_url),
    ctwaClid: n(r.ctwa_clid),
    welcomeMessage: n(r.welcome_message?.text),
  };
}

function toMedia(m: z.output<typeof mediaSchema>, type: MediaType): InboundMedia {
  return {
    id: m.id,
    mimeType: m.mime_type,
    sha256: n(m.sha256),
    url: n(m.url),
    caption: n(m.caption),
    filename: n(m.filename),
    voice: type === 'audio' ? m.voice === true : null,
    animated: type === 'sticker' ? m.animated === true : null,
  };
}

function toSharedContact(c: z.output<typeof sharedContactSchema>): SharedContact {
  return {
    name: {
      formattedName: n(c.name?.formatted_name),
      firstName: n(c.name?.first_name),
      lastName: n(c.name?.last_name),
      middleName: n(c.name?.middle_name),
      prefix: n(c.name?.prefix),
      suffix: n(c.name?.suffix),
    },
    org: c.org ? { company: n(c.org.company), department: n(c.org.department), title: n(c.org.title) } : null,
    phones: c.phones.map((p) => ({ phone: n(p.phone), waId: n(p.wa_id), type: n(p.type) })),
    emails: c.emails.map((e) => ({ email: n(e.email), type: n(e.type) })),
    addresses: c.addresses.map((a) => ({
      street: n(a.street),
      city: n(a.city),
      state: n(a.state),
      zip: n(a.zip),
      country: n(a.country),
      countryCode: n(a.country_code),
      type: n(a.type),
    })),
    urls: c.urls.map((u) => ({ url: n(u.url), type: n(u.type) })),
    birthday: n(c.birthday),
    vcard: n(c.vcard),
    origin: n(c.origin),
  };
}

const jsonObjectSchema = z.record(z.string(), z.unknown());

function parseResponseJson(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  const parsed = jsonObjectSchema.safeParse(value);
  return parsed.success ? parsed.data : text;
}

function toReply(i: z.output<typeof interactiveSchema>): InteractiveReply {
  switch (i.type) {
    case 'button_reply':
      return { kind: 'button_reply', id: i.button_reply.id, title: i.button_reply.title, description: null };
    case 'list_reply':
      return { kind: 'list_reply', id: i.list_reply.id, title: i.list_reply.title, description: n(i.list_reply.description) };
    case 'nfm_reply': {
      const response = parseResponseJson(i.nfm_reply.response_json);
      const token = typeof response === 'string' ? undefined : response['flow_token'];
      return {
        kind: 'nfm_reply',
        name: n(i.nfm_reply.name),
        body: n(i.nfm_reply.body),
        response,
        flowToken: typeof token === 'string' ? token : null,
      };
    }
    case 'call_permission_reply': {
      const r = i.call_permission_reply;
      return {
        kind: 'call_permission_reply',
        response: r.response,
        permanent: n(r.is_permanent),
        expiresAt: r.expiration_timestamp === undefined ? null : fromUnixSeconds(r.expiration_timestamp),
        source: n(r.response_source),
      };
    }
  }
}

const wordsSchema = z.object({ body: z.string().optional().catch(undefined), caption: z.string().optional().catch(undefined) }).loose();

/** The words of an edited message's new content: a text body or a media caption. */
function editedWords(message: Record<string, unknown>, type: string | null): string | null {
  if (type === null) return null;
  const inner = wordsSchema.safeParse(message[type]);
  if (!inner.success) return null;
  return inner.data.body ?? inner.data.caption ?? null;
}

type Content = InboundMessage extends infer M ? (M extends InboundCommon ? Omit<M, keyof InboundCommon> : never) : never;

/** The type-specific part, or null when the inner object does not match its schema. */
function parseContent(type: string, raw: unknown): Content | null | 'unrecognised' {
  const fields = z.record(z.string(), z.unknown()).safeParse(raw);
  const inner = <S extends z.ZodType>(key: string, schema: S): z.output<S> | null => {
    if (!fields.success) return null;
    const value = schema.safeParse(fields.data[key]);
    return value.success ? value.data : null;
  };
  switch (type) {
    case 'text': {
      const t = inner('text', z.object({ body: z.string() }).loose());
      return t && { type, text: t.body };
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const m = inner(type, mediaSchema);
      return m && { type, media: toMedia(m, type) };
    }
    case 'location': {
      const l = inner('location', locationSchema);
      return l && { type, latitude: l.latitude, longitude: l.longitude, name: n(l.name), address: n(l.address), url: n(l.url) };
    }
    case 'contacts': {
      const c = inner('contacts', z.array(sharedContactSchema).min(1));
      return c && { type, contacts: c.map(toSharedContact) };
    }
    case 'interactive': {
      const i = inner('interactive', interactiveSchema);
      return i && { type, reply: toReply(i) };
    }
    case 'button': {
      const b = inner('button', buttonSchema);
      return b && { type, payload: b.payload, text: b.text };
    }
    case 'reaction': {
      const r = inner('reaction', reactionSchema);
      // Removal omits the emoji; an empty string is treated the same so that callers test one value.
      return r && { type, messageId: r.message_id, emoji: r.emoji ? r.emoji : null };
    }
    case 'order': {
      const o = inner('order', orderSchema);
      return (
        o && {
          type,
          catalogId: o.catalog_id,
          text: n(o.text),
          items: o.product_items.map((p) => ({
            productRetailerId: p.product_retailer_id,
            quantity: p.quantity,
            itemPrice: n(p.item_price),
            currency: n(p.currency),
          })),
        }
      );
    }
    case 'system': {
      const s = inner('system', systemSchema);
      return (
        s && {
          type,
          systemType: s.type,
          body: s.body,
          newWaId: n(s.wa_id ?? s.new_wa_id),
          newUserId: n(s.user_id ?? s.new_user_id),
        }
      );
    }
    case 'edit': {
      const e = inner('edit', editSchema);
      if (!e) return null;
      const editedType = typeof e.message?.['type'] === 'string' ? e.message['type'] : null;
      return { type, originalMessageId: e.original_message_id, editedType, text: e.message ? editedWords(e.message, editedType) : null };
    }
    case 'revoke': {
      const r = inner('revoke', revokeSchema);
      return r && { type, originalMessageId: r.original_message_id };
    }
    default:
      return 'unrecognised';
  }
}

/**
 * One entry of `value.messages[]`. Throws InboundParseError only when id, timestamp or type is missing or
 * invalid; any other problem yields `type: 'unknown'`. Text is kept exactly as sent.
 */
export function parseInboundMessage(raw: unknown): InboundMessage {
  const envelope = messageEnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InboundParseError(firstIssuePath(envelope.error, 'message'), 'message');
  const e = envelope.data;
  const common: InboundCommon = {
    id: e.id,
    from: n(e.from),
    userId: n(e.from_user_id),
    parentUserId: n(e.from_parent_user_id),
    groupId: n(e.group_id),
    timestamp: fromUnixSeconds(e.timestamp),
    context: e.context ? toContext(e.context) : null,
    referral: e.referral ? toReferral(e.referral) : null,
    errors: e.errors.map(toError),
  };
  if (e.type === 'unsupported' || e.type === 'unknown') {
    return { ...common, type: 'unknown', rawType: e.type, reason: 'unsupported', raw };
  }
  const content = parseContent(e.type, raw);
  if (content === 'unrecognised') return { ...common, type: 'unknown', rawType: e.type, reason: 'unrecognised_type', raw };
  if (content === null) return { ...common, type: 'unknown', rawType: e.type, reason: 'invalid_content', raw };
  return { ...common, ...content };
}

/** One entry of `value.contacts[]`; null when it is not an object or names neither a phone nor a BSUID. */
export function parseContact(raw: unknown): Contact | null {
  const parsed = contactSchema.safeParse(raw);
  if (!parsed.success) return null;
  const c = parsed.data;
  if (!c.wa_id && !c.user_id) return null;
  return {
    waId: n(c.wa_id),
    userId: n(c.user_id),
    parentUserId: n(c.parent_user_id),
    name: n(c.profile?.name),
    username: n(c.profile?.username),
  };
}

/** One entry of `value.statuses[]`. Throws InboundParseError when id, status or timestamp is missing or invalid. */
export function parseStatus(raw: unknown): StatusUpdate {
  const parsed = statusSchema.safeParse(raw);
  if (!parsed.success) throw new InboundParseError(firstIssuePath(parsed.error, 'status'), 'status');
  const s = parsed.data;
  return {
    id: s.id,
    status: s.status,
    timestamp: fromUnixSeconds(s.timestamp),
    recipientId: n(s.recipient_id),
    recipientUserId: n(s.recipient_user_id),
    recipientParentUserId: n(s.recipient_parent_user_id),
    callbackData: n(s.biz_opaque_callback_data),
    errors: s.errors.map(toError),
    pricing: s.pricing
      ? {
          billable: n(s.pricing.billable),
          pricingModel: n(s.pricing.pricing_model),
          type: n(s.pricing.type),
          category: n(s.pricing.category),
        }
      : null,
    conversation: s.conversation
      ? {
          id: n(s.conversation.id),
          expiresAt: s.conversation.expiration_timestamp === undefined ? null : fromUnixSeconds(s.conversation.expiration_timestamp),
          originType: n(s.conversation.origin?.type),
        }
      : null,
  };
}

// Only the path goes into the error: zod messages for a bad value could quote it.
function firstIssuePath(error: z.ZodError, fallback: string): string {
  const path = error.issues[0]?.path ?? [];
  return path.length > 0 ? path.map(String).join('.') : fallback;
}

/**
 * Edits and deletions change a message the patient sent before; they are not something new to answer.
 * Also true when their content did not parse, so that a malformed edit is not answered either.
 */
export function changesEarlierMessage(m: InboundMessage): boolean {
  return m.type === 'edit' || m.type === 'revoke' || (m.type === 'unknown' && (m.rawType === 'edit' || m.rawType === 'revoke'));
}

/**
 * Whether the message gets blue ticks. A system notice (number changed) is not in the chat; an edit or a
 * deletion refers to a message that was marked read when it was processed, and its own id names an event,
 * not a message in the chat that Meta could mark (a refused mark-as-read would only cost a send and an
 * error). Every other message, including a call permission answer (a tap the patient sees in the chat), is.
 */
export function wantsReadReceipt(m: InboundMessage): boolean {
  return m.type !== 'system' && !changesEarlierMessage(m);
}

/** What the person "said", for the conversation layer: null for content that carries no words. */
export function inboundText(m: InboundMessage): string | null {
  switch (m.type) {
    case 'text':
      return m.text;
    case 'interactive':
      return m.reply.kind === 'button_reply' || m.reply.kind === 'list_reply' ? m.reply.title : null;
    case 'button':
      return m.text;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return m.media.caption;
    case 'location':
      return m.name;
    default:
      return null;
  }
}
