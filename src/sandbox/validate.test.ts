import { describe, expect, it } from 'vitest';
import { sendExamples } from '../../test/meta-spec.js';
import { validateSend, type Validation } from './validate.js';

/** The spec's examples carry placeholders where a real request has a number or a URL. */
function instantiate(v: unknown): unknown {
  if (typeof v === 'string') {
    if (/^\{\{Recipient-(WA-)?Phone-Number\}\}$/.test(v)) return '+16505551234';
    if (/^<?https?\(s\):\/\//.test(v)) return 'https://example.com/file';
    return v;
  }
  if (Array.isArray(v)) return v.map(instantiate);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, instantiate(x)]));
  return v;
}

const NEEDS_SETUP = ['catalog_message', 'product', 'product_list', 'order_details', 'order_status'];
const interactiveType = (v: Record<string, unknown>) => {
  const i = v['interactive'];
  return i && typeof i === 'object' && 'type' in i ? String(i.type) : null;
};

function rejection(v: Validation) {
  expect(v.ok).toBe(false);
  if (v.ok) throw new Error('accepted');
  return v;
}

const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+33612345678' };
const send = (extra: Record<string, unknown>) => validateSend({ ...base, ...extra });
const x = (n: number, ch = 'a') => ch.repeat(n);

const buttons = (n: number, title = 'Yes') => Array.from({ length: n }, (_, i) => ({ type: 'reply', reply: { id: `b${i}`, title: `${title}${i}`.slice(0, Math.max(title.length, 1) + 1) } }));
const buttonMsg = (patch: (i: Record<string, unknown>) => void) => {
  const interactive: Record<string, unknown> = { type: 'button', body: { text: 'Pick one' }, action: { buttons: buttons(2) } };
  patch(interactive);
  return send({ type: 'interactive', interactive });
};
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, title: `Row ${i}`, description: 'Some detail' }));
const listMsg = (patch: (i: Record<string, unknown>) => void) => {
  const interactive: Record<string, unknown> = { type: 'list', body: { text: 'Choose' }, action: { button: 'Options', sections: [{ title: 'Section', rows: rows(3) }] } };
  patch(interactive);
  return send({ type: 'interactive', interactive });
};
const ctaMsg = (params: Record<string, unknown>, body = 'See your results') =>
  send({ type: 'interactive', interactive: { type: 'cta_url', body: { text: body }, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://clinic.example/r', ...params } } } });

describe('validateSend: the spec send examples', () => {
  const examples = sendExamples();

  it('has the 50 examples of the spec', () => {
    expect(examples.length).toBe(50);
  });

  for (const ex of examples) {
    const value = instantiate(ex.value) as Record<string, unknown>;
    const kind = interactiveType(value);
    if (kind !== null && NEEDS_SETUP.includes(kind)) {
      it(`refuses "${ex.name}" (needs a catalog or payments the sandbox account does not have) with 131009`, () => {
        const r = rejection(validateSend(value));
        expect(r.code).toBe(131009);
        expect(r.details).toContain(kind);
      });
    } else {
      it(`accepts "${ex.name}"`, () => {
        const r = validateSend(value);
        expect(r).toMatchObject({ ok: true });
      });
    }
  }

  it('reads the typing-indicator example as a mark-as-read with typing', () => {
    const ex = examples.find((e) => e.name === 'Send typing indicator and read receipt');
    expect(validateSend(ex?.value)).toEqual({ ok: true, kind: 'read', messageId: expect.stringMatching(/^wamid\./), typing: true });
  });
});

describe('validateSend: limits of cloud-api.md §5 and the spec, one over each', () => {
  const cases: [string, () => Validation, string, string?][] = [
    ['text body 4097', () => send({ type: 'text', text: { body: x(4097) } }), "text['body']", '4096'],
    ['empty text body', () => send({ type: 'text', text: { body: '  ' } }), "text['body']", 'empty'],
    ['image caption 1025', () => send({ type: 'image', image: { id: '123', caption: x(1025) } }), "image['caption']", '1024'],
    ['document caption 1025', () => send({ type: 'document', document: { link: 'https://x.example/a.pdf', caption: x(1025) } }), "document['caption']", '1024'],
    ['image with id and link', () => send({ type: 'image', image: { id: '1', link: 'https://x.example/a.png' } }), 'image', 'id or link'],
    ['image with neither', () => send({ type: 'image', image: {} }), 'image', 'id or link'],
    ['media link not a URL', () => send({ type: 'video', video: { link: 'not a url' } }), "video['link']", 'URL'],
    ['4 reply buttons', () => buttonMsg((i) => { i['action'] = { buttons: buttons(4) }; }), "interactive['action']['buttons']", '3'],
    ['0 reply buttons', () => buttonMsg((i) => { i['action'] = { buttons: [] }; }), "interactive['action']['buttons']", '1 to 3'],
    ['button title 21', () => buttonMsg((i) => { i['action'] = { buttons: [{ type: 'reply', reply: { id: 'a', title: x(21) } }] }; }), "['reply']['title']", '20'],
    ['button id 257', () => buttonMsg((i) => { i['action'] = { buttons: [{ type: 'reply', reply: { id: x(257), title: 'Ok' } }] }; }), "['reply']['id']", '256'],
    ['duplicate button ids', () => buttonMsg((i) => { i['action'] = { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }, { type: 'reply', reply: { id: 'a', title: 'B' } }] }; }), "interactive['action']['buttons']", 'unique'],
    ['button type not reply', () => buttonMsg((i) => { i['action'] = { buttons: [{ type: 'url', reply: { id: 'a', title: 'A' } }] }; }), "['type']", 'reply'],
    ['button body 1025', () => buttonMsg((i) => { i['body'] = { text: x(1025) }; }), "interactive['body']['text']", '1024'],
    ['button message without body', () => buttonMsg((i) => { delete i['body']; }), "interactive['body']", 'required'],
    ['header text 61', () => buttonMsg((i) => { i['header'] = { type: 'text', text: x(61) }; }), "interactive['header']['text']", '60'],
    ['footer 61', () => buttonMsg((i) => { i['footer'] = { text: x(61) }; }), "interactive['footer']['text']", '60'],
    ['list body 4097', () => listMsg((i) => { i['body'] = { text: x(4097) }; }), "interactive['body']['text']", '4096'],
    ['list button label 21', () => listMsg((i) => { i['action'] = { button: x(21), sections: [{ rows: rows(1) }] }; }), "interactive['action']['button']", '20'],
    ['11 rows in one section', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ title: 'S', rows: rows(11) }] }; }), "['rows']", '10'],
    ['11 rows across sections', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ title: 'A', rows: rows(6) }, { title: 'B', rows: rows(5).map((r) => ({ ...r, id: `b-${r.id}` })) }] }; }), "interactive['action']['sections']", '10 rows'],
    ['11 sections', () => listMsg((i) => { i['action'] = { button: 'Go', sections: Array.from({ length: 11 }, (_, k) => ({ title: `S${k}`, rows: [{ id: `r${k}`, title: 'R' }] })) }; }), "interactive['action']['sections']", '10'],
    ['section title 25', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ title: x(25), rows: rows(1) }] }; }), "['title']", '24'],
    ['row title 25', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ rows: [{ id: 'r', title: x(25) }] }] }; }), "['rows'][0]['title']", '24'],
    ['row description 73', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ rows: [{ id: 'r', title: 'R', description: x(73) }] }] }; }), "['rows'][0]['description']", '72'],
    ['row id 201', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ rows: [{ id: x(201), title: 'R' }] }] }; }), "['rows'][0]['id']", '200'],
    ['two sections without titles', () => listMsg((i) => { i['action'] = { button: 'Go', sections: [{ rows: rows(1) }, { rows: [{ id: 'z', title: 'Z' }] }] }; }), "interactive['action']['sections']", 'title'],
    ['list with a media header', () => listMsg((i) => { i['header'] = { type: 'image', image: { id: '1' } }; }), "interactive['header']['type']", 'text'],
    ['cta display_text 21', () => ctaMsg({ display_text: x(21) }), "['parameters']['display_text']", '20'],
    ['cta url not a URL', () => ctaMsg({ url: 'javascript:alert(1)' }), "['parameters']['url']", 'URL'],
    ['cta body 1025', () => ctaMsg({}, x(1025)), "interactive['body']['text']", '1024'],
    ['flow cta 31', () => send({ type: 'interactive', interactive: { type: 'flow', body: { text: 'B' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_id: '1', flow_cta: x(31) } } } }), "['flow_cta']", '30'],
    ['6 contacts', () => send({ type: 'contacts', contacts: Array.from({ length: 6 }, () => ({ name: { formatted_name: 'A B' } })) }), 'contacts', '5'],
    ['biz_opaque_callback_data 513', () => send({ type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: x(513) }), 'biz_opaque_callback_data', '512'],
    ['latitude 91', () => send({ type: 'location', location: { latitude: 91, longitude: 2 } }), "location['latitude']", '90'],
    ['template name 513', () => send({ type: 'template', template: { name: x(513), language: { code: 'en' } } }), "template['name']", '512'],
    ['template without language', () => send({ type: 'template', template: { name: 'reminder' } }), "template['language']", 'required'],
    ['bad phone number', () => send({ to: 'call me', type: 'text', text: { body: 'hi' } }), 'to', 'international'],
    ['malformed BSUID', () => validateSend({ messaging_product: 'whatsapp', recipient: 'not-a-bsuid', type: 'text', text: { body: 'hi' } }), 'recipient', 'business-scoped'],
    ['no recipient at all', () => validateSend({ messaging_product: 'whatsapp', type: 'text', text: { body: 'hi' } }), 'to', 'required'],
    ['wrong messaging_product', () => send({ messaging_product: 'sms', type: 'text', text: { body: 'hi' } }), 'messaging_product', 'whatsapp'],
    ['unknown type', () => send({ type: 'hologram', hologram: {} }), 'type', 'one of'],
    ['reaction without message_id', () => send({ type: 'reaction', reaction: { emoji: '👍' } }), "reaction['message_id']", 'required'],
    ['mark-as-read without message_id', () => validateSend({ messaging_product: 'whatsapp', status: 'read' }), 'message_id', 'required'],
  ];

  for (const [name, make, field, limit] of cases) {
    it(`rejects ${name} with code 100 naming ${field}`, () => {
      const r = rejection(make());
      expect(r.code).toBe(100);
      expect(r.title).toBe('Invalid parameter');
      expect(r.details).toContain(field);
      if (limit) expect(r.details).toContain(limit);
    });
  }

  it('accepts each limit exactly, counting an emoji as one character', () => {
    expect(send({ type: 'text', text: { body: x(4096) } }).ok).toBe(true);
    expect(buttonMsg((i) => { i['action'] = { buttons: [{ type: 'reply', reply: { id: x(256), title: '👍'.repeat(20) } }] }; }).ok).toBe(true);
    expect(listMsg((i) => { i['action'] = { button: x(20), sections: [{ title: x(24), rows: [{ id: x(200), title: x(24), description: x(72) }] }] }; }).ok).toBe(true);
    expect(ctaMsg({ display_text: x(20) }, x(1024)).ok).toBe(true);
    expect(send({ type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: x(512) }).ok).toBe(true);
    expect(send({ type: 'contacts', contacts: Array.from({ length: 5 }, () => ({ name: { formatted_name: 'A B' } })) }).ok).toBe(true);
  });

  it('takes a BSUID recipient and keeps `to` when both are given', () => {
    const byBsuid = validateSend({ messaging_product: 'whatsapp', recipient: 'FR.12345678901234567890', type: 'text', text: { body: 'hi' } });
    expect(byBsuid).toMatchObject({ ok: true, kind: 'message', message: { to: null, recipient: 'FR.12345678901234567890' } });
    const both = send({ recipient: 'FR.1', type: 'text', text: { body: 'hi' } });
    expect(both).toMatchObject({ ok: true, message: { to: '33612345678' } });
  });

  it('never quotes the offending value in the details', () => {
    const r = rejection(send({ type: 'text', text: { body: `secret-${x(4100)}` } }));
    expect(r.details).not.toContain('secret');
  });
});
