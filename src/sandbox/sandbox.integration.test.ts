// The real server in sandbox mode: the phone's messages go to the app as signed webhooks, the bot's replies
// come back through the app's Graph client to the simulated Cloud API, and statuses flow back to the app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startSandboxApp, type SandboxApp } from '../../test/support/sandbox.js';
import { waitFor } from '../../test/support/app.js';
import { adjustableClock } from '../../test/support/clock.js';
import { touchInbound } from './repo.js';
import { bsuidIndex, phoneIndex } from '../compliance/identifiers.js';
import { welcomeListEn } from '../../test/support/conversation.js';

type View = { wamid: string; direction: 'in' | 'out'; type: string; status: string; content: Record<string, unknown> };
type PatientJson = { id: string; name: string; phone: string; bsuid: string; language: string };

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a4a50000000049454e44ae426082', 'hex');

let app: SandboxApp;
const clock = adjustableClock();
let base: string;
let graph: string;
let auth: Record<string, string>;

async function json<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { ...init, headers: { ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) } });
  return { status: res.status, body: (await res.json()) as T };
}
const chat = async (id: string) => (await json<{ messages: View[] }>(`/sandbox/api/patients/${id}/messages`)).body.messages;
async function newPatient(name: string, phone: string): Promise<PatientJson> {
  const r = await json<PatientJson>('/sandbox/api/patients', { method: 'POST', body: JSON.stringify({ name, phone, language: 'fr' }) });
  expect(r.status).toBe(201);
  return r.body;
}
const graphPost = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${graph}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  app = await startSandboxApp({}, { clock });
  base = app.base;
  graph = `${base}/sandbox/graph/${app.config.whatsapp.apiVersion}`;
  auth = { authorization: `Bearer ${app.config.whatsapp.accessToken}` };
});
afterAll(async () => {
  await app?.stop();
});

describe('sandbox mode end to end', () => {
  let patient: PatientJson;
  let menu: View;

  it('runs in sandbox mode against its own simulated Cloud API', () => {
    expect(app.config.sandbox).toBe(true);
    expect(app.config.whatsapp.apiUrl).toBe(`${base}/sandbox/graph`);
  });

  it('answers "Hello" with the bot menu, and the patient sees blue ticks once the app marked it read', async () => {
    patient = await newPatient('Léa Dupont', '+33 6 39 98 00 42');
    expect(patient.bsuid).toMatch(/^FR\.\d{20}$/);
    const sent = await json<View>(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'text', text: 'Hello' }) });
    expect(sent.status).toBe(201);
    expect(sent.body.status).toBe('sent');
    const reply = await waitFor(async () => (await chat(patient.id)).find((m) => m.direction === 'out' && m.type === 'interactive'), 15_000);
    expect(reply).toBeTruthy();
    menu = reply!;
    // Exactly what the app sent to the Cloud API as the interactive object (the sandbox shows it as it came).
    expect(menu.content['wire']).toEqual(welcomeListEn('PatientLine Demo Clinic'));
    // The app stored the webhook (signature accepted) and marked the message read: the patient's ticks are blue.
    const hello = await waitFor(async () => (await chat(patient.id)).find((m) => m.wamid === sent.body.wamid && m.status === 'read'), 10_000);
    expect(hello).toBeTruthy();
    // Identities as blind indexes only (compliance/identifiers.ts).
    const stored = await app.database.db.selectFrom('inbound_messages').select(['wamid', 'bsuid_index', 'wa_id_index']).where('wamid', '=', sent.body.wamid).executeTakeFirst();
    const { cipher } = app.running.services;
    expect(stored).toEqual({ wamid: sent.body.wamid, bsuid_index: bsuidIndex(cipher, patient.bsuid), wa_id_index: phoneIndex(cipher, '33639980042') });
  });

  it('moves the bot message to sent, delivered, then read once the phone showed it, and tells the app', async () => {
    const outbox = () => app.database.db.selectFrom('outbox').select(['status', 'sent_at', 'delivered_at', 'read_at']).where('wamid', '=', menu.wamid).executeTakeFirst();
    const delivered = await waitFor(async () => (await outbox())?.delivered_at ?? null, 10_000);
    expect(delivered).toBeInstanceOf(Date);
    expect((await outbox())?.sent_at).toBeInstanceOf(Date);
    expect((await chat(patient.id)).find((m) => m.wamid === menu.wamid)?.status).toBe('delivered');
    const seen = await json<{ read: number }>(`/sandbox/api/patients/${patient.id}/seen`, { method: 'POST', body: JSON.stringify({ wamids: [menu.wamid] }) });
    expect(seen.body.read).toBe(1);
    expect((await chat(patient.id)).find((m) => m.wamid === menu.wamid)?.status).toBe('read');
    const read = await waitFor(async () => ((await outbox())?.status === 'read' ? await outbox() : null), 10_000);
    expect(read?.read_at).toBeInstanceOf(Date);
    const again = await json<{ read: number }>(`/sandbox/api/patients/${patient.id}/seen`, { method: 'POST', body: JSON.stringify({ wamids: [menu.wamid] }) });
    expect(again.body.read).toBe(0);
  });

  it('sends a list row tap as interactive.list_reply and a button tap as button_reply, with context.id; the bot answers each', async () => {
    const outs = async () => (await chat(patient.id)).filter((m) => m.direction === 'out' && m.type !== 'read');
    const before = (await outs()).length;
    const wire = menu.content['wire'] as { action: { sections: { rows: { id: string; title: string; description: string }[] }[] } };
    const row = wire.action.sections[0]!.rows[1]!;
    expect(row.id).toBe('menu:faq');
    const tap = await json<View>(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'reply', context: menu.wamid, id: row.id }) });
    expect(tap.status).toBe(201);
    expect(tap.body.content).toMatchObject({ type: 'interactive', context: { id: menu.wamid }, interactive: { type: 'list_reply', list_reply: { id: row.id, title: row.title, description: row.description } } });
    // The FAQ's topics (a list), then an answer with "anything else?" reply buttons.
    const topics = await waitFor(async () => (await outs()).slice(before).find((m) => m.type === 'interactive'), 15_000);
    const topicRows = (topics!.content['wire'] as { action: { sections: { rows: { id: string }[] }[] } }).action.sections[0]!.rows;
    expect(topicRows.map((r) => r.id)).toContain('faq:opening_hours');
    const n = (await outs()).length;
    await json<View>(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'reply', context: topics!.wamid, id: 'faq:opening_hours' }) });
    const buttons = await waitFor(async () => (await outs()).slice(n).find((m) => m.type === 'interactive'), 15_000);
    const wired = buttons!.content['wire'] as { type: string; action: { buttons: { reply: { id: string; title: string } }[] } };
    expect(wired.type).toBe('button');
    const button = wired.action.buttons[0]!.reply;
    const m = (await outs()).length;
    const press = await json<View>(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'reply', context: buttons!.wamid, id: button.id }) });
    expect(press.body.content).toMatchObject({ type: 'interactive', context: { id: buttons!.wamid }, interactive: { type: 'button_reply', button_reply: { id: button.id, title: button.title } } });
    const next = await waitFor(async () => (await outs()).length > m, 15_000);
    expect(next).toBe(true);
    const bad = await json(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'reply', context: menu.wamid, id: 'no-such-button' }) });
    expect(bad.status).toBe(400);
  });

  it('fails a free-form message by webhook with 131047 when the patient last wrote more than 24 hours ago', async () => {
    const quiet = await newPatient('Marco Rossi', '+39 312 000 0001');
    await touchInbound(app.sandbox.db, quiet.id, new Date(Date.now() - 25 * 3600 * 1000));
    const res = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', to: quiet.phone, type: 'text', text: { body: 'Your results are ready' }, biz_opaque_callback_data: 'pl:999001' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { messages: { id: string }[]; contacts: { input: string; wa_id: string; user_id: string }[] };
    const wamid = body.messages[0]!.id;
    expect(body.contacts[0]).toEqual({ input: quiet.phone, wa_id: '393120000001', user_id: quiet.bsuid });
    const failed = await waitFor(() => app.database.db.selectFrom('status_events').select(['status', 'error_code', 'callback_data']).where('wamid', '=', wamid).executeTakeFirst(), 10_000);
    expect(failed).toEqual({ status: 'failed', error_code: 131047, callback_data: 'pl:999001' });
    expect(await chat(quiet.id)).toEqual([]);
  });

  it('refuses a template that does not exist or is not approved yet with 132001, and approves a submitted one after the review delay', async () => {
    const res = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: patient.phone, type: 'template', template: { name: 'appointment_reminder', language: { code: 'fr' } } });
    expect(res.status).toBe(404);
    const err = (await res.json()) as { error: { message: string; type: string; code: number; error_data: { messaging_product: string; details: string }; fbtrace_id: string } };
    expect(err.error).toMatchObject({ message: '(#132001) Template name does not exist in the translation', type: 'OAuthException', code: 132001, error_data: { messaging_product: 'whatsapp' } });
    expect(err.error.error_data.details).toContain('appointment_reminder');
    expect(err.error.fbtrace_id).toMatch(/^[\w-]{10,}$/);

    await json('/sandbox/api/settings', { method: 'PUT', body: JSON.stringify({ templateApprovalMs: 2500 }) });
    const template = { name: 'appointment_reminder', language: 'fr', category: 'UTILITY', components: [
      { type: 'BODY', text: 'Rappel : rendez-vous le {{1}} à {{2}}.', example: { body_text: [['12/01', '10:00']] } },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirmer' }, { type: 'QUICK_REPLY', text: 'Annuler' }] },
    ] };
    const created = await graphPost(`/${app.config.whatsapp.businessAccountId}/message_templates`, template);
    expect(created.status).toBe(200);
    expect(await created.json()).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    const pending = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: patient.phone, type: 'template', template: { name: 'appointment_reminder', language: { code: 'fr' } } });
    expect(((await pending.json()) as { error: { code: number } }).error.code).toBe(132001);
    const duplicate = await graphPost(`/${app.config.whatsapp.businessAccountId}/message_templates`, template);
    expect(duplicate.status).toBe(400);

    const approved = await waitFor(async () => {
      const r = await fetch(`${graph}/${app.config.whatsapp.businessAccountId}/message_templates?name=appointment_reminder`, { headers: auth });
      const list = (await r.json()) as { data: { name: string; language: string; status: string }[] };
      // The name filter matches parts of names (as Meta's does): our own pl_appointment_reminder_v1 is listed too.
      return list.data.find((t) => t.name === 'appointment_reminder' && t.language === 'fr')?.status === 'APPROVED';
    }, 15_000);
    expect(approved).toBe(true);
    const notified = await waitFor(() => app.database.db.selectFrom('webhook_other_events').select('field').where('field', '=', 'message_template_status_update').executeTakeFirst(), 5000);
    expect(notified).toBeTruthy();

    const params = { messaging_product: 'whatsapp', to: patient.phone, type: 'template', template: { name: 'appointment_reminder', language: { code: 'fr' }, components: [
      { type: 'body', parameters: [{ type: 'text', text: '12/01' }, { type: 'text', text: '10:00' }] },
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'CONFIRM:42' }] },
    ] } };
    const wrongCount = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { ...params, template: { ...params.template, components: [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }] } });
    expect(((await wrongCount.json()) as { error: { code: number } }).error.code).toBe(132000);
    const ok = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, params);
    expect(ok.status).toBe(200);
    const wamid = ((await ok.json()) as { messages: { id: string }[] }).messages[0]!.id;
    const shown = (await chat(patient.id)).find((m) => m.wamid === wamid);
    expect(shown?.content['template']).toMatchObject({ body: 'Rappel : rendez-vous le 12/01 à 10:00.', buttons: [{ kind: 'quick_reply', text: 'Confirmer', payload: 'CONFIRM:42' }, { kind: 'quick_reply', text: 'Annuler', payload: 'Annuler' }] });
    const tap = await json<View>(`/sandbox/api/patients/${patient.id}/messages`, { method: 'POST', body: JSON.stringify({ type: 'template_button', context: wamid, index: 0 }) });
    expect(tap.body.content).toMatchObject({ type: 'button', context: { id: wamid }, button: { payload: 'CONFIRM:42', text: 'Confirmer' } });
  });

  it('asks for the access token: 401 with code 190 for a wrong one', async () => {
    const res = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: patient.phone, type: 'text', text: { body: 'x' } }, { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: number; type: string } }).error).toMatchObject({ code: 190, type: 'OAuthException' });
    const invalid = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { messaging_product: 'whatsapp', to: patient.phone, type: 'text', text: { body: 'x'.repeat(4097) } });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: number; error_data: { details: string } } }).error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('4096') } });
  });

  it('uploads media, serves its URL only with the token, and deletes it', async () => {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', 'image/png');
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    const up = await fetch(`${graph}/${app.config.whatsapp.phoneNumberId}/media`, { method: 'POST', headers: auth, body: form });
    expect(up.status).toBe(200);
    const { id } = (await up.json()) as { id: string };
    const info = (await (await fetch(`${graph}/${id}`, { headers: auth })).json()) as { url: string; mime_type: string; file_size: number; sha256: string };
    expect(info).toMatchObject({ mime_type: 'image/png', file_size: PNG.length });
    expect((await fetch(info.url)).status).toBe(401);
    const download = await fetch(info.url, { headers: auth });
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    const bad = new FormData();
    bad.append('messaging_product', 'whatsapp');
    bad.append('file', new Blob([Buffer.from('not a png')], { type: 'image/png' }), 'fake.png');
    const refused = await fetch(`${graph}/${app.config.whatsapp.phoneNumberId}/media`, { method: 'POST', headers: auth, body: bad });
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(131053);
    expect((await fetch(`${graph}/${id}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect((await fetch(`${graph}/${id}`, { headers: auth })).status).toBe(400);
  });

  it('sends the patient\'s photo as an image webhook whose media the app downloads with its token', async () => {
    const form = new FormData();
    form.append('caption', 'my rash');
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'rash.png');
    const res = await fetch(`${base}/sandbox/api/patients/${patient.id}/media`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const sent = (await res.json()) as View;
    const image = sent.content['image'] as { id: string; mime_type: string; sha256: string; caption: string };
    expect(image).toMatchObject({ mime_type: 'image/png', caption: 'my rash' });
    const stored = await waitFor(() => app.database.db.selectFrom('media').select(['state', 'size']).where('media_id', '=', image.id).where('state', '=', 'stored').executeTakeFirst(), 15_000);
    expect(stored).toEqual({ state: 'stored', size: PNG.length });
  });

  it('enforces throughput (130429) and pair-rate (131056) limits only when the sandbox is set to', async () => {
    const to = patient.phone;
    const text = { messaging_product: 'whatsapp', to, type: 'text', text: { body: 'hi' } };
    await json('/sandbox/api/settings', { method: 'PUT', body: JSON.stringify({ enforceLimits: true, pairBurst: 1, mps: 80 }) });
    try {
      clock.advance(6100); // the bucket of earlier replies refills (one message per 6 s)
      expect((await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, text)).status).toBe(200);
      const second = await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, text);
      expect(second.status).toBe(429);
      expect(((await second.json()) as { error: { code: number } }).error.code).toBe(131056);
      await json('/sandbox/api/settings', { method: 'PUT', body: JSON.stringify({ pairBurst: 45, mps: 1 }) });
      const other = await newPatient('Ana Silva', '+351 912 000 001');
      await touchInbound(app.sandbox.db, other.id, new Date());
      const burst = await Promise.all([1, 2, 3].map(() => graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, { ...text, to: other.phone })));
      const codes = await Promise.all(burst.map(async (r) => (r.status === 200 ? 200 : ((await r.json()) as { error: { code: number } }).error.code)));
      expect(codes).toContain(130429);
    } finally {
      await json('/sandbox/api/settings', { method: 'PUT', body: JSON.stringify({ enforceLimits: false, pairBurst: 45, mps: 80 }) });
    }
    expect((await graphPost(`/${app.config.whatsapp.phoneNumberId}/messages`, text)).status).toBe(200);
  });

  it('keeps the chat in PostgreSQL: what a reload shows is what was said', async () => {
    const messages = await chat(patient.id);
    expect(messages.filter((m) => m.direction === 'in').length).toBeGreaterThanOrEqual(3);
    const rows = await sql<{ n: number }>`select count(*)::int as n from sandbox_messages where patient_id = ${patient.id}`.execute(app.database.db);
    expect(rows.rows[0]?.n).toBe(messages.length);
  });
});
