// The simulated Cloud API's request checks for POST /{phone-number-id}/messages: every message type and limit
// of cloud-api.md §5–§6 and the spec's maxLength/maxItems. It is written independently of our own outbound
// builders on purpose: if both shared one table of limits, a wrong limit would pass in the sandbox and fail
// in production. Problems name the field (Meta's `text['body']` notation) and the limit, never the value.
import { z } from 'zod';

export type Rejection = { ok: false; code: number; title: string; details: string };

const chars = (s: string): number => [...s].length;
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/u;

/** A string of 1..max code points (Meta counts an emoji as one character). */
function text(max: number, opts: { allowEmpty?: boolean } = {}) {
  return z
    .string()
    .refine((s) => opts.allowEmpty === true || !BLANK.test(s), { message: 'must not be empty' })
    .refine((s) => chars(s) <= max, { message: `must be at most ${max} characters long` });
}
const anyText = z.string().refine((s) => !BLANK.test(s), { message: 'must not be empty' });
const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, { message: 'must be a valid http(s) URL' });
const idText = text(512);
const count = (min: number, max: number, what: string) => ({ message: `must have ${min} to ${max} ${what}` });

/** `id` (uploaded media) or `link` (https URL), exactly one. */
const mediaObject = (captionMax: number | null) =>
  z
    .object({
      id: idText.optional(),
      link: httpUrl.optional(),
      caption: captionMax === null ? z.string().optional() : text(captionMax).optional(),
      filename: text(240).optional(),
    })
    .loose()
    .refine((m) => (m.id === undefined) !== (m.link === undefined), { message: 'must have either id or link (one of them)' });

export const textSchema = z.object({ body: text(4096), preview_url: z.boolean({ error: 'must be a boolean' }).optional() }).loose();
const latitude = z.number({ error: 'must be a number' }).min(-90, 'must be between -90 and 90').max(90, 'must be between -90 and 90');
const longitude = z.number({ error: 'must be a number' }).min(-180, 'must be between -180 and 180').max(180, 'must be between -180 and 180');
export const locationSchema = z.object({ latitude, longitude, name: z.string().optional(), address: z.string().optional() }).loose();
const reactionSchema = z.object({ message_id: idText, emoji: z.string({ error: 'must be a string' }).refine((s) => chars(s) <= 10, 'must be one emoji') }).loose();
const contactSchema = z
  .object({
    name: z.object({ formatted_name: anyText, first_name: z.string().optional(), last_name: z.string().optional() }).loose(),
    phones: z.array(z.object({ phone: z.string().optional(), type: z.string().optional(), wa_id: z.string().optional() }).loose()).optional(),
    emails: z.array(z.object({ email: z.string().optional(), type: z.string().optional() }).loose()).optional(),
    addresses: z.array(z.record(z.string(), z.unknown())).optional(),
    urls: z.array(z.object({ url: z.string().optional(), type: z.string().optional() }).loose()).optional(),
    org: z.record(z.string(), z.unknown()).optional(),
    birthday: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional(),
  })
  .loose();
const contactsSchema = z.array(contactSchema, { error: 'must be an array' }).min(1, count(1, 5, 'contacts')).max(5, count(1, 5, 'contacts'));

const header = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: text(60) }).loose(),
  z.object({ type: z.literal('image'), image: mediaObject(null) }).loose(),
  z.object({ type: z.literal('video'), video: mediaObject(null) }).loose(),
  z.object({ type: z.literal('document'), document: mediaObject(null) }).loose(),
], { error: 'type must be one of text, image, video, document' });
const textHeader = z.object({ type: z.literal('text', { error: 'type must be text for this message' }), text: text(60) }).loose();
const body = (max: number) => z.object({ text: text(max) }).loose();
const footer = z.object({ text: text(60) }).loose();

const unique = <T>(items: T[], key: (t: T) => string | undefined) => new Set(items.map(key)).size === items.length;

const replyButton = z.object({
  type: z.literal('reply', { error: 'must be "reply"' }),
  reply: z.object({
    id: text(256).refine((s) => s.trim() === s, 'must not have leading or trailing spaces'),
    title: text(20),
  }).loose(),
}).loose();
const buttonInteractive = z.object({
  type: z.literal('button'),
  header: header.optional(),
  body: body(1024),
  footer: footer.optional(),
  action: z.object({
    buttons: z.array(replyButton, { error: 'must be an array' }).min(1, count(1, 3, 'buttons')).max(3, count(1, 3, 'buttons'))
      .refine((b) => unique(b, (x) => x.reply.id), 'button ids must be unique')
      .refine((b) => unique(b, (x) => x.reply.title), 'button titles must be unique'),
  }).loose(),
}).loose();

const row = z.object({ id: text(200), title: text(24), description: text(72, { allowEmpty: true }).optional() }).loose();
const section = z.object({ title: text(24).optional(), rows: z.array(row, { error: 'must be an array' }).max(10, count(1, 10, 'rows')) }).loose();
const listInteractive = z.object({
  type: z.literal('list'),
  header: textHeader.optional(),
  body: body(4096),
  footer: footer.optional(),
  action: z.object({
    button: text(20),
    sections: z.array(section, { error: 'must be an array' }).min(1, count(1, 10, 'sections')).max(10, count(1, 10, 'sections'))
      .refine((s) => s.length < 2 || s.every((x) => x.title !== undefined), 'every section needs a title when there are several')
      .refine((s) => { const n = s.reduce((a, x) => a + x.rows.length, 0); return n >= 1 && n <= 10; }, 'must have 1 to 10 rows in total across sections')
      .refine((s) => unique(s.flatMap((x) => x.rows), (r) => r.id), 'row ids must be unique'),
  }).loose(),
}).loose();

const ctaUrlInteractive = z.object({
  type: z.literal('cta_url'),
  header: header.optional(),
  body: body(1024),
  footer: footer.optional(),
  action: z.object({
    name: z.literal('cta_url', { error: 'must be "cta_url"' }),
    parameters: z.object({ display_text: text(20), url: httpUrl }).loose(),
  }).loose(),
}).loose();

const flowInteractive = z.object({
  type: z.literal('flow'),
  header: textHeader.optional(),
  body: body(1024),
  footer: footer.optional(),
  action: z.object({
    name: z.literal('flow', { error: 'must be "flow"' }),
    parameters: z.object({
      flow_message_version: z.literal('3', { error: 'must be "3"' }),
      flow_id: idText.optional(),
      flow_name: idText.optional(),
      flow_cta: text(30).refine((s) => !/\p{Extended_Pictographic}/u.test(s), 'must not contain emoji'),
      flow_token: z.string().optional(),
      mode: z.enum(['draft', 'published'], { error: 'must be draft or published' }).optional(),
      flow_action: z.enum(['navigate', 'data_exchange'], { error: 'must be navigate or data_exchange' }).optional(),
      flow_action_payload: z.object({
        screen: z.string().optional(),
        data: z.record(z.string(), z.unknown()).refine((d) => Object.keys(d).length > 0, 'must be a non-empty object').optional(),
      }).loose().optional(),
    }).loose().refine((p) => (p.flow_id === undefined) !== (p.flow_name === undefined), 'must have either flow_id or flow_name (one of them)'),
  }).loose(),
}).loose();

const locationRequestInteractive = z.object({
  type: z.literal('location_request_message'),
  body: body(1024),
  action: z.object({ name: z.literal('send_location', { error: 'must be "send_location"' }) }).loose(),
}).loose();

export const interactiveSchema = z.discriminatedUnion('type', [buttonInteractive, listInteractive, ctaUrlInteractive, flowInteractive, locationRequestInteractive]);
/** Interactive kinds that need a catalog, payments or calling, none of which the sandbox account has. */
const NEEDS_SETUP = new Set(['catalog_message', 'product', 'product_list', 'order_details', 'order_status', 'call_permission_request', 'voice_call']);

const mediaParam = z.object({ id: idText.optional(), link: httpUrl.optional() }).loose()
  .refine((m) => (m.id === undefined) !== (m.link === undefined), 'must have either id or link (one of them)');
export const templateParamSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.union([text(32768), z.boolean(), z.number()]), parameter_name: z.string().regex(/^[a-z0-9_]+$/, 'must be lowercase letters, digits and _').optional() }).loose(),
  z.object({ type: z.literal('currency'), currency: z.object({ fallback_value: anyText, code: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'), amount_1000: z.number().int('must be an integer') }).loose(), parameter_name: z.string().optional() }).loose(),
  z.object({ type: z.literal('date_time'), date_time: z.object({ fallback_value: anyText }).loose(), parameter_name: z.string().optional() }).loose(),
  z.object({ type: z.literal('image'), image: mediaParam }).loose(),
  z.object({ type: z.literal('video'), video: mediaParam }).loose(),
  z.object({ type: z.literal('document'), document: mediaParam }).loose(),
  z.object({ type: z.literal('location'), location: locationSchema }).loose(),
  z.object({ type: z.literal('payload'), payload: text(1000) }).loose(),
  z.object({ type: z.literal('action'), action: z.record(z.string(), z.unknown()) }).loose(),
  z.object({ type: z.literal('coupon_code'), coupon_code: text(15) }).loose(),
], { error: 'type must be one of text, currency, date_time, image, video, document, location, payload, action, coupon_code' });

const templateComponentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), parameters: z.array(templateParamSchema).min(1, count(1, 1, 'parameters')) }).loose(),
  z.object({ type: z.literal('body'), parameters: z.array(templateParamSchema).optional() }).loose(),
  z.object({
    type: z.literal('button'),
    // Meta takes sub_type in either case and index as a string or a number (the spec's examples use both).
    sub_type: z.string().transform((s) => s.toLowerCase()).pipe(z.enum(['quick_reply', 'url', 'catalog', 'flow', 'copy_code', 'mpm', 'voice_call'], { error: 'must be quick_reply, url, catalog, flow, copy_code, mpm or voice_call' })),
    index: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^\d$/, 'must be a button position from 0 to 9')),
    parameters: z.array(templateParamSchema).min(1, count(1, 1, 'parameters')),
  }).loose(),
], { error: 'type must be header, body or button' });

export const templateSchema = z.object({
  name: text(512),
  language: z.object({ code: text(64), policy: z.literal('deterministic').optional() }).loose(),
  components: z.array(templateComponentSchema).optional(),
}).loose();

const MESSAGE_SCHEMAS = {
  text: textSchema,
  image: mediaObject(1024),
  video: mediaObject(1024),
  document: mediaObject(1024),
  audio: mediaObject(null),
  sticker: mediaObject(null),
  location: locationSchema,
  contacts: contactsSchema,
  reaction: reactionSchema,
  interactive: interactiveSchema,
  template: templateSchema,
} as const;
export type MessageType = keyof typeof MESSAGE_SCHEMAS;
const MESSAGE_TYPES = Object.keys(MESSAGE_SCHEMAS);
const isMessageType = (t: string): t is MessageType => MESSAGE_TYPES.includes(t);

const PHONE = /^\+?[1-9]\d{6,14}$/;
/** A BSUID: two-letter country, optional ENT. (parent), up to 128 alphanumerics. */
export const BSUID = /^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/;

const commonSchema = z.object({
  messaging_product: z.literal('whatsapp', { error: 'must be "whatsapp"' }),
  recipient_type: z.literal('individual', { error: 'must be "individual" (groups are not enabled on this number)' }).optional(),
  to: z.string({ error: 'must be a string' }).transform((s) => s.replace(/[\s().-]/g, '')).pipe(z.string().regex(PHONE, 'must be a phone number in international format, e.g. +33612345678')).optional(),
  recipient: z.string({ error: 'must be a string' }).regex(BSUID, 'must be a business-scoped user ID such as FR.1234567890').optional(),
  biz_opaque_callback_data: text(512).optional(),
  context: z.object({ message_id: idText }).loose().optional(),
}).loose();

const readSchema = z.object({
  messaging_product: z.literal('whatsapp', { error: 'must be "whatsapp"' }),
  status: z.literal('read'),
  message_id: idText,
  typing_indicator: z.object({ type: z.literal('text', { error: 'must be "text"' }) }).loose().optional(),
}).loose();

export type TextContent = z.output<typeof textSchema>;
export type Interactive = z.output<typeof interactiveSchema>;
export type TemplateRequest = z.output<typeof templateSchema>;
export type TemplateParam = z.output<typeof templateParamSchema>;
export type MediaContent = z.output<ReturnType<typeof mediaObject>>;

export type ValidMessage = {
  /** E.164 digits without '+', when addressed by phone (it wins over `recipient`). */
  to: string | null;
  recipient: string | null;
  callbackData: string | null;
  contextId: string | null;
  /** The request body as sent, for rendering and the log of what the business sent. */
  body: Record<string, unknown>;
} & (
  | { type: 'text'; content: TextContent }
  | { type: 'image' | 'video' | 'document' | 'audio' | 'sticker'; content: MediaContent }
  | { type: 'location'; content: z.output<typeof locationSchema> }
  | { type: 'contacts'; content: z.output<typeof contactsSchema> }
  | { type: 'reaction'; content: z.output<typeof reactionSchema> }
  | { type: 'interactive'; content: Interactive }
  | { type: 'template'; content: TemplateRequest }
);

export type Validation =
  | { ok: true; kind: 'message'; message: ValidMessage }
  | { ok: true; kind: 'read'; messageId: string; typing: boolean }
  | Rejection;

/** `a.b[0].c` → Meta's `a['b'][0]['c']` notation. */
export function metaPath(path: readonly PropertyKey[]): string {
  const [first, ...rest] = path;
  return String(first ?? '') + rest.map((p) => (typeof p === 'number' ? `[${p}]` : `['${String(p)}']`)).join('');
}

export function invalid(details: string, code = 100): Rejection {
  return { ok: false, code, title: code === 100 ? 'Invalid parameter' : code === 131009 ? 'Parameter value is not valid' : 'Invalid request', details };
}

function fromZod(error: z.ZodError, prefix: readonly PropertyKey[] = []): Rejection {
  const issue = error.issues[0];
  if (!issue) return invalid('The request is not valid');
  // A discriminated union hides which branch failed when the discriminator is fine: zod reports its own
  // path; an unknown discriminator is reported at the `type` field.
  const path = [...prefix, ...issue.path];
  const where = path.length ? `Param ${metaPath(path)}` : 'The request';
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') message = 'has an unsupported type';
  else if (issue.code === 'invalid_type') message = /received undefined/.test(issue.message) ? 'is required' : `must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
  return invalid(`${where} ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks one request body of POST /{phone-number-id}/messages as the Cloud API would. */
export function validateSend(input: unknown): Validation {
  if (!isRecord(input)) return invalid('The request body must be a JSON object');
  if ('status' in input) {
    const r = readSchema.safeParse(input);
    if (!r.success) return fromZod(r.error);
    return { ok: true, kind: 'read', messageId: r.data.message_id, typing: r.data.typing_indicator !== undefined };
  }
  const common = commonSchema.safeParse(input);
  if (!common.success) return fromZod(common.error);
  const c = common.data;
  if (c.to === undefined && c.recipient === undefined) return invalid('Param to is required (or recipient, a business-scoped user ID)');
  // `type` defaults to text; the spec's own examples also omit it when the one content object says what it is.
  let type: string;
  if (typeof input['type'] === 'string') type = input['type'];
  else if (input['type'] !== undefined) return invalid('Param type must be a string');
  else {
    const present = MESSAGE_TYPES.filter((t) => t in input);
    type = present.length === 1 && present[0] !== undefined ? present[0] : 'text';
  }
  if (!isMessageType(type)) return invalid(`Param type must be one of ${MESSAGE_TYPES.join(', ')}`);
  const inner = input[type];
  if (inner === undefined) return invalid(`Param ${type} is required for a message of type ${type}`);
  if (type === 'interactive' && isRecord(inner) && typeof inner['type'] === 'string' && NEEDS_SETUP.has(inner['type'])) {
    return invalid(`Param interactive['type'] ${inner['type']} needs a catalog, payment or calling set-up that this WhatsApp Business Account does not have`, 131009);
  }
  const base = { to: c.to === undefined ? null : c.to.replace(/^\+/, ''), recipient: c.recipient ?? null, callbackData: c.biz_opaque_callback_data ?? null, contextId: c.context?.message_id ?? null, body: input };
  const parsed = parseContent(type, inner);
  if (!parsed.ok) return parsed;
  return { ok: true, kind: 'message', message: { ...base, ...parsed.value } };
}

type Content = Extract<Validation, { kind: 'message' }>['message'] extends infer M ? (M extends { type: infer T; content: infer C } ? { type: T; content: C } : never) : never;

function parseContent(type: MessageType, inner: unknown): { ok: true; value: Content } | Rejection {
  const fail = (e: z.ZodError) => fromZod(e, [type]);
  switch (type) {
    case 'text': { const r = textSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
    case 'image': case 'video': case 'document': case 'audio': case 'sticker': {
      const r = MESSAGE_SCHEMAS[type].safeParse(inner);
      return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error);
    }
    case 'location': { const r = locationSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
    case 'contacts': { const r = contactsSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
    case 'reaction': { const r = reactionSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
    case 'interactive': { const r = interactiveSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
    case 'template': { const r = templateSchema.safeParse(inner); return r.success ? { ok: true, value: { type, content: r.data } } : fail(r.error); }
  }
}

/** Free-form messages need the 24-hour window; templates do not, and a reaction only yields a `sent`. */
export function needsWindow(type: ValidMessage['type']): boolean {
  return type !== 'template' && type !== 'reaction';
}
