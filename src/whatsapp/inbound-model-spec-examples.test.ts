// Every message, contact and status of the 16 webhook examples of Meta's spec (paths./whatsapp/webhooks.post).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { webhookExamples } from '../../test/meta-spec.js';
import { parseContact, parseInboundMessage, parseStatus, type InboundMessage } from './inbound-model.js';

/** Narrows to one variant or fails the test. */
function expectType<T extends InboundMessage['type']>(m: InboundMessage, type: T): Extract<InboundMessage, { type: T }> {
  expect(m.type).toBe(type);
  const isType = (x: InboundMessage): x is Extract<InboundMessage, { type: T }> => x.type === type;
  if (!isType(m)) throw new Error(`expected ${type}, got ${m.type}`);
  return m;
}

const valueSchema = z.object({
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  contacts: z.array(z.unknown()).optional(),
});
const payloadSchema = z.object({
  entry: z.array(z.object({ changes: z.array(z.object({ field: z.string(), value: valueSchema.loose() })) })),
});

describe('spec webhook examples', () => {
  const examples = webhookExamples().map(({ name, value }) => ({ name, payload: payloadSchema.parse(value) }));
  const all = examples.flatMap(({ name, payload }) =>
    payload.entry.flatMap((e) => e.changes.map((c) => ({ name, field: c.field, value: c.value }))),
  );

  it('are the 16 examples the README describes', () => {
    expect(examples).toHaveLength(16);
  });

  it('parse: every message, contact and status', () => {
    let messages = 0;
    let contacts = 0;
    let statuses = 0;
    for (const { name, value } of all) {
      for (const raw of value.messages ?? []) {
        const m = parseInboundMessage(raw);
        messages++;
        // Only the spec's "Unsupported Message" example may come out unknown.
        if (name === 'Unsupported Message') expect(m.type, name).toBe('unknown');
        else expect(m.type, name).not.toBe('unknown');
        expect(m.timestamp.getTime(), name).toBeGreaterThan(Date.UTC(2025, 0, 1));
      }
      for (const raw of value.contacts ?? []) {
        expect(parseContact(raw), name).not.toBeNull();
        contacts++;
      }
      for (const raw of value.statuses ?? []) {
        parseStatus(raw);
        statuses++;
      }
    }
    expect(messages).toBe(13);
    expect(contacts).toBe(12);
    // The v23 spec has no status webhook example at all: statuses are tested from cloud-api.md §4 below.
    expect(statuses).toBe(0);
  });

  it('cover every message type we model except those the spec has no example of', () => {
    const types = new Set(all.flatMap(({ value }) => (value.messages ?? []).map((raw) => parseInboundMessage(raw).type)));
    expect([...types].sort()).toEqual(
      ['button', 'contacts', 'image', 'interactive', 'location', 'order', 'reaction', 'system', 'text', 'unknown'].sort(),
    );
  });

  it('map the spec examples field by field', () => {
    const byName = new Map(all.map(({ name, value }) => [name, value]));
    const first = (name: string) => {
      const raw = byName.get(name)?.messages?.[0];
      if (raw === undefined) throw new Error(`no message in ${name}`);
      return parseInboundMessage(raw);
    };

    const ctwa = expectType(first('Text Message from Click to WhatsApp Ad'), 'text');
    expect(ctwa.text).toBe('Hello! Can I get more info on this?');
    expect(ctwa.referral).toMatchObject({ sourceType: 'ad', mediaType: 'image', sourceId: '120226305854810726', welcomeMessage: 'Hi there! Let us know how we can help!', videoUrl: null });
    expect(ctwa.referral?.ctwaClid).toMatch(/^Aff-/);

    const product = expectType(first('Text Message with Context (Product Inquiry)'), 'text');
    expect(product.context).toEqual({
      from: '15550783881',
      id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA',
      forwarded: false,
      frequentlyForwarded: false,
      referredProduct: { catalogId: '194836987003835', productRetailerId: 'di9ozbzfi4' },
    });

    expect(expectType(first('Reaction Message'), 'reaction')).toMatchObject({ messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA', emoji: '👍' });

    const image = expectType(first('Image Message'), 'image');
    // The spec's image has no url, though webhooks carry one since 2025-11.
    expect(image.media).toEqual({ id: '1003383421387256', mimeType: 'image/jpeg', sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=', url: null, caption: 'Taj Mahal', filename: null, voice: null, animated: null });

    expect(expectType(first('Location Message'), 'location')).toMatchObject({ latitude: 37.44221496582, longitude: -122.16165924072, name: 'Philz Coffee', address: '101 Forest Ave, Palo Alto, CA 94301', url: 'https://philzcoffee.com/' });

    const shared = expectType(first('Contact Sharing Message'), 'contacts');
    expect(shared.contacts).toHaveLength(1);
    expect(shared.contacts[0]?.name).toMatchObject({ formattedName: 'Lucía Gómez', firstName: 'Lucía', lastName: 'Gómez' });
    expect(shared.contacts[0]?.org).toEqual({ company: 'Google', department: null, title: null });
    expect(shared.contacts[0]?.phones).toEqual([{ phone: '+1 (983) 555-2319', waId: '19835552319', type: 'MOBILE' }]);

    const unsupported = expectType(first('Unsupported Message'), 'unknown');
    expect(unsupported).toMatchObject({ rawType: 'unsupported', reason: 'unsupported' });
    expect(unsupported.errors).toEqual([{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.', href: null }]);

    const button = expectType(first('Button Message'), 'button');
    expect(button).toMatchObject({ payload: 'Unsubscribe', text: 'Unsubscribe' });
    expect(button.context?.id).toBe('wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA');

    expect(expectType(first('Interactive List Reply Message'), 'interactive').reply).toEqual({ kind: 'list_reply', id: 'priority_express', title: 'Priority Mail Express', description: 'Next Day to 2 Days' });
    expect(expectType(first('Interactive Button Reply Message'), 'interactive').reply).toEqual({ kind: 'button_reply', id: 'cancel-button', title: 'Cancel', description: null });

    const order = expectType(first('Order Message'), 'order');
    expect(order).toMatchObject({ catalogId: '194836987003835', text: '' });
    expect(order.items).toEqual([
      { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
      { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 25, currency: 'USD' },
    ]);

    const system = expectType(first('System Message'), 'system');
    expect(system).toMatchObject({ systemType: 'user_changed_number', newWaId: '12195555358', newUserId: null });
    expect(byName.get('System Message')?.contacts).toBeUndefined();
  });

  it('group lifecycle examples carry no messages or statuses', () => {
    const groups = all.filter(({ field }) => field.startsWith('group_'));
    expect(groups).toHaveLength(3);
    for (const { value } of groups) {
      expect(value.messages).toBeUndefined();
      expect(value.statuses).toBeUndefined();
    }
  });
});

