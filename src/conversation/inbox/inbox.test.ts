// The staff inbox through the real app (every module, workers on) on PGlite, with the fake Graph API that
// speaks the Cloud API's wire format: a patient writes through the signed webhook, the inbound worker handles
// it, staff list and read the thread, take over, reply (the sender delivers it), note, hand back; alerts;
// live events over SSE after a new inbound message; standby webhooks stored, linked and never answered; the
// 24-hour window; analysts get 403 on everything that shows content; every view and action is audited
// without the text.
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { APP_SECRET, startTestApp, waitFor } from '../../../test/support/app.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../../../test/support/fake-graph.js';
import type { Authenticator } from '../../http/api.js';
import type { AppModule } from '../../lib/module.js';
import type { Running } from '../../main.js';
import { phoneIndex } from '../../compliance/identifiers.js';
import { openHandoff, raiseAlert } from '../handoff.js';
import { pruneFeed } from './feed.js';

const ADMIN = 'inbox-admin-token-'.padEnd(44, 'x');
const ROLES = ['admin', 'clinician', 'reception', 'analyst'] as const;
type Role = (typeof ROLES)[number];
const users: Partial<Record<Role, string>> = {};

// A signed-in staff user of each role (as a console session would be), without the login dance.
const userAuth: Authenticator = async (req) => {
  const m = /^Bearer user:(\w+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const role = z.enum(ROLES).parse(m[1]);
  const id = users[role]!;
  return { kind: 'token', id: `tok-${role}`, role, userId: id };
};
const authModule: AppModule = { name: 'test-user-auth', authenticator: () => userAuth };

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

const as = (role: Role) => ({ authorization: `Bearer user:${role}` });
const call = (method: 'GET' | 'POST', url: string, role: Role = 'clinician', payload?: Record<string, unknown>) =>
  app.app.inject({ method, url, headers: as(role), ...(payload !== undefined ? { payload } : {}) });
const phone = () => `3361${crypto.randomInt(10_000_000, 99_999_999)}`;

async function patientOf(p: string): Promise<string> {
  const id = await waitFor(async () => (await db.db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(app.services.cipher, p)).executeTakeFirst())?.id ?? null);
  if (!id) throw new Error('the patient did not appear in the inbox');
  return id;
}

/** A patient writes; resolves once the inbound worker has handled the message. */
async function writes(p: string, text: string): Promise<void> {
  const payload = inboundText(p, text, { name: 'Inbox Patient' });
  expect(await postWebhook(app.base, payload, APP_SECRET)).toBe(200);
  const wamid = String(((payload['entry'] as { changes: { value: { messages: { id: string }[] } }[] }[])[0]!.changes[0]!.value.messages[0]!.id));
  const done = await waitFor(async () => (await db.db.selectFrom('inbound_messages').select('state').where('wamid', '=', wamid).executeTakeFirst())?.state === 'done');
  expect(done).toBe(true);
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (const role of ROLES) {
    const u = await db.db.insertInto('staff_users').values({ email: `${role}.${crypto.randomBytes(3).toString('hex')}@inbox.test`, display_name: `Test ${role}`, role, password_hash: 'not-a-hash' }).returning('id').executeTakeFirstOrThrow();
    users[role] = u.id;
  }
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  app = await startTestApp(db, fake.url, { ADMIN_API_TOKEN: ADMIN }, { modules: [authModule] });
  fake.setWebhook(`${app.base}/webhooks/whatsapp`);
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

afterEach(() => fake.expectNoInvalidRequests());

describe('staff inbox API', () => {
  it('is for desk roles only: analysts get 403 on every route, no credentials 401', async () => {
    const p = phone();
    await writes(p, 'Hello');
    const id = await patientOf(p);
    const routes: ['GET' | 'POST', string, Record<string, unknown>?][] = [
      ['GET', '/api/conversations'], ['GET', `/api/conversations/${id}`], ['GET', '/api/conversations/events'], ['GET', '/api/alerts'],
      ['POST', `/api/conversations/${id}/takeover`], ['POST', `/api/conversations/${id}/assign`, {}], ['POST', `/api/conversations/${id}/reply`, { text: 'x' }],
      ['POST', `/api/conversations/${id}/notes`, { text: 'x' }], ['POST', `/api/conversations/${id}/handback`], ['POST', '/api/alerts/1/ack'],
    ];
    for (const [method, url, body] of routes) {
      const r = await call(method, url, 'analyst', body);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json()).toMatchObject({ code: 'forbidden' });
      expect(r.body).not.toContain('Hello');
      expect((await app.app.inject({ method, url })).statusCode).toBe(401);
    }
    for (const role of ['admin', 'clinician', 'reception'] as const) expect((await call('GET', `/api/conversations/${id}`, role)).statusCode).toBe(200);
    expect((await call('GET', `/api/conversations/${crypto.randomUUID()}`)).json()).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('lists a conversation and shows its thread decrypted, with delivery status; the view is audited without content', async () => {
    const p = phone();
    await writes(p, 'Hello there, good morning to you all!');
    const id = await patientOf(p);
    const list = (await call('GET', '/api/conversations?state=bot')).json();
    const item = list.items.find((i: { patientId: string }) => i.patientId === id);
    expect(item).toMatchObject({ displayName: 'Inbox Patient', handoff: null, windowOpen: true, alerts: 0 });
    expect(item.phoneMasked).toMatch(/^\+33 6/);
    expect(item.phoneMasked).not.toContain(p.slice(2, 8));
    expect(item.lastMessagePreview.length).toBeLessThanOrEqual(80);
    // The bot's welcome menu answered, and the sender delivered it (the fake Graph API posts the statuses back).
    await waitFor(async () => (await call('GET', `/api/conversations/${id}`)).json().entries.some((e: { kind: string; delivery?: string }) => e.kind === 'out' && (e.delivery === 'delivered' || e.delivery === 'read')));
    const thread = (await call('GET', `/api/conversations/${id}`)).json();
    const inbound = thread.entries.filter((e: { kind: string }) => e.kind === 'in');
    expect(inbound).toEqual([expect.objectContaining({ content: { type: 'text', text: 'Hello there, good morning to you all!', media: false } })]);
    const out = thread.entries.find((e: { kind: string }) => e.kind === 'out');
    // The bot's answer (a menu, whatever the flows make of "call me back"), with the words it sent.
    expect(out.by).toBe('bot');
    expect(out.content.text).toEqual(expect.any(String));
    expect(out.content.text.length).toBeGreaterThan(0);
    expect(['delivered', 'read']).toContain(out.delivery);
    expect(thread.windowOpen).toBe(true);
    expect(new Date(thread.windowClosesAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const audit = await db.db.selectFrom('audit_log').select(['action', 'details', 'patient_id']).where('action', '=', 'conversation.view').where('patient_id', '=', id).execute();
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain('knee');
  });

  it('takeover, reply through the outbox to the patient\'s phone, note, assign, hand back: each audited without the text', async () => {
    const p = phone();
    await writes(p, 'Hello');
    const id = await patientOf(p);
    const t = await call('POST', `/api/conversations/${id}/takeover`, 'reception');
    expect(t.statusCode, t.body).toBe(200);
    expect(t.json()).toMatchObject({ created: true });
    const needs = (await call('GET', '/api/conversations?state=needs_human')).json();
    expect(needs.items.find((i: { patientId: string }) => i.patientId === id)?.handoff).toMatchObject({ state: 'open', reason: 'staff', priority: 'normal' });

    const r = await call('POST', `/api/conversations/${id}/reply`, 'reception', { text: 'Hi, this is Anna from the front desk: we will call you at 3 pm.' });
    expect(r.statusCode, r.body).toBe(200);
    const sent = await waitFor(() => fake.delivered(p).find((m) => JSON.stringify(m.body).includes('Anna from the front desk')));
    expect(sent?.body).toMatchObject({ messaging_product: 'whatsapp', to: `+${p}`, type: 'text', text: { body: 'Hi, this is Anna from the front desk: we will call you at 3 pm.' } });

    const n = await call('POST', `/api/conversations/${id}/notes`, 'clinician', { text: 'Prefers afternoon calls' });
    expect(n.statusCode, n.body).toBe(200);
    const stored = await db.db.selectFrom('inbox_notes').select('body').where('patient_id', '=', id).executeTakeFirstOrThrow();
    expect(Buffer.from(stored.body).toString('latin1')).not.toContain('afternoon');

    const a = await call('POST', `/api/conversations/${id}/assign`, 'clinician', {});
    expect(a.json()).toMatchObject({ assignedTo: users.clinician });
    expect((await call('POST', `/api/conversations/${id}/assign`, 'clinician', { userId: users.analyst })).json()).toMatchObject({ status: 400, code: 'invalid_assignee' });

    const thread = (await call('GET', `/api/conversations/${id}`)).json();
    expect(thread.handoff).toMatchObject({ state: 'assigned', assignedTo: users.clinician });
    expect(thread.entries.find((e: { kind: string; by?: string }) => e.kind === 'out' && e.by === 'staff')).toMatchObject({ content: { type: 'text', text: 'Hi, this is Anna from the front desk: we will call you at 3 pm.' } });
    expect(thread.entries.find((e: { kind: string }) => e.kind === 'note')).toMatchObject({ text: 'Prefers afternoon calls', authorId: users.clinician });
    expect(thread.entries.filter((e: { kind: string }) => e.kind === 'event').map((e: { event: string }) => e.event)).toEqual(['takeover', 'assigned']);
    await waitFor(async () => (await call('GET', `/api/conversations/${id}`)).json().entries.some((e: { by?: string; delivery?: string }) => e.by === 'staff' && e.delivery !== 'queued'));

    const h = await call('POST', `/api/conversations/${id}/handback`, 'clinician');
    expect(h.statusCode, h.body).toBe(200);
    expect((await call('POST', `/api/conversations/${id}/handback`, 'clinician')).json()).toMatchObject({ status: 409, code: 'no_handoff' });
    const closed = (await call('GET', '/api/conversations?state=closed')).json();
    expect(closed.items.map((i: { patientId: string }) => i.patientId)).toContain(id);

    const audit = await db.db.selectFrom('audit_log').select(['action', 'details', 'target', 'actor_id']).where('patient_id', '=', id).where('action', 'like', 'conversation.%').orderBy('at').execute();
    expect(new Set(audit.map((x) => x.action))).toEqual(new Set(['conversation.view', 'conversation.takeover', 'conversation.reply', 'conversation.note', 'conversation.assign', 'conversation.handback']));
    const all = JSON.stringify(audit);
    for (const secret of ['Anna', 'afternoon', p]) expect(all).not.toContain(secret);
  });

  it('a reply to a patient with no handoff opens one (the bot steps aside); outside the 24-hour window it is 409 window_closed', async () => {
    const p = phone();
    await writes(p, 'Hello');
    const id = await patientOf(p);
    const r = await call('POST', `/api/conversations/${id}/reply`, 'admin', { text: 'We saw your message.' });
    expect(r.statusCode, r.body).toBe(200);
    expect((await call('GET', `/api/conversations/${id}`)).json().handoff).toMatchObject({ state: 'open', reason: 'staff' });
    await db.db.updateTable('patients').set({ last_inbound_at: new Date(Date.now() - 25 * 3600_000) }).where('id', '=', id).execute();
    const late = await call('POST', `/api/conversations/${id}/reply`, 'admin', { text: 'Are you still there?' });
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toContain('application/problem+json');
    expect(late.json()).toMatchObject({ code: 'window_closed' });
    const thread = (await call('GET', `/api/conversations/${id}`)).json();
    expect(thread.windowOpen).toBe(false);
    expect(thread.entries.some((e: { content?: { text: string | null } }) => e.content?.text === 'Are you still there?')).toBe(false);
    expect((await call('POST', `/api/conversations/${id}/reply`, 'admin', { text: '' })).statusCode).toBe(400);
    expect((await call('POST', `/api/conversations/${id}/reply`, 'admin', { text: 'x'.repeat(4097) })).statusCode).toBe(400);
  });

  it('orders emergencies first, then open handoffs oldest waiting first, then by last message; pages keep that order', async () => {
    const ps = [phone(), phone(), phone(), phone()];
    for (const p of ps) await writes(p, 'Hello');
    const ids: string[] = [];
    for (const p of ps) ids.push(await patientOf(p));
    const [quiet, oldNormal, newNormal, emergency] = ids as [string, string, string, string];
    const t0 = Date.now();
    await db.db.transaction().execute(async (tx) => {
      await openHandoff(tx, { patientId: oldNormal, reason: 'requested', priority: 'normal', now: new Date(t0 - 600_000) });
      await openHandoff(tx, { patientId: newNormal, reason: 'misunderstood', priority: 'high', now: new Date(t0 - 60_000) });
      await openHandoff(tx, { patientId: emergency, reason: 'emergency', priority: 'emergency', now: new Date(t0) });
    });
    const order = (await call('GET', '/api/conversations?limit=100')).json().items.map((i: { patientId: string }) => i.patientId).filter((x: string) => ids.includes(x));
    expect(order).toEqual([emergency, oldNormal, newNormal, quiet]);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { items: { patientId: string }[]; nextCursor: string | null } = (await call('GET', `/api/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      paged.push(...res.items.map((i) => i.patientId));
      cursor = res.nextCursor;
    } while (cursor);
    const full = (await call('GET', '/api/conversations?limit=100')).json().items.map((i: { patientId: string }) => i.patientId);
    expect(paged).toEqual(full);
    expect(paged.filter((x) => ids.includes(x))).toEqual(order);
    expect(new Set(paged).size).toBe(paged.length);
    expect((await call('GET', '/api/conversations?cursor=bogus')).json()).toMatchObject({ code: 'invalid_cursor' });
  });

  it('lists alerts and acknowledges them', async () => {
    const p = phone();
    await writes(p, 'Hello');
    const id = await patientOf(p);
    const alertId = await db.db.transaction().execute((tx) => raiseAlert(tx, { kind: 'emergency', patientId: id, codes: ['chest_pain'], now: new Date() }));
    const open = (await call('GET', '/api/alerts')).json();
    expect(open.items.find((a: { id: number }) => a.id === alertId)).toMatchObject({ kind: 'emergency', patientId: id, codes: ['chest_pain'], acknowledgedAt: null });
    expect((await call('GET', '/api/conversations?limit=100')).json().items.find((i: { patientId: string }) => i.patientId === id).alerts).toBe(1);
    expect((await call('POST', `/api/alerts/${alertId}/ack`, 'reception')).statusCode).toBe(204);
    expect((await call('GET', '/api/alerts')).json().items.some((a: { id: number }) => a.id === alertId)).toBe(false);
    expect((await call('GET', '/api/alerts?state=all')).json().items.find((a: { id: number }) => a.id === alertId)).toMatchObject({ acknowledgedBy: users.reception });
    expect((await call('POST', '/api/alerts/999999/ack')).statusCode).toBe(404);
  });

  it('streams PHI-free events (SSE) when a new inbound message is handled and when an alert is raised', async () => {
    const p = phone();
    await writes(p, 'Hello');
    const id = await patientOf(p);
    const res = await fetch(`${app.base}/api/conversations/events`, { headers: as('clinician') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    // One read in flight at a time, kept across waits: a chunk is never dropped.
    let pending: ReturnType<typeof reader.read> | null = null;
    const until = async (want: (s: string) => boolean) => {
      const end = Date.now() + 15_000;
      while (!want(text) && Date.now() < end) {
        pending ??= reader.read();
        const chunk = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
        if (chunk) {
          pending = null;
          if (chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
        }
      }
      return want(text);
    };
    try {
      expect(await until((s) => s.includes(': connected'))).toBe(true);
      await writes(p, 'I have a question about my bill');
      expect(await until((s) => s.includes(`"patientId":"${id}"`))).toBe(true);
      await db.db.transaction().execute((tx) => raiseAlert(tx, { kind: 'emergency', patientId: id, codes: ['stroke'], now: new Date() }));
      expect(await until((s) => s.includes('{"type":"alert","kind":"emergency"}'))).toBe(true);
      const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
      for (const e of events) expect(Object.keys(e).sort()).toEqual(e['type'] === 'alert' ? ['kind', 'type'] : ['patientId', 'type']);
      expect(text).not.toContain('bill');
      expect(text).not.toContain(p);
    } finally {
      await reader.cancel();
    }
  });

  it('keeps the change feed to minutes: older rows are pruned, recent ones kept', async () => {
    const old = await db.db.insertInto('inbox_changes').values({ patient_id: null, kind: 'alert:other', at: new Date(Date.now() - 11 * 60_000) }).returning('id').executeTakeFirstOrThrow();
    const fresh = await db.db.insertInto('inbox_changes').values({ patient_id: null, kind: 'alert:other' }).returning('id').executeTakeFirstOrThrow();
    expect(await pruneFeed(db.db)).toBeGreaterThanOrEqual(1);
    const left = (await db.db.selectFrom('inbox_changes').select('id').where('id', 'in', [old.id, fresh.id]).execute()).map((r) => Number(r.id));
    expect(left).toEqual([Number(fresh.id)]);
  });

  it('stores standby webhooks (another app holds the thread) linked to the patient, shows them, never answers them', async () => {
    const p = phone();
    const msgId = `wamid.SB${crypto.randomBytes(6).toString('hex')}`;
    const echoId = `wamid.SE${crypto.randomBytes(6).toString('hex')}`;
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', changes: [{ field: 'standby', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' },
        contacts: [{ profile: { name: 'Standby Patient' }, wa_id: p }],
        messages: [{ from: p, id: msgId, timestamp: String(Math.floor(Date.now() / 1000) - 5), type: 'text', text: { body: 'Can I bring my dog?' } }],
        message_echoes: [{ from: '15550001111', to: p, id: echoId, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Only assistance dogs, sorry.' } }],
      } }] }],
    };
    expect(await postWebhook(app.base, payload, APP_SECRET)).toBe(200);
    expect(await postWebhook(app.base, payload, APP_SECRET)).toBe(200); // Meta's retry: kept once
    const linked = await waitFor(async () => (await db.db.selectFrom('standby_events').select(['patient_id', 'item']).where('wamid', 'in', [msgId, echoId]).execute()).filter((r) => r.patient_id).length === 2);
    expect(linked).toBe(true);
    const rows = await db.db.selectFrom('standby_events').selectAll().where('wamid', 'in', [msgId, echoId]).execute();
    expect(rows.map((r) => r.item).sort()).toEqual(['echo', 'message']);
    for (const r of rows) expect(Buffer.from(r.payload).toString('latin1')).not.toContain('dog');
    // Never handed to the conversation engine: no inbound message, and nothing sent to the patient.
    expect(await db.db.selectFrom('inbound_messages').select('id').where('wamid', '=', msgId).executeTakeFirst()).toBeUndefined();
    const id = rows[0]!.patient_id!;
    const thread = (await call('GET', `/api/conversations/${id}`)).json();
    const standby = thread.entries.filter((e: { kind: string }) => e.kind === 'standby');
    expect(standby).toEqual([
      expect.objectContaining({ item: 'message', content: { type: 'text', text: 'Can I bring my dog?', media: false } }),
      expect.objectContaining({ item: 'echo', content: { type: 'text', text: 'Only assistance dogs, sorry.', media: false } }),
    ]);
    expect(thread.displayName).toBe('Standby Patient');
    expect(fake.delivered(p)).toEqual([]);
  });
});
