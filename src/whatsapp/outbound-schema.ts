// The shape of every outbound message we send, as zod schemas of the Cloud API wire format (cloud-api.md §5–§6),
// without the recipient envelope. Limits are checked separately in outbound-limits.ts.
import { z } from 'zod';

// Strict objects: a stored payload with a field we never write is corrupt, and must not be sent as is.
const mediaById = z.strictObject({ id: z.string() });
const mediaByLink = z.strictObject({ link: z.string() });
export const mediaSourceSchema = z.union([mediaById, mediaByLink]);

function mediaWith<S extends z.ZodRawShape>(extra: S) {
  return z.union([z.strictObject({ id: z.string(), ...extra }), z.strictObject({ link: z.string(), ...extra })]);
}

const contextSchema = z.strictObject({ message_id: z.string() });
const locationObject = z.strictObject({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
});

const textBlock = z.strictObject({ text: z.string() });
const textHeader = z.strictObject({ type: z.literal('text'), text: z.string() });
const interactiveHeader = z.discriminatedUnion('type', [
  textHeader,
  z.strictObject({ type: z.literal('image'), image: mediaSourceSchema }),
  z.strictObject({ type: z.literal('video'), video: mediaSourceSchema }),
  z.strictObject({ type: z.literal('document'), document: mediaSourceSchema }),
]);

const buttonInteractive = z.strictObject({
  type: z.literal('button'),
  header: interactiveHeader.optional(),
  body: textBlock,
  footer: textBlock.optional(),
  action: z.strictObject({
    buttons: z.array(z.strictObject({ type: z.literal('reply'), reply: z.strictObject({ id: z.string(), title: z.string() }) })),
  }),
});

const listInteractive = z.strictObject({
  type: z.literal('list'),
  header: textHeader.optional(),
  body: textBlock,
  footer: textBlock.optional(),
  action: z.strictObject({
    button: z.string(),
    sections: z.array(
      z.strictObject({
        title: z.string().optional(),
        rows: z.array(z.strictObject({ id: z.string(), title: z.string(), description: z.string().optional() })),
      }),
    ),
  }),
});

const ctaUrlInteractive = z.strictObject({
  type: z.literal('cta_url'),
  header: interactiveHeader.optional(),
  body: textBlock,
  footer: textBlock.optional(),
  action: z.strictObject({
    name: z.literal('cta_url'),
    parameters: z.strictObject({ display_text: z.string(), url: z.string() }),
  }),
});

export const interactiveSchema = z.discriminatedUnion('type', [buttonInteractive, listInteractive, ctaUrlInteractive]);

const parameterName = { parameter_name: z.string().optional() };
export const templateTextParamSchema = z.strictObject({ type: z.literal('text'), text: z.string(), ...parameterName });
const currencyParam = z.strictObject({
  type: z.literal('currency'),
  currency: z.strictObject({ fallback_value: z.string(), code: z.string(), amount_1000: z.number().int() }),
  ...parameterName,
});
// The calendar fields are ignored by Meta today but still accepted; the spec's examples carry them.
const dateTimeParam = z.strictObject({
  type: z.literal('date_time'),
  date_time: z.strictObject({
    fallback_value: z.string(),
    calendar: z.string().optional(),
    day_of_week: z.number().int().optional(),
    year: z.number().int().optional(),
    month: z.number().int().optional(),
    day_of_month: z.number().int().optional(),
    hour: z.number().int().optional(),
    minute: z.number().int().optional(),
  }),
  ...parameterName,
});
export const templateBodyParamSchema = z.discriminatedUnion('type', [templateTextParamSchema, currencyParam, dateTimeParam]);
export const templateHeaderParamSchema = z.discriminatedUnion('type', [
  templateTextParamSchema,
  z.strictObject({ type: z.literal('image'), image: mediaSourceSchema }),
  z.strictObject({ type: z.literal('video'), video: mediaSourceSchema }),
  z.strictObject({ type: z.literal('document'), document: mediaWith({ filename: z.string().optional() }) }),
  z.strictObject({ type: z.literal('location'), location: locationObject }),
]);

const templateComponent = z.union([
  z.strictObject({ type: z.literal('header'), parameters: z.array(templateHeaderParamSchema) }),
  z.strictObject({ type: z.literal('body'), parameters: z.array(templateBodyParamSchema) }),
  z.strictObject({
    type: z.literal('button'),
    sub_type: z.literal('quick_reply'),
    index: z.string(),
    parameters: z.array(z.strictObject({ type: z.literal('payload'), payload: z.string() })),
  }),
  z.strictObject({
    type: z.literal('button'),
    sub_type: z.literal('url'),
    index: z.string(),
    parameters: z.array(z.strictObject({ type: z.literal('text'), text: z.string() })),
  }),
]);

export const templateSchema = z.strictObject({
  name: z.string(),
  language: z.strictObject({ code: z.string() }),
  components: z.array(templateComponent).optional(),
});

const withContext = { context: contextSchema.optional() };

/** Structure only; outbound.ts adds the Cloud API limits to make `outboundMessageSchema`. */
export const outboundShapeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.strictObject({ body: z.string(), preview_url: z.boolean().optional() }), ...withContext }),
  z.strictObject({ type: z.literal('interactive'), interactive: interactiveSchema, ...withContext }),
  z.strictObject({ type: z.literal('template'), template: templateSchema, ...withContext }),
  z.strictObject({ type: z.literal('image'), image: mediaWith({ caption: z.string().optional() }), ...withContext }),
  z.strictObject({ type: z.literal('video'), video: mediaWith({ caption: z.string().optional() }), ...withContext }),
  z.strictObject({
    type: z.literal('document'),
    document: mediaWith({ caption: z.string().optional(), filename: z.string().optional() }),
    ...withContext,
  }),
  z.strictObject({ type: z.literal('audio'), audio: mediaSourceSchema, ...withContext }),
  z.strictObject({ type: z.literal('sticker'), sticker: mediaSourceSchema, ...withContext }),
  z.strictObject({ type: z.literal('location'), location: locationObject, ...withContext }),
  z.strictObject({ type: z.literal('reaction'), reaction: z.strictObject({ message_id: z.string(), emoji: z.string() }), ...withContext }),
]);

export type OutboundMessage = z.infer<typeof outboundShapeSchema>;
export type OutboundOf<T extends OutboundMessage['type']> = Extract<OutboundMessage, { type: T }>;
export type TextMessage = OutboundOf<'text'>;
export type InteractiveMessage = OutboundOf<'interactive'>;
export type TemplateMessage = OutboundOf<'template'>;
export type MediaSource = z.infer<typeof mediaSourceSchema>;
export type InteractiveHeader = z.infer<typeof interactiveHeader>;
export type TemplateComponent = z.infer<typeof templateComponent>;
export type TemplateBodyParam = z.infer<typeof templateBodyParamSchema>;
export type TemplateHeaderParam = z.infer<typeof templateHeaderParamSchema>;
