// The test Cloud API refuses what the real one refuses, with the sandbox's checks and Meta's error body, and
// a refused request fails the test that caused it (expectNoInvalidRequests, and close() as a last resort).
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGraph, type FakeGraph } from './fake-graph.js';

const TOKEN = 'fake-token';
let fake: FakeGraph | null = null;
afterEach(async () => {
  const f = fake;
  fake = null;
  if (f) {
    f.invalid.splice(0);
    await f.close();
  }
});

async function start(): Promise<FakeGraph> {
  fake = await startFakeGraph({ appSecret: 's', token: TOKEN, statuses: false });
  return fake;
}

async function send(f: FakeGraph, body: unknown, opts: { raw?: string; phoneNumberId?: string } = {}) {
  const r = await fetch(`${f.url}/v26.0/${opts.phoneNumberId ?? 'PN1'}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: opts.raw ?? JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as unknown };
}

const error = (code: number, title: string, details: string) => ({
  error: { message: `(#${code}) ${title}`, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details }, fbtrace_id: 'x' },
});

describe('the test Cloud API', () => {
  it('accepts a well-formed text and a mark-as-read, and records nothing as invalid', async () => {
    const f = await start();
    const sent = await send(f, { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+33612345678', type: 'text', text: { body: 'Hello' } });
    expect(sent).toEqual({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: '+33612345678', wa_id: '33612345678' }], messages: [{ id: 'wamid.FAKE1' }] } });
    expect(await send(f, { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.IN1' })).toEqual({ status: 200, body: { success: true } });
    expect(f.invalid).toEqual([]);
    expect(() => f.expectNoInvalidRequests()).not.toThrow();
    expect(f.delivered('33612345678')).toHaveLength(1);
  });

  it.each([
    ['an empty text body', { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: { body: '' } }, 100, 'Invalid parameter', "Param text['body'] must not be empty"],
    ['a text over 4,096 characters', { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: { body: 'x'.repeat(4097) } }, 100, 'Invalid parameter', "Param text['body'] must be at most 4096 characters long"],
    ['no messaging_product', { to: '+33612345678', type: 'text', text: { body: 'Hi' } }, 100, 'Invalid parameter', 'Param messaging_product must be "whatsapp"'],
    ['no recipient', { messaging_product: 'whatsapp', type: 'text', text: { body: 'Hi' } }, 100, 'Invalid parameter', 'Param to is required (or recipient, a business-scoped user ID)'],
    ['four reply buttons', {
      messaging_product: 'whatsapp', to: '+33612345678', type: 'interactive',
      interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } })) } },
    }, 100, 'Invalid parameter', "Param interactive['action']['buttons'] must have 1 to 3 buttons"],
    ['a catalog message', { messaging_product: 'whatsapp', to: '+33612345678', type: 'interactive', interactive: { type: 'product', body: { text: 'x' }, action: {} } }, 131009, 'Parameter value is not valid', "Param interactive['type'] product needs a catalog, payment or calling set-up that this WhatsApp Business Account does not have"],
  ])('refuses %s with the Cloud API error and records it', async (_name, body, code, title, details) => {
    const f = await start();
    const r = await send(f, body);
    expect(r.status).toBe(400);
    expect(r.body).toEqual(error(code, title, details));
    expect(f.invalid).toHaveLength(1);
    expect(f.invalid[0]?.rejected?.code).toBe(code);
    expect(f.delivered()).toEqual([]);
    expect(() => f.expectNoInvalidRequests()).toThrow(/refuses: POST \/v26\.0\/PN1\/messages: \(#\d+\) Param /);
  });

  it('refuses a body that is not JSON and a phone number id that is not the app\'s', async () => {
    const f = await start();
    expect(await send(f, null, { raw: '{"messaging_product":' })).toEqual({ status: 400, body: error(100, 'Invalid parameter', 'The request body is not valid JSON') });
    const other = await send(f, { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: { body: 'Hi' } }, { phoneNumberId: 'PN2' });
    expect(other).toEqual({ status: 400, body: error(100, 'Invalid parameter', "Unsupported post request. Object with ID 'PN2' does not exist") });
    expect(f.invalid.map((r) => r.rejected?.code)).toEqual([100, 100]);
  });

  it('does not apply a test\'s faults to a malformed request: the Cloud API refuses it first', async () => {
    const f = await start();
    f.setFaults(() => '429');
    expect((await send(f, { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: { body: ' ' } })).status).toBe(400);
    expect((await send(f, { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: { body: 'ok' } })).status).toBe(429);
  });

  it('fails on close while a malformed request is left unexamined', async () => {
    const f = await startFakeGraph({ appSecret: 's', token: TOKEN, statuses: false });
    await send(f, { messaging_product: 'whatsapp', to: '+33612345678', type: 'text', text: {} });
    await expect(f.close()).rejects.toThrow(/the app sent 1 request\(s\) the Cloud API refuses: POST \/v26\.0\/PN1\/messages: \(#100\) Param text\['body'\]/);
  });
});
