// Typed builders for every outbound message kind, checked against the Cloud API limits when built, and the
// request bodies that carry them (send with recipient, mark as read).
import { z } from 'zod';
import { OutboundLimitError, assertWithinLimits, checkText, codePoints } from './outbound-limits.js';
import {
  outboundShapeSchema,
  type InteractiveHeader,
  type InteractiveMessage,
  type MediaSource,
  type OutboundMessage,
  type OutboundOf,
  type TemplateBodyParam,
  type TemplateComponent,
  type TemplateHeaderParam,
  type TemplateMessage,
  type TextMessage,
} from './outbound-schema.js';

export { OutboundLimitError, assertWithinLimits, codePoints } from './outbound-limits.js';
export type {
  InteractiveHeader,
  InteractiveMessage,
  MediaSource,
  OutboundMessage,
  OutboundOf,
  TemplateBodyParam,
  TemplateComponent,
  TemplateHeaderParam,
  TemplateMessage,
  TextMessage,
} from './outbound-schema.js';

/** Validates a stored OutboundMessage (e.g. an outbox payload read back): its shape and every limit. */
export const outboundMessageSchema = outboundShapeSchema.superRefine((message, ctx) => {
  try {
    assertWithinLimits(message);
  } catch (e) {
    if (!(e instanceof OutboundLimitError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message, path: [] });
  }
});

function checked<M extends OutboundMessage>(message: M): M {
  assertWithinLimits(message);
  return message;
}

export function text(body: string, opts: { previewUrl?: boolean } = {}): TextMessage {
  return checked({ type: 'text', text: { body, ...(opts.previewUrl === undefined ? {} : { preview_url: opts.previewUrl }) } });
}

/** A header: plain string for text, or a media source. */
export type InteractiveHeaderInput = string | { image: MediaSource } | { video: MediaSource } | { document: MediaSource };

function toHeader(h: InteractiveHeaderInput): InteractiveHeader {
  if (typeof h === 'string') return { type: 'text', text: h };
  if ('image' in h) return { type: 'image', image: h.image };
  if ('video' in h) return { type: 'video', video: h.video };
  return { type: 'document', document: h.document };
}

export function replyButtons(input: {
  body: string;
  header?: InteractiveHeaderInput;
  footer?: string;
  buttons: readonly { id: string; title: string }[];
}): InteractiveMessage {
  return checked({
    type: 'interactive',
    interactive: {
      type: 'button',
      ...(input.header === undefined ? {} : { header: toHeader(input.header) }),
      body: { text: input.body },
      ...(input.footer === undefined ? {} : { footer: { text: input.footer } }),
      action: { buttons: input.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
    },
  });
}

export function list(input: {
  body: string;
  header?: string;
  footer?: string;
  /** The label of the button that opens the list. */
  button: string;
  sections: readonly { title?: string; rows: readonly { id: string; title: string; description?: string }[] }[];
}): InteractiveMessage {
  return checked({
    type: 'interactive',
    interactive: {
      type: 'list',
      ...(input.header === undefined ? {} : { header: { type: 'text' as const, text: input.header } }),
      body: { text: input.body },
      ...(input.footer === undefined ? {} : { footer: { text: input.footer } }),
      action: {
        button: input.button,
        sections: input.sections.map((s) => ({
          ...(s.title === undefined ? {} : { title: s.title }),
          rows: s.rows.map((r) => ({ id: r.id, title: r.title, ...(r.description === undefined ? {} : { description: r.description }) })),
        })),
      },
    },
  });
}

export function ctaUrl(input: {
  body: string;
  displayText: string;
  url: string;
  header?: InteractiveHeaderInput;
  footer?: string;
}): InteractiveMessage {
  return checked({
    type: 'interactive',
    interactive: {
      type: 'cta_url',
      ...(input.header === undefined ? {} : { header: toHeader(input.header) }),
      body: { text: input.body },
      ...(input.footer === undefined ? {} : { footer: { text: input.footer } }),
      action: { name: 'cta_url', parameters: { display_text: input.displayText, url: input.url } },
    },
  });
}

/** A template parameter: a string is positional ({{1}}, {{2}}…), `{name, text}` is named ({{first_name}}). */
export type TemplateTextInput = string | { name: string; text: string };
export type TemplateBodyParamInput = TemplateTextInput | TemplateBodyParam;
export type TemplateHeaderParamInput = TemplateTextInput | TemplateHeaderParam;
export type TemplateButtonInput =
  | { subType: 'quick_reply'; index: number; payload: string }
  | { subType: 'url'; index: number; text: string };

function toParam<P extends TemplateBodyParam | TemplateHeaderParam>(p: TemplateTextInput | P): P | { type: 'text'; text: string; parameter_name?: string } {
  if (typeof p === 'string') return { type: 'text', text: p };
  if ('type' in p) return p;
  return { type: 'text', text: p.text, parameter_name: p.name };
}

function toButton(b: TemplateButtonInput): TemplateComponent {
  if (!Number.isInteger(b.index) || b.index < 0 || b.index > 9) {
    throw new OutboundLimitError('template button index', 'template button index must be 0 to 9');
  }
  const index = String(b.index);
  return b.subType === 'quick_reply'
    ? { type: 'button', sub_type: 'quick_reply', index, parameters: [{ type: 'payload', payload: b.payload }] }
    : { type: 'button', sub_type: 'url', index, parameters: [{ type: 'text', text: b.text }] };
}

export function template(input: {
  name: string;
  /** e.g. 'fr', 'en_US'. */
  language: string;
  header?: TemplateHeaderParamInput;
  body?: readonly TemplateBodyParamInput[];
  buttons?: readonly TemplateButtonInput[];
}): TemplateMessage {
  const components: TemplateComponent[] = [];
  if (input.header !== undefined) components.push({ type: 'header', parameters: [toParam<TemplateHeaderParam>(input.header)] });
  if (input.body !== undefined && input.body.length > 0) {
    components.push({ type: 'body', parameters: input.body.map((p) => toParam<TemplateBodyParam>(p)) });
  }
  for (const b of input.buttons ?? []) components.push(toButton(b));
  return checked({
    type: 'template',
    template: { name: input.name, language: { code: input.language }, ...(components.length > 0 ? { components } : {}) },
  });
}

// Copies only id or link: a caller's object with both, or with extra fields, must not reach the wire.
function pickSource(source: MediaSource): MediaSource {
  return 'id' in source ? { id: source.id } : { link: source.link };
}

export function image(source: MediaSource, caption?: string): OutboundOf<'image'> {
  return checked({ type: 'image', image: { ...pickSource(source), ...(caption === undefined ? {} : { caption }) } });
}

export function video(source: MediaSource, caption?: string): OutboundOf<'video'> {
  return checked({ type: 'video', video: { ...pickSource(source), ...(caption === undefined ? {} : { caption }) } });
}

export function document(source: MediaSource, opts: { caption?: string; filename?: string } = {}): OutboundOf<'document'> {
  return checked({
    type: 'document',
    document: {
      ...pickSource(source),
      ...(opts.caption === undefined ? {} : { caption: opts.caption }),
      ...(opts.filename === undefined ? {} : { filename: opts.filename }),
    },
  });
}

export function audio(source: MediaSource): OutboundOf<'audio'> {
  return checked({ type: 'audio', audio: pickSource(source) });
}

export function sticker(source: MediaSource): OutboundOf<'sticker'> {
  return checked({ type: 'sticker', sticker: pickSource(source) });
}

export function location(input: { latitude: number; longitude: number; name?: string; address?: string }): OutboundOf<'location'> {
  return checked({
    type: 'location',
    location: {
      latitude: input.latitude,
      longitude: input.longitude,
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.address === undefined ? {} : { address: input.address }),
    },
  });
}

/** React to an inbound message; an empty emoji removes our reaction. */
export function reaction(messageId: string, emoji: string): OutboundOf<'reaction'> {
  return checked({ type: 'reaction', reaction: { message_id: messageId, emoji } });
}

/** The same message, shown as a reply quoting `messageId`. */
export function quote<M extends OutboundMessage>(message: M, messageId: string): M {
  return checked({ ...message, context: { message_id: messageId } });
}

/** Templates are the only kind allowed outside the 24-hour customer service window (error 131047). */
export function requiresWindow(message: OutboundMessage): boolean {
  return message.type !== 'template';
}

export type MarkReadBody = {
  messaging_product: 'whatsapp';
  status: 'read';
  message_id: string;
  typing_indicator?: { type: 'text' };
};

/** Blue ticks for an inbound message; `typing` also shows the typing indicator (only when a reply follows). */
export function markRead(messageId: string, opts: { typing?: boolean } = {}): MarkReadBody {
  checkText('read message id', messageId);
  return {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: messageId,
    ...(opts.typing === true ? { typing_indicator: { type: 'text' as const } } : {}),
  };
}

export type Recipient = { phone?: string | null; bsuid?: string | null };

export type WireMessage = OutboundMessage & {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** E.164 with '+', when a phone is known; Meta prefers it to `recipient` when both are given. */
  to?: string;
  /** BSUID, when the user withholds the phone. */
  recipient?: string;
  biz_opaque_callback_data?: string;
};

const e164Digits = z
  .string()
  .transform((s) => s.replace(/[\s().-]/g, '').replace(/^\+/, ''))
  .pipe(z.string().regex(/^[1-9]\d{6,14}$/));
/** What the Cloud API takes as `recipient`: two capital letters, an optional ENT. (parent BSUID), 1 to 128 alphanumerics. */
export const BSUID_PATTERN = /^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/;

const given = (v: string | null | undefined): v is string => v !== undefined && v !== null && v.trim() !== '';

/**
 * Where a message goes: `to` when the phone is a usable E.164 number (Meta prefers it, and some templates need
 * it), else `recipient` when the BSUID is usable. A malformed phone beside a good BSUID still reaches the
 * patient; only when neither can be used is the message refused (the values are never quoted: they are PHI).
 */
export function addressFor(to: Recipient): { to: string } | { recipient: string } {
  const digits = given(to.phone) ? e164Digits.safeParse(to.phone) : null;
  if (digits?.success) return { to: `+${digits.data}` };
  const bsuid = given(to.bsuid) ? to.bsuid : null;
  if (bsuid !== null && BSUID_PATTERN.test(bsuid)) return { recipient: bsuid };
  if (digits && bsuid !== null) throw new OutboundLimitError('recipient', 'no usable recipient: the phone is not an E.164 number and the BSUID is malformed');
  if (digits) throw new OutboundLimitError('to', 'recipient phone is not an E.164 number, and no BSUID is known');
  if (bsuid !== null) throw new OutboundLimitError('recipient', 'recipient BSUID is malformed, and no phone is known');
  throw new OutboundLimitError('recipient', 'no recipient: neither a phone nor a BSUID is known');
}

/**
 * The request body for POST /{phone-number-id}/messages. `to` gets the '+' so that Meta never prepends the
 * business number's country code; `callbackData` (our outbox id) is echoed on every status webhook.
 */
export function toWire(message: OutboundMessage, to: Recipient, callbackData?: string): WireMessage {
  assertWithinLimits(message);
  const address = addressFor(to);
  if (callbackData !== undefined) checkText('biz_opaque_callback_data', callbackData, 512);
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...address,
    ...message,
    ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }),
  };
}
