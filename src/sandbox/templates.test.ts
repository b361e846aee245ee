import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySignature } from '../whatsapp/signature.js';
import { pairBucketFull } from './cloud-api.js';
import { checkUpload } from './media-rules.js';
import { bsuidFor } from './sandbox.js';
import { renderTemplate, validateTemplateCreate, type StoredComponent } from './templates.js';
import { templateSchema } from './validate.js';
import { metaJson, newWamid, statusWebhook } from './webhooks.js';

const reminder = {
  name: 'appointment_reminder',
  language: 'fr',
  category: 'utility',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Rappel {{1}}', example: { header_text: ['Dr Martin'] } },
    { type: 'BODY', text: 'Bonjour, rendez-vous le {{1}} à {{2}}.', example: { body_text: [['12/01', '10:00']] } },
    { type: 'FOOTER', text: 'Clinique' },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirmer' }, { type: 'URL', text: 'Détails', url: 'https://clinic.example/a/{{1}}', example: ['https://clinic.example/a/1'] }] },
  ],
};

describe('template creation rules', () => {
  it('accepts a well-formed template and upper-cases its category', () => {
    const r = validateTemplateCreate(reminder);
    expect(r).toMatchObject({ ok: true, template: { category: 'UTILITY' } });
  });

  const bad: [string, unknown, string][] = [
    ['a name with capitals', { ...reminder, name: 'Appointment' }, 'name'],
    ['an unknown category', { ...reminder, category: 'NEWS' }, 'category'],
    ['no body', { ...reminder, components: reminder.components.filter((c) => c.type !== 'BODY') }, 'BODY'],
    ['variables out of sequence', { ...reminder, components: [{ type: 'BODY', text: 'Le {{1}} à {{3}}', example: { body_text: [['a', 'b']] } }] }, 'in sequence'],
    ['variables without examples', { ...reminder, components: [{ type: 'BODY', text: 'Le {{1}}' }] }, 'example'],
    ['a body over 1024', { ...reminder, components: [{ type: 'BODY', text: 'x'.repeat(1025) }] }, '1024'],
    ['a footer with a variable', { ...reminder, components: [{ type: 'BODY', text: 'Hi' }, { type: 'FOOTER', text: 'By {{1}}' }] }, 'FOOTER'],
    ['a quick reply over 25', { ...reminder, components: [{ type: 'BODY', text: 'Hi' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }] }] }, '25'],
    ['11 buttons', { ...reminder, components: [{ type: 'BODY', text: 'Hi' }, { type: 'BUTTONS', buttons: Array.from({ length: 11 }, (_, i) => ({ type: 'QUICK_REPLY', text: `B${i}` })) }] }, '10'],
  ];
  for (const [what, body, mention] of bad) {
    it(`refuses ${what} with code 100`, () => {
      const r = validateTemplateCreate(body);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.code).toBe(100);
      expect(r.details).toContain(mention);
    });
  }

  it('needs an example for every named variable', () => {
    const named = { ...reminder, parameter_format: 'NAMED', components: [{ type: 'BODY', text: 'Bonjour {{first_name}}', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Léa' }] } }] };
    expect(validateTemplateCreate(named).ok).toBe(true);
    expect(validateTemplateCreate({ ...named, components: [{ type: 'BODY', text: 'Bonjour {{first_name}}' }] }).ok).toBe(false);
  });
});

describe('rendering a template send', () => {
  const created = validateTemplateCreate(reminder);
  if (!created.ok) throw new Error('fixture');
  const stored = { name: 'appointment_reminder', language: 'fr', parameterFormat: null, components: created.template.components satisfies StoredComponent[] };
  const send = (components: unknown[]) => templateSchema.parse({ name: 'appointment_reminder', language: { code: 'fr' }, components });

  it('fills every parameter, payloads and the dynamic URL', () => {
    const r = renderTemplate(stored, send([
      { type: 'header', parameters: [{ type: 'text', text: 'Dr Martin' }] },
      { type: 'body', parameters: [{ type: 'text', text: '12/01' }, { type: 'date_time', date_time: { fallback_value: '10:00' } }] },
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'OK:1' }] },
      { type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: '77' }] },
    ]));
    expect(r).toEqual({ ok: true, rendered: {
      name: 'appointment_reminder', language: 'fr', header: { kind: 'text', text: 'Rappel Dr Martin' }, body: 'Bonjour, rendez-vous le 12/01 à 10:00.', footer: 'Clinique',
      buttons: [{ kind: 'quick_reply', index: 0, text: 'Confirmer', payload: 'OK:1' }, { kind: 'url', index: 1, text: 'Détails', url: 'https://clinic.example/a/77' }],
    } });
  });

  it('answers 132000 when the parameter count differs and 132012 for a wrong format', () => {
    const fewer = renderTemplate(stored, send([{ type: 'header', parameters: [{ type: 'text', text: 'x' }] }, { type: 'body', parameters: [{ type: 'text', text: 'only one' }] }]));
    expect(fewer).toMatchObject({ ok: false, code: 132000 });
    const wrongButton = renderTemplate(stored, send([
      { type: 'header', parameters: [{ type: 'text', text: 'x' }] },
      { type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x' }] },
    ]));
    expect(wrongButton).toMatchObject({ ok: false, code: 132012 });
  });
});

describe('wire helpers', () => {
  it('escapes like Meta, and the app verifies the signature over those exact bytes', () => {
    const raw = metaJson({ text: 'Évelyne ✓ https://x.example/a 😀' });
    expect(raw.toString()).toBe('{"text":"\\u00c9velyne \\u2713 https:\\/\\/x.example\\/a \\ud83d\\ude00"}');
    expect(JSON.parse(raw.toString())).toEqual({ text: 'Évelyne ✓ https://x.example/a 😀' });
    const sig = `sha256=${crypto.createHmac('sha256', 'k').update(raw).digest('hex')}`;
    expect(verifySignature(raw, sig, 'k')).toBe(true);
    expect(verifySignature(Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), sig, 'k')).toBe(false);
  });

  it('omits the BSUID on a failed status to a phone and echoes the callback data', () => {
    const biz = { wabaId: 'W', phoneNumberId: 'P', displayPhoneNumber: '1' };
    const failed = statusWebhook(biz, { wamid: 'wamid.1', status: 'failed', at: new Date(0), waId: '33600000000', bsuid: 'FR.1', callbackData: 'pl:7', category: null, error: { code: 131047, title: 'Re-engagement message', details: 'd' } });
    const st = failed.entry[0]?.changes[0]?.value['statuses'];
    expect(st).toEqual([expect.objectContaining({ id: 'wamid.1', status: 'failed', recipient_id: '33600000000', biz_opaque_callback_data: 'pl:7', errors: [expect.objectContaining({ code: 131047 })] })]);
    expect(JSON.stringify(st)).not.toContain('recipient_user_id');
  });

  it('gives stable BSUIDs by country and Meta-shaped wamids', () => {
    expect(bsuidFor('33612345678')).toBe(bsuidFor('33612345678'));
    expect(bsuidFor('33612345678')).toMatch(/^FR\.\d{20}$/);
    expect(bsuidFor('351912345678')).toMatch(/^PT\./);
    expect(bsuidFor('14155550100')).toMatch(/^US\./);
    expect(newWamid('33612345678')).toMatch(/^wamid\.[A-Za-z0-9+/=]{30,}$/);
  });

  it('fills the pair-rate bucket: a burst, then one message per 6 seconds', () => {
    const t0 = new Date('2026-01-01T10:00:00Z').getTime();
    const at = (s: number) => new Date(t0 + s * 1000);
    expect(pairBucketFull([], at(0), 1)).toBe(false);
    expect(pairBucketFull([at(0)], at(1), 1)).toBe(true);
    expect(pairBucketFull([at(0)], at(6), 1)).toBe(false);
    expect(pairBucketFull([at(0), at(0), at(0)], at(1), 3)).toBe(true);
    expect(pairBucketFull([at(0), at(0), at(0)], at(7), 3)).toBe(false);
  });

  it('refuses uploads whose bytes or extension do not match the declared type', () => {
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    expect(checkUpload('image/png', 'a.png', png)).toBeNull();
    expect(checkUpload('image/png', 'a.jpg', png)).toContain('extension');
    expect(checkUpload('application/pdf', 'a.pdf', png)).toContain('content');
    expect(checkUpload('image/gif', 'a.gif', png)).toContain('not supported');
    expect(checkUpload('image/png', 'a.png', Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]))).toContain('limit');
  });
});
