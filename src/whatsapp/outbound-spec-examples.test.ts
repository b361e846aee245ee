// Every send example of Meta's spec (paths./{Version}/{Phone-Number-ID}/messages.post) of a kind we build is
// rebuilt from its own fields with our builders + toWire and compared deeply.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sendExamples, type SpecExample } from '../../test/meta-spec.js';
import {
  OutboundLimitError,
  audio,
  document,
  image,
  list,
  location,
  markRead,
  quote,
  reaction,
  replyButtons,
  sticker,
  template,
  text,
  toWire,
  video,
  type MediaSource,
  type OutboundMessage,
  type TemplateBodyParamInput,
  type TemplateButtonInput,
  type TemplateHeaderParamInput,
} from './outbound.js';
import { templateBodyParamSchema, templateHeaderParamSchema } from './outbound-schema.js';

/** Kinds we do not build, by example name, with why. */
const NOT_BUILT: Record<string, string> = {
  'Send Catalog Message': 'interactive catalog_message (commerce)',
  'Send Catalog Template Message': 'template with a CATALOG button (commerce)',
  'Send Multi-Product Message': 'interactive product_list (commerce)',
  'Send Single Product Message': 'interactive product (commerce)',
  'Send Order Details Message': 'interactive order_details (payments)',
  'Send Order Status Message': 'interactive order_status (payments)',
  'Send Contact Message': 'contacts card',
  'Send Reply to Contact Message': 'contacts card',
  'Send Draft Flow by ID': 'interactive flow',
  'Send Draft Flow by Name': 'interactive flow',
  'Send Published Flow by ID': 'interactive flow',
  'Send Published Flow by Name': 'interactive flow',
  'Send Flow Template Message': 'template with a flow button',
  // Its quick_reply buttons carry {type:"text", text:true|false} and language.policy "deterministic": neither is in
  // the documented template shape (cloud-api.md §6), where quick replies carry a payload.
  'Send Sample Issue Resolution Template': 'template quick replies with boolean text parameters',
  // Not a message: compared with markRead below.
  'Send typing indicator and read receipt': 'mark-as-read body',
};

/**
 * Placeholders in the spec that our builders rightly refuse (not a URL, not a template name, not a language
 * code). They are replaced by valid values of the same role before comparing; the originals must be refused.
 */
function realise(value: unknown): { value: unknown; replaced: string[] } {
  const replaced: string[] = [];
  const walk = (node: unknown, key: string | null, parent: string | null): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, null, key));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k, key)]));
    }
    if (typeof node !== 'string') return node;
    if (key === 'link' && !/^https?:\/\/[^\s<>()]+$/.test(node)) {
      replaced.push(`link ${node}`);
      return 'https://media.example.org/file';
    }
    if (parent === 'template' && key === 'name' && !/^[a-z0-9_]+$/.test(node)) {
      replaced.push(`template name ${node}`);
      return 'template_name';
    }
    if (key === 'code' && node === 'language-and-locale-code') {
      replaced.push(`language ${node}`);
      return 'en_US';
    }
    return node;
  };
  return { value: walk(value, null, null), replaced };
}

const source = z.union([z.object({ id: z.string() }), z.object({ link: z.string() })]).transform((s): MediaSource => ('id' in s ? { id: s.id } : { link: s.link }));
const withCaption = z.intersection(source, z.object({ caption: z.string().optional(), filename: z.string().optional() }));
const textBlock = z.object({ text: z.string() });

const exampleSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  recipient_type: z.literal('individual').optional(),
  to: z.string(),
  type: z.string().optional(),
  context: z.object({ message_id: z.string() }).optional(),
  text: z.object({ body: z.string(), preview_url: z.boolean().optional() }).optional(),
  image: withCaption.optional(),
  video: withCaption.optional(),
  document: withCaption.optional(),
  audio: source.optional(),
  sticker: source.optional(),
  location: z.object({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }).optional(),
  reaction: z.object({ message_id: z.string(), emoji: z.string() }).optional(),
  interactive: z
    .object({
      type: z.string(),
      header: z.object({ type: z.literal('text'), text: z.string() }).optional(),
      body: textBlock,
      footer: textBlock.optional(),
      action: z.object({
        button: z.string().optional(),
        buttons: z.array(z.object({ reply: z.object({ id: z.string(), title: z.string() }) })).optional(),
        sections: z
          .array(z.object({ title: z.string().optional(), rows: z.array(z.object({ id: z.string(), title: z.string(), description: z.string().optional() })) }))
          .optional(),
      }),
    })
    .optional(),
  template: z
    .object({
      name: z.string(),
      language: z.object({ code: z.string() }),
      components: z
        .array(
          z.union([
            z.object({ type: z.literal('header'), parameters: z.tuple([templateHeaderParamSchema]) }),
            z.object({ type: z.literal('body'), parameters: z.array(templateBodyParamSchema) }),
            z.object({
              type: z.literal('button'),
              sub_type: z.literal('quick_reply'),
              index: z.string(),
              parameters: z.tuple([z.object({ type: z.literal('payload'), payload: z.string() })]),
            }),
          ]),
        )
        .optional(),
    })
    .optional(),
});

/** Our builders fed with the example's own fields. */
function rebuild(raw: unknown): OutboundMessage {
  const ex = exampleSchema.parse(raw);
  const built = ((): OutboundMessage => {
    if (ex.text) return text(ex.text.body, ex.text.preview_url === undefined ? {} : { previewUrl: ex.text.preview_url });
    if (ex.image) return image(source.parse(ex.image), ex.image.caption);
    if (ex.video) return video(source.parse(ex.video), ex.video.caption);
    if (ex.document) {
      const { caption, filename } = ex.document;
      return document(source.parse(ex.document), { ...(caption === undefined ? {} : { caption }), ...(filename === undefined ? {} : { filename }) });
    }
    if (ex.audio) return audio(ex.audio);
    if (ex.sticker) return sticker(ex.sticker);
    if (ex.location) {
      const { latitude, longitude, name, address } = ex.location;
      return location({ latitude, longitude, ...(name === undefined ? {} : { name }), ...(address === undefined ? {} : { address }) });
    }
    if (ex.reaction) return reaction(ex.reaction.message_id, ex.reaction.emoji);
    if (ex.interactive) {
      const i = ex.interactive;
      const common = {
        body: i.body.text,
        ...(i.header === undefined ? {} : { header: i.header.text }),
        ...(i.footer === undefined ? {} : { footer: i.footer.text }),
      };
      if (i.type === 'button') return replyButtons({ ...common, buttons: (i.action.buttons ?? []).map((b) => b.reply) });
      if (i.type === 'list') {
        return list({
          ...common,
          button: i.action.button ?? '',
          sections: (i.action.sections ?? []).map((s) => ({
            ...(s.title === undefined ? {} : { title: s.title }),
            rows: s.rows.map((r) => ({ id: r.id, title: r.title, ...(r.description === undefined ? {} : { description: r.description }) })),
          })),
        });
      }
      throw new Error(`interactive ${i.type} is not built`);
    }
    if (ex.template) {
      const t = ex.template;
      let header: TemplateHeaderParamInput | undefined;
      let body: TemplateBodyParamInput[] | undefined;
      const buttons: TemplateButtonInput[] = [];
      for (const c of t.components ?? []) {
        if (c.type === 'header') header = c.parameters[0];
        else if (c.type === 'body') body = c.parameters;
        else buttons.push({ subType: 'quick_reply', index: Number(c.index), payload: c.parameters[0].payload });
      }
      return template({
        name: t.name,
        language: t.language.code,
        ...(header === undefined ? {} : { header }),
        ...(body === undefined ? {} : { body }),
        ...(buttons.length > 0 ? { buttons } : {}),
      });
    }
    throw new Error('no kind we build');
  })();
  return ex.context ? quote(built, ex.context.message_id) : built;
}

const withoutEnvelope = (wire: object) =>
  Object.fromEntries(Object.entries(wire).filter(([k]) => k !== 'messaging_product' && k !== 'recipient_type' && k !== 'to'));

describe('spec send examples', () => {
  const examples: SpecExample[] = sendExamples();
  const compared = examples.filter((e) => !(e.name in NOT_BUILT));

  it('are the 50 examples the README describes, and the skip list names real ones', () => {
    expect(examples).toHaveLength(50);
    const names = new Set(examples.map((e) => e.name));
    for (const name of Object.keys(NOT_BUILT)) expect(names, name).toContain(name);
    expect(compared.length).toBeGreaterThan(10);
    expect(compared).toHaveLength(35);
  });

  it.each(compared.map((e) => [e.name, e.value] as const))('%s is reproduced by our builders', (_name, original) => {
    const { value, replaced } = realise(original);
    if (replaced.length > 0) {
      // The placeholder as written must be refused at build time.
      expect(() => rebuild(original)).toThrow(OutboundLimitError);
    }
    const wire = toWire(rebuild(value), { phone: '+16505551234' });
    const ex = z.object({ recipient_type: z.string().optional() }).loose().parse(value);
    expect(wire.messaging_product).toBe('whatsapp');
    expect(wire.recipient_type).toBe(ex.recipient_type ?? 'individual');
    expect(wire.to).toBe('+16505551234');
    const expected = withoutEnvelope(z.object({}).loose().parse(value));
    // Two examples omit the required `type` ("Send Text Message with Preview URL", "Send Reply to List Message").
    if (!('type' in expected)) expected['type'] = wire.type;
    expect(withoutEnvelope(wire)).toStrictEqual(expected);
  });

  it('exactly the examples with placeholder links, names or language codes are adjusted', () => {
    const adjusted = compared.filter((e) => realise(e.value).replaced.length > 0).map((e) => e.name);
    expect(adjusted.sort()).toEqual(
      [
        'Send Audio Message by URL',
        'Send Reply to Audio Message by URL',
        'Send Document Message by URL',
        'Send Reply to Document Message by URL',
        'Send Image Message by URL',
        'Send Reply to Image Message by URL',
        'Send Reply to Sticker Message by URL',
        'Send Sticker Message by URL',
        'Send Reply to Video Message by URL',
        'Send Video Message by URL',
        'Send Message Template Interactive',
        'Send Message Template Media',
        'Send Message Template Text',
        'Send Sample Shipping Confirmation Template',
        'Send Sample Text Message',
      ].sort(),
    );
  });

  it('the typing indicator example is markRead with typing', () => {
    const ex = examples.find((e) => e.name === 'Send typing indicator and read receipt');
    const messageId = z.object({ message_id: z.string() }).loose().parse(ex?.value).message_id;
    expect(markRead(messageId, { typing: true })).toStrictEqual(ex?.value);
  });
});
