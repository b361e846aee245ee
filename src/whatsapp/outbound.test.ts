import { describe, expect, it } from 'vitest';
import {
  OutboundLimitError,
  audio,
  ctaUrl,
  document,
  image,
  list,
  location,
  markRead,
  outboundMessageSchema,
  quote,
  reaction,
  replyButtons,
  requiresWindow,
  sticker,
  template,
  text,
  toWire,
  video,
  type OutboundMessage,
} from './outbound.js';
import { validateSend } from '../sandbox/validate.js';

const phone = { phone: '33612345678' };

describe('wire JSON of each kind (cloud-api.md §5–§6)', () => {
  it('text', () => {
    expect(toWire(text('Bonjour 👋'), phone)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+33612345678',
      type: 'text',
      text: { body: 'Bonjour 👋' },
    });
    expect(text('see https://x.org', { previewUrl: true })).toStrictEqual({ type: 'text', text: { body: 'see https://x.org', preview_url: true } });
  });

  it('reply buttons with text header and footer', () => {
    expect(
      replyButtons({
        header: 'Rendez-vous',
        body: 'Confirmez-vous votre rendez-vous de mardi ?',
        footer: 'Clinique du Parc',
        buttons: [
          { id: 'appt:42:confirm', title: 'Je confirme' },
          { id: 'appt:42:cancel', title: 'Annuler' },
        ],
      }),
    ).toStrictEqual({
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Rendez-vous' },
        body: { text: 'Confirmez-vous votre rendez-vous de mardi ?' },
        footer: { text: 'Clinique du Parc' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'appt:42:confirm', title: 'Je confirme' } },
            { type: 'reply', reply: { id: 'appt:42:cancel', title: 'Annuler' } },
          ],
        },
      },
    });
  });

  it('reply buttons with a media header', () => {
    const m = replyButtons({ header: { image: { id: '123' } }, body: 'b', buttons: [{ id: 'a', title: 'A' }] });
    expect(m.interactive).toStrictEqual({
      type: 'button',
      header: { type: 'image', image: { id: '123' } },
      body: { text: 'b' },
      action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] },
    });
    expect(replyButtons({ header: { document: { link: 'https://x.org/a.pdf' } }, body: 'b', buttons: [{ id: 'a', title: 'A' }] }).interactive.header).toStrictEqual({
      type: 'document',
      document: { link: 'https://x.org/a.pdf' },
    });
    expect(replyButtons({ header: { video: { id: '9' } }, body: 'b', buttons: [{ id: 'a', title: 'A' }] }).interactive.header).toStrictEqual({ type: 'video', video: { id: '9' } });
  });

  it('list', () => {
    expect(
      list({
        header: 'Créneaux',
        body: 'Choisissez un créneau',
        footer: 'Dr Martin',
        button: 'Voir',
        sections: [
          { title: 'Mardi', rows: [{ id: 'slot:1', title: '09:00', description: '30 min' }] },
          { title: 'Mercredi', rows: [{ id: 'slot:2', title: '14:30' }] },
        ],
      }),
    ).toStrictEqual({
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Créneaux' },
        body: { text: 'Choisissez un créneau' },
        footer: { text: 'Dr Martin' },
        action: {
          button: 'Voir',
          sections: [
            { title: 'Mardi', rows: [{ id: 'slot:1', title: '09:00', description: '30 min' }] },
            { title: 'Mercredi', rows: [{ id: 'slot:2', title: '14:30' }] },
          ],
        },
      },
    });
  });

  it('list with one untitled section', () => {
    expect(list({ body: 'b', button: 'Open', sections: [{ rows: [{ id: 'r', title: 'R' }] }] }).interactive).toStrictEqual({
      type: 'list',
      body: { text: 'b' },
      action: { button: 'Open', sections: [{ rows: [{ id: 'r', title: 'R' }] }] },
    });
  });

  it('cta_url', () => {
    expect(ctaUrl({ body: 'Vos résultats sont prêts', displayText: 'Voir', url: 'https://portal.example.org/r?id=1', footer: 'f', header: 'h' })).toStrictEqual({
      type: 'interactive',
      interactive: {
        type: 'cta_url',
        header: { type: 'text', text: 'h' },
        body: { text: 'Vos résultats sont prêts' },
        footer: { text: 'f' },
        action: { name: 'cta_url', parameters: { display_text: 'Voir', url: 'https://portal.example.org/r?id=1' } },
      },
    });
  });

  it('template without parameters', () => {
    expect(template({ name: 'hello_world', language: 'en_US' })).toStrictEqual({ type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
  });

  it('template with positional body, text header and both button kinds', () => {
    expect(
      template({
        name: 'appointment_reminder',
        language: 'fr',
        header: 'Rappel',
        body: ['Alice', 'mardi 3 décembre', '09:30'],
        buttons: [
          { subType: 'quick_reply', index: 0, payload: 'CONFIRM:appt-123' },
          { subType: 'quick_reply', index: 1, payload: 'CANCEL:appt-123' },
          { subType: 'url', index: 2, text: 'appt-123' },
        ],
      }),
    ).toStrictEqual({
      type: 'template',
      template: {
        name: 'appointment_reminder',
        language: { code: 'fr' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Rappel' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Alice' },
              { type: 'text', text: 'mardi 3 décembre' },
              { type: 'text', text: '09:30' },
            ],
          },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'CONFIRM:appt-123' }] },
          { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'CANCEL:appt-123' }] },
          { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'appt-123' }] },
        ],
      },
    });
  });

  it('template with named parameters, currency and date_time', () => {
    const m = template({
      name: 'invoice_due',
      language: 'en_US',
      header: { type: 'document', document: { id: '77', filename: 'invoice.pdf' } },
      body: [
        { name: 'first_name', text: 'Jessica' },
        { type: 'currency', currency: { fallback_value: '€12.50', code: 'EUR', amount_1000: 12500 }, parameter_name: 'amount' },
        { type: 'date_time', date_time: { fallback_value: '1 Dec 2026' }, parameter_name: 'due_date' },
      ],
    });
    expect(m.template.components).toStrictEqual([
      { type: 'header', parameters: [{ type: 'document', document: { id: '77', filename: 'invoice.pdf' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Jessica', parameter_name: 'first_name' },
          { type: 'currency', currency: { fallback_value: '€12.50', code: 'EUR', amount_1000: 12500 }, parameter_name: 'amount' },
          { type: 'date_time', date_time: { fallback_value: '1 Dec 2026' }, parameter_name: 'due_date' },
        ],
      },
    ]);
  });

  it('template with a location header', () => {
    const m = template({ name: 'clinic_address', language: 'fr', header: { type: 'location', location: { latitude: 45.76, longitude: 4.83, name: 'Clinique', address: '1 rue X' } } });
    expect(m.template.components).toStrictEqual([{ type: 'header', parameters: [{ type: 'location', location: { latitude: 45.76, longitude: 4.83, name: 'Clinique', address: '1 rue X' } }] }]);
  });

  it('media by id and by link', () => {
    expect(image({ id: '1234' }, 'Votre ordonnance')).toStrictEqual({ type: 'image', image: { id: '1234', caption: 'Votre ordonnance' } });
    expect(image({ link: 'https://cdn.example.org/a.png?v=2' })).toStrictEqual({ type: 'image', image: { link: 'https://cdn.example.org/a.png?v=2' } });
    expect(document({ id: '55' }, { filename: 'resultats.pdf', caption: 'Résultats' })).toStrictEqual({ type: 'document', document: { id: '55', filename: 'resultats.pdf', caption: 'Résultats' } });
    expect(document({ link: 'http://files.example.org/x.pdf' })).toStrictEqual({ type: 'document', document: { link: 'http://files.example.org/x.pdf' } });
    expect(video({ id: '8' }, 'v')).toStrictEqual({ type: 'video', video: { id: '8', caption: 'v' } });
    expect(audio({ id: '9' })).toStrictEqual({ type: 'audio', audio: { id: '9' } });
    expect(sticker({ id: '10' })).toStrictEqual({ type: 'sticker', sticker: { id: '10' } });
  });

  it('media keeps only id or link from the source object', () => {
    const both = { id: '1', link: 'https://x.org/a.png', extra: 'x' };
    expect(image(both)).toStrictEqual({ type: 'image', image: { id: '1' } });
  });

  it('location', () => {
    expect(location({ latitude: 48.8566, longitude: 2.3522, name: 'Clinique', address: '1 place X, Paris' })).toStrictEqual({
      type: 'location',
      location: { latitude: 48.8566, longitude: 2.3522, name: 'Clinique', address: '1 place X, Paris' },
    });
    expect(location({ latitude: 0, longitude: 0 })).toStrictEqual({ type: 'location', location: { latitude: 0, longitude: 0 } });
  });

  it('reaction, and its removal', () => {
    expect(reaction('wamid.IN1', '👍')).toStrictEqual({ type: 'reaction', reaction: { message_id: 'wamid.IN1', emoji: '👍' } });
    expect(reaction('wamid.IN1', '')).toStrictEqual({ type: 'reaction', reaction: { message_id: 'wamid.IN1', emoji: '' } });
    for (const emoji of ['❤️', '👨‍👩‍👧', '🇫🇷', '👍🏽', '1️⃣']) expect(reaction('wamid.IN1', emoji).reaction.emoji).toBe(emoji);
  });

  it('quote adds context to any kind', () => {
    expect(quote(text('oui'), 'wamid.IN1')).toStrictEqual({ type: 'text', text: { body: 'oui' }, context: { message_id: 'wamid.IN1' } });
    expect(toWire(quote(image({ id: '1' }), 'wamid.IN1'), phone)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+33612345678',
      type: 'image',
      image: { id: '1' },
      context: { message_id: 'wamid.IN1' },
    });
    expect(() => quote(text('x'), ' ')).toThrow(OutboundLimitError);
  });
});

describe('markRead', () => {
  it('is the mark-as-read body', () => {
    expect(markRead('wamid.IN1')).toStrictEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN1' });
    expect(markRead('wamid.IN1', { typing: false })).toStrictEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN1' });
  });

  it('adds the typing indicator', () => {
    expect(markRead('wamid.IN1', { typing: true })).toStrictEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN1', typing_indicator: { type: 'text' } });
  });

  it('refuses an empty id', () => {
    expect(() => markRead('')).toThrow(OutboundLimitError);
  });
});

describe('toWire', () => {
  const m = text('hi');

  it.each([
    ['33612345678', '+33612345678'],
    ['+33612345678', '+33612345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+1 (650) 555-1234', '+16505551234'],
  ])('sends phone %s as %s', (given, wire) => {
    expect(toWire(m, { phone: given }).to).toBe(wire);
  });

  it('prefers the phone when both are known, and never sends both', () => {
    const w = toWire(m, { phone: '33612345678', bsuid: 'FR.123' });
    expect(w.to).toBe('+33612345678');
    expect('recipient' in w).toBe(false);
  });

  it('sends a BSUID as recipient when no phone is known', () => {
    expect(toWire(m, { phone: null, bsuid: 'US.13491208655302741918' })).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      recipient: 'US.13491208655302741918',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(toWire(m, { bsuid: 'US.ENT.1234' }).recipient).toBe('US.ENT.1234');
    expect(toWire(m, { phone: '', bsuid: 'US.1' }).recipient).toBe('US.1');
  });

  it('adds biz_opaque_callback_data', () => {
    expect(toWire(m, phone, 'outbox:7f3c')).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+33612345678',
      type: 'text',
      text: { body: 'hi' },
      biz_opaque_callback_data: 'outbox:7f3c',
    });
    expect(toWire(m, phone, 'x'.repeat(512)).biz_opaque_callback_data).toHaveLength(512);
    expect(() => toWire(m, phone, 'x'.repeat(513))).toThrow(/biz_opaque_callback_data is 513 characters; the Cloud API allows 512/);
    expect(() => toWire(m, phone, '')).toThrow(OutboundLimitError);
  });

  it('throws without any recipient', () => {
    for (const to of [{}, { phone: null, bsuid: null }, { phone: ' ', bsuid: '' }]) {
      expect(() => toWire(m, to)).toThrow(OutboundLimitError);
    }
  });

  it('throws on a malformed phone or BSUID, without quoting it', () => {
    for (const bad of ['0612345678', '+0033612', 'abc', '+336123456789012345', '33 6 12 34 56 78 ext. 9']) {
      let message = '';
      try {
        toWire(m, { phone: bad });
      } catch (e) {
        expect(e).toBeInstanceOf(OutboundLimitError);
        message = String(e);
      }
      expect(message).toContain('E.164');
      expect(message).not.toContain(bad);
    }
    expect(() => toWire(m, { bsuid: '13491208655302741918' })).toThrow(/BSUID/);
    expect(() => toWire(m, { bsuid: 'US.has space' })).toThrow(OutboundLimitError);
  });

  it('sends to the BSUID when the phone is malformed, and the result is a request the Cloud API accepts', () => {
    const bsuids = ['US.13491208655302741918', 'FR.ENT.99', 'BR.a1B2c3'];
    const badPhones = ['0612345678', '+0033612', 'abc', '+336123456789012345', '33 6 12 34 56 78 ext. 9', '12345'];
    for (const bsuid of bsuids) {
      for (const bad of badPhones) {
        const w = toWire(m, { phone: bad, bsuid });
        expect(w).toStrictEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', recipient: bsuid, type: 'text', text: { body: 'hi' } });
        const v = validateSend(w);
        expect(v.ok && v.kind === 'message' ? v.message.recipient : null).toBe(bsuid);
      }
    }
  });

  it('refuses only when neither the phone nor the BSUID is usable, quoting neither', () => {
    for (const [phoneValue, bsuid] of [['0612345678', 'US.has space'], ['abc', '13491208655302741918'], ['+0033612', 'us.123'], [null, 'FR.'], ['12', ' ']] as const) {
      let message = '';
      try {
        toWire(m, { phone: phoneValue, bsuid });
      } catch (e) {
        expect(e).toBeInstanceOf(OutboundLimitError);
        message = String(e);
      }
      expect(message).toMatch(/E\.164|BSUID/);
      if (phoneValue) expect(message).not.toContain(phoneValue);
      if (bsuid.trim()) expect(message).not.toContain(bsuid);
    }
  });

  it('accepts exactly the BSUIDs the Cloud API accepts as recipient', () => {
    const candidates = ['US.1', 'US.ENT.1', 'FR.' + 'a'.repeat(128), 'FR.' + 'a'.repeat(129), 'us.1', 'U.1', 'USA.1', 'US.1.2', 'US.ENT.', 'US.-1', 'US.1 ', 'DE.AbC09'];
    for (const bsuid of candidates) {
      const ours = (() => {
        try {
          return toWire(m, { bsuid }).recipient === bsuid;
        } catch {
          return false;
        }
      })();
      const v = validateSend({ messaging_product: 'whatsapp', recipient: bsuid, type: 'text', text: { body: 'hi' } });
      expect({ bsuid, ours }).toStrictEqual({ bsuid, ours: v.ok });
    }
  });

  it('re-checks limits of a message that did not come from a builder', () => {
    const forged: OutboundMessage = { type: 'text', text: { body: 'x'.repeat(4097) } };
    expect(() => toWire(forged, phone)).toThrow(/text body is 4097 characters; the Cloud API allows 4096/);
  });
});

describe('requiresWindow', () => {
  it('is false only for templates', () => {
    expect(requiresWindow(template({ name: 'hello_world', language: 'en_US' }))).toBe(false);
    for (const m of [text('x'), reaction('wamid.1', '👍'), image({ id: '1' }), location({ latitude: 1, longitude: 1 }), replyButtons({ body: 'b', buttons: [{ id: 'a', title: 'A' }] })]) {
      expect(requiresWindow(m)).toBe(true);
    }
  });
});

describe('outboundMessageSchema', () => {
  const built: OutboundMessage[] = [
    text('hi', { previewUrl: false }),
    quote(text('hi'), 'wamid.1'),
    replyButtons({ header: { image: { link: 'https://x.org/a.png' } }, body: 'b', footer: 'f', buttons: [{ id: 'a', title: 'A' }] }),
    list({ body: 'b', button: 'Open', sections: [{ title: 't', rows: [{ id: 'r', title: 'R', description: 'd' }] }] }),
    ctaUrl({ body: 'b', displayText: 'Go', url: 'https://x.org' }),
    template({ name: 't_1', language: 'fr', header: 'h', body: ['a', { type: 'currency', currency: { fallback_value: '1 €', code: 'EUR', amount_1000: 1000 } }], buttons: [{ subType: 'url', index: 0, text: 'x' }] }),
    image({ id: '1' }, 'c'),
    video({ link: 'https://x.org/v.mp4' }),
    document({ id: '1' }, { filename: 'f.pdf' }),
    audio({ link: 'https://x.org/a.ogg' }),
    sticker({ id: '1' }),
    location({ latitude: 1, longitude: 2, name: 'n' }),
    reaction('wamid.1', '🙏'),
  ];

  it('accepts every built message after a JSON round trip (outbox storage)', () => {
    for (const m of built) {
      const stored: unknown = JSON.parse(JSON.stringify(m));
      expect(outboundMessageSchema.parse(stored)).toStrictEqual(m);
    }
  });

  it('rejects unknown keys, both id and link, and wrong types', () => {
    const bad: unknown[] = [
      { type: 'text', text: { body: 'x' }, to: '+331' },
      { type: 'text', text: { body: 'x', extra: 1 } },
      { type: 'image', image: { id: '1', link: 'https://x.org' } },
      { type: 'image', image: {} },
      { type: 'flow' },
      { type: 'interactive', interactive: { type: 'flow', body: { text: 'x' }, action: {} } },
      { type: 'location', location: { latitude: '1', longitude: 2 } },
      null,
    ];
    for (const b of bad) expect(outboundMessageSchema.safeParse(b).success).toBe(false);
  });

  it('rejects a stored message over a limit, naming the field only', () => {
    const r = outboundMessageSchema.safeParse({ type: 'text', text: { body: 'é'.repeat(4097) } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('text body is 4097 characters; the Cloud API allows 4096');
  });
});
