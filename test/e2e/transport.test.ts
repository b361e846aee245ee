// The real server against a fake Graph API: webhook in, reply out, duplicates, faults, in-doubt sends,
// token pause, the 24-hour window and status monotonicity. Wire JSON is asserted exactly, and the fake
// Graph API refuses (and this file fails on) any request the Cloud API would refuse.
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startFakeGraph, inboundText, sign, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, VERIFY, startTestApp, waitFor } from '../support/app.js';
import type { Running } from '../../src/main.js';
import { ofPatient, openInbound, senderKeyOf } from '../support/identity.js';
import { bsuidIndex } from '../../src/compliance/identifiers.js';
import { welcomeListEn } from '../support/conversation.js';

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

async function post(payload: unknown, opts: { secret?: string; raw?: string; headers?: Record<string, string> } = {}) {
  const body = opts.raw ?? JSON.stringify(payload);
  const r = await fetch(`${app.base}/webhooks/whatsapp`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, opts.secret ?? APP_SECRET), ...opts.headers },
  });
  return { status: r.status, body: await r.text() };
}

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  // A short reconciliation window so in-doubt cases settle within a test.
  app = await startTestApp(db, fake.url, { WHATSAPP_RECONCILE_MS: '1500', WHATSAPP_SEND_TIMEOUT_MS: '800' });
  fake.setWebhook(`${app.base}/webhooks/whatsapp`);
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

beforeEach(() => fake.setFaults(() => 'ok'));
afterEach(() => fake.expectNoInvalidRequests());

/** The welcome menu the app answers a first "Hello" with, exactly as it goes over the wire (no clinic is seeded here). */
function welcomeMenu(recipient: { to: string } | { recipient: string }, callback: string) {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...recipient,
    type: 'interactive',
    interactive: welcomeListEn('Your clinic'),
    biz_opaque_callback_data: callback,
  };
}

/** biz_opaque_callback_data of the outbox row that was sent as `wamid`: pl:{row id}:{row token}. */
async function callbackOf(wamid: string | null): Promise<string> {
  // The sender records the wamid once the Graph API's answer is back, a moment after the fake saw the request.
  const row = await waitFor(() => db.db.selectFrom('outbox').select(['id', 'callback_token']).where('wamid', '=', wamid).executeTakeFirst());
  if (!row) throw new Error(`no outbox row was sent as ${String(wamid)}`);
  return `pl:${row.id}:${row.callback_token}`;
}

/** Waits until every outbox row for a phone number has left the sender's hands (sent, failed or cancelled). */
async function settled(phone: string): Promise<boolean> {
  return waitFor(async () => {
    const rows = await db.db.selectFrom('outbox').select('state').where(ofPatient(app.services.cipher, { phone })).execute();
    return rows.length > 0 && rows.every((r) => r.state === 'sent' || r.state === 'failed' || r.state === 'cancelled');
  });
}

describe('webhook verification and intake', () => {
  it('echoes hub.challenge for the right verify token and refuses a wrong one', async () => {
    const ok = await fetch(`${app.base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(`${app.base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(bad.status).toBe(403);
  });

  it('refuses missing and forged signatures with 401 and stores nothing', async () => {
    const payload = inboundText('33600000099', 'forged');
    const body = JSON.stringify(payload);
    const missing = await fetch(`${app.base}/webhooks/whatsapp`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(missing.status).toBe(401);
    expect((await post(payload, { secret: 'not-the-secret' })).status).toBe(401);
    const rows = await db.db.selectFrom('inbound_messages').select('id').where('sender_key', '=', senderKeyOf(app.services.cipher, { phone: '33600000099' })).execute();
    expect(rows).toHaveLength(0);
  });

  it('answers 400 to malformed JSON and 413 over 3 MB', async () => {
    expect((await post(null, { raw: '{"object": "whatsapp_business_account", "entry": [' })).status).toBe(400);
    const big = JSON.stringify({ object: 'whatsapp_business_account', entry: [], pad: 'x'.repeat(3 * 1024 * 1024) });
    expect((await post(null, { raw: big })).status).toBe(413);
  });

  it('keeps a signed body that fails the schema as a dead letter and answers 200', async () => {
    const before = await db.db.selectFrom('webhook_dead_letters').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const r = await post({ object: 'page', entry: 'nope' });
    expect(r.status).toBe(200);
    const after = await db.db.selectFrom('webhook_dead_letters').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n + 1);
  });

  it('ignores a phone_number_id that is not ours', async () => {
    const r = await post(inboundText('33600000098', 'Hello', { phoneNumberId: 'SOMEONE_ELSE' }));
    expect(r.status).toBe(200);
    const rows = await db.db.selectFrom('inbound_messages').select('id').where('sender_key', '=', senderKeyOf(app.services.cipher, { phone: '33600000098' })).execute();
    expect(rows).toHaveLength(0);
  });
});

describe('reply loop', () => {
  it('answers a text with the exact Cloud API wire format, marks it read and tracks statuses to read', async () => {
    const payload = inboundText('33600000001', 'Hello', { name: 'Alice Martin' });
    expect((await post(payload)).status).toBe(200);
    const sent = await waitFor(() => fake.delivered('33600000001')[0]);
    expect(sent).toBeTruthy();
    expect(sent!.body).toEqual(welcomeMenu({ to: '+33600000001' }, await callbackOf(sent!.wamid)));
    expect(sent!.body['biz_opaque_callback_data']).toMatch(/^pl:\d+:[0-9a-f]{12}$/);
    const inboundId = (payload['entry'] as { changes: { value: { messages: { id: string }[] } }[] }[])[0]!.changes[0]!.value.messages[0]!.id;
    expect(sent!.path).toBe('/v26.0/PN1/messages');
    expect(sent!.auth).toBe('Bearer test-token');
    // Read receipts go when no reply is due, so they may follow the reply.
    const read = await waitFor(() => fake.received.find((r) => r.body['status'] === 'read' && r.body['message_id'] === inboundId));
    expect(read?.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: inboundId });
    const row = await waitFor(async () => {
      const r = await db.db.selectFrom('outbox').selectAll().where('wamid', '=', sent!.wamid).executeTakeFirst();
      return r?.status === 'read' ? r : undefined;
    });
    expect(row?.state).toBe('sent');
    expect(row?.delivered_at).toBeInstanceOf(Date);
  });

  it('processes a duplicate delivery once', async () => {
    const payload = inboundText('33600000002', 'Hello');
    await post(payload);
    await waitFor(() => fake.delivered('33600000002').length > 0);
    expect((await post(payload)).status).toBe(200);
    await post(payload);
    // Duplicates are dropped at intake, before the 200: once every reply row has settled, none can follow.
    expect(await settled('33600000002')).toBe(true);
    expect(fake.delivered('33600000002')).toHaveLength(1);
    const rows = await db.db.selectFrom('inbound_messages').select('id').where('sender_key', '=', senderKeyOf(app.services.cipher, { phone: '33600000002' })).execute();
    expect(rows).toHaveLength(1);
  });

  it('stores emoji, RTL, zero-width and NUL text exactly and still answers', async () => {
    const text = 'مرحبا 👋🏽 a\u200Bb \u0000 end';
    const payload = inboundText('33600000003', text);
    expect((await post(payload)).status).toBe(200);
    expect(await waitFor(() => fake.delivered('33600000003').length > 0)).toBe(true);
    const row = await db.db.selectFrom('inbound_messages').select(['payload', 'patient_id']).where('sender_key', '=', senderKeyOf(app.services.cipher, { phone: '33600000003' })).executeTakeFirstOrThrow();
    const stored = (await openInbound(db.db, app.services, row)) as { message: { text: { body: string } } };
    expect(stored.message.text.body).toBe(text);
  });

  it('answers a username-only patient (BSUID, no phone) with `recipient`', async () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' },
        contacts: [{ profile: { name: 'Kim', username: 'kim.w' }, user_id: 'US.13491208655302741918' }],
        messages: [{ from_user_id: 'US.13491208655302741918', id: 'wamid.BSUID1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } }],
      } }] }],
    };
    expect((await post(payload)).status).toBe(200);
    const sent = await waitFor(() => fake.received.find((r) => r.body['recipient'] === 'US.13491208655302741918' && r.body['type']));
    expect(sent?.body).toEqual(welcomeMenu({ recipient: 'US.13491208655302741918' }, await callbackOf(sent?.wamid ?? null)));
    const patient = await db.db.selectFrom('patients').selectAll().where('bsuid_index', '=', bsuidIndex(app.services.cipher, 'US.13491208655302741918')).executeTakeFirstOrThrow();
    expect(patient.wa_id_index).toBeNull();
    expect(patient.bsuid).toBeNull();
    expect(patient.username).toBeNull();
    expect((await app.services.keys.forPatient(db.db, patient.id)).decrypt(patient.username_sealed!).toString()).toBe('kim.w');
  });
});

describe('patients and media', () => {
  it('keeps the profile name, encrypted, and downloads inbound media with the bearer token, encrypted', async () => {
    const bytes = Buffer.from('%PDF-1.4 lab report of a patient');
    fake.addMedia('MEDIA123', bytes, 'application/pdf');
    const payload = {
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' },
        contacts: [{ profile: { name: 'Zoltan Quixbyvarga' }, wa_id: '33600000030', user_id: 'FR.33600000030' }],
        messages: [{ from: '33600000030', from_user_id: 'FR.33600000030', id: 'wamid.MEDIA1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'document',
          document: { filename: 'report.pdf', mime_type: 'application/pdf', sha256: crypto.createHash('sha256').update(bytes).digest('base64'), id: 'MEDIA123' } }],
      } }] }],
    };
    expect((await post(payload)).status).toBe(200);
    const stored = await waitFor(() => db.db.selectFrom('media').selectAll().where('media_id', '=', 'MEDIA123').where('state', '=', 'stored').executeTakeFirst(), 15_000);
    expect(stored).toBeTruthy();
    const chunks = await db.db.selectFrom('media_chunks').select('content').where('media_row_id', '=', stored!.id).execute();
    expect(chunks).toHaveLength(1);
    expect(chunks.some((c) => Buffer.from(c.content).includes(bytes))).toBe(false);
    const { readMedia } = await import('../../src/whatsapp/media.js');
    expect((await readMedia(db.db, app.services, stored!.id))?.bytes.equals(bytes)).toBe(true);
    const downloads = fake.received.filter((r) => r.path.startsWith('/_media/') || r.path === '/v26.0/MEDIA123');
    expect(downloads.map((d) => [d.path, d.auth])).toEqual([
      ['/v26.0/MEDIA123', 'Bearer test-token'],
      ['/_media/MEDIA123', 'Bearer test-token'],
    ]);
    const patient = await db.db.selectFrom('patients').selectAll().where('bsuid_index', '=', bsuidIndex(app.services.cipher, 'FR.33600000030')).executeTakeFirstOrThrow();
    expect(patient.wa_id).toBeNull();
    const own = await app.services.keys.forPatient(db.db, patient.id);
    expect(own.decrypt(patient.wa_id_sealed!).toString()).toBe('33600000030');
    expect(own.decrypt(patient.profile_name!).toString()).toBe('Zoltan Quixbyvarga');
    // Under the patient's data key, not ENCRYPTION_KEY: erasure's crypto-shredding covers it.
    expect(() => app.services.cipher.decrypt(patient.profile_name!)).toThrow();
  });
});

describe('faults', () => {
  it('retries 429 and 131000 with backoff until the message goes out, once', async () => {
    let n = 0;
    // Only this patient's sends fail: a message of an earlier test still on its way must not take the 429.
    fake.setFaults((b) => (b['status'] === 'read' || String(b['to']) !== '+33600000010' ? 'ok' : ++n <= 2 ? (n === 1 ? '429' : '500') : 'ok'));
    await post(inboundText('33600000010', 'Hello'));
    const got = await waitFor(() => fake.delivered('33600000010').length > 0, 15_000);
    expect(got).toBe(true);
    const attempts = fake.received.filter((r) => String(r.body['to']) === '+33600000010' && r.body['type']);
    expect(attempts.map((a) => a.fault)).toEqual(['429', '500', 'ok']);
  });

  it('settles a lost answer from the status webhooks and never sends twice', async () => {
    let n = 0;
    fake.setFaults((b) => (b['status'] === 'read' || String(b['to']) !== '+33600000011' ? 'ok' : ++n === 1 ? 'lost' : 'ok'));
    await post(inboundText('33600000011', 'Hello'));
    const row = await waitFor(async () => {
      const r = await db.db.selectFrom('outbox').select(['state', 'status', 'wamid']).where('kind', '=', 'interactive').where(ofPatient(app.services.cipher, { phone: '33600000011' })).executeTakeFirst();
      return r?.status === 'read' ? r : undefined;
    });
    // Settled by its statuses: a sent row is never claimed again, so no reconciliation can resend it.
    const delivered = fake.delivered('33600000011');
    expect(delivered).toHaveLength(1);
    expect(row).toEqual({ state: 'sent', status: 'read', wamid: delivered[0]?.wamid });
  });

  it('resends a timed-out send that no status webhook confirms, after the reconciliation window', async () => {
    let n = 0;
    fake.setFaults((b) => (b['status'] === 'read' || String(b['to']) !== '+33600000012' ? 'ok' : ++n === 1 ? 'timeout' : 'ok'));
    await post(inboundText('33600000012', 'Hello'));
    const got = await waitFor(() => fake.delivered('33600000012').length > 0, 15_000);
    expect(got).toBe(true);
    expect(fake.delivered('33600000012')).toHaveLength(1);
    const tries = fake.received.filter((r) => String(r.body['to']) === '+33600000012' && r.body['type']);
    expect(tries.map((t) => t.fault)).toEqual(['timeout', 'ok']);
  });

  it('records a permanent failure from a status webhook with its code (131047)', async () => {
    fake.setFaults((b) => (b['status'] === 'read' || String(b['to']) !== '+33600000013' ? 'ok' : '131047'));
    await post(inboundText('33600000013', 'Hello'));
    const row = await waitFor(async () => {
      const r = await db.db.selectFrom('outbox').selectAll().where('kind', '=', 'interactive').where(ofPatient(app.services.cipher, { phone: '33600000013' })).executeTakeFirst();
      return r?.state === 'failed' ? r : undefined;
    });
    expect(row?.error_code).toBe(131047);
  });

  it('pauses all sending on an invalid token (190) and raises an operator alert instead of burning the queue', async () => {
    fake.setFaults(() => '190');
    await post(inboundText('33600000014', 'Hello'));
    const alert = await waitFor(() => db.db.selectFrom('operator_alerts').selectAll().where('code', '=', 'sender_paused_190').executeTakeFirst());
    expect(alert).toBeTruthy();
    // The sends already under way when the first 190 came back (read receipt and reply) settle, then nothing.
    const waiting = await waitFor(async () => {
      const rows = await db.db.selectFrom('outbox').select('state').where(ofPatient(app.services.cipher, { phone: '33600000014' })).execute();
      return rows.length > 0 && rows.every((p) => p.state === 'pending');
    });
    expect(waiting).toBe(true);
    const calls = fake.received.filter((r) => r.fault === '190').length;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(2);
    // Nothing leaves while the pause stands: the sender checks it before every claim.
    const pause = await db.db.selectFrom('sender_pause').selectAll().executeTakeFirstOrThrow();
    expect(pause.paused_until.getTime()).toBeGreaterThan(Date.now());
    const metrics = await (await fetch(`${app.base}/metrics`)).text();
    expect(metrics).toMatch(/patientline_sender_paused 1/);
    await db.db.deleteFrom('sender_pause').execute(); // the operator fixed the token
  });
});

describe('24-hour window and statuses', () => {
  it('refuses a free-form send outside the window before it leaves', async () => {
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    const patient = await db.db.insertInto('patients').values({ wa_id: '33600000020', bsuid: null, parent_bsuid: null, username: null, profile_name: null, language: null, last_inbound_at: old }).returning('id').executeTakeFirstOrThrow();
    const { enqueue } = await import('../../src/whatsapp/outbox.js');
    const { text } = await import('../../src/whatsapp/outbound.js');
    const [id] = await enqueue(db.db, app.services.cipher, { patientId: patient.id, phone: '33600000020', bsuid: null }, [text('Your results are ready')]);
    const row = await waitFor(async () => {
      const r = await db.db.selectFrom('outbox').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
      return r.state === 'failed' ? r : undefined;
    });
    expect(row?.error_code).toBe(131047);
    expect(fake.received.some((r) => r.body['to'] === '+33600000020')).toBe(false);
  });

  it('applies statuses monotonically: a late "delivered" or "sent" never overwrites "read"', async () => {
    const patient = await db.db.insertInto('patients').values({ wa_id: '33600000021', bsuid: null, parent_bsuid: null, username: null, profile_name: null, language: null, last_inbound_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    const row = await db.db.insertInto('outbox').values({ patient_id: patient.id, recipient_key: patient.id, to_phone: '33600000021', to_bsuid: null, kind: 'text', payload: app.services.cipher.encryptJson({ type: 'text', text: { body: 'x' } }), requires_window: true, caused_by: null, idempotency_key: null, callback_token: 'abcdef012345', state: 'sent', wamid: 'wamid.MONO1' }).returning('id').executeTakeFirstOrThrow();
    const status = (s: string) => ({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PN1' },
      statuses: [{ id: 'wamid.MONO1', status: s, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '33600000021' }] } }] }] });
    expect((await post(status('read'))).status).toBe(200);
    await waitFor(async () => (await db.db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'read');
    await post(status('delivered'));
    await post(status('sent'));
    await waitFor(async () => (await db.db.selectFrom('status_events').select('id').where('wamid', '=', 'wamid.MONO1').where('applied_at', 'is', null).execute()).length === 0);
    const after = await db.db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('read');
    expect(after.read_at).toBeInstanceOf(Date);
    expect(after.delivered_at).toBeInstanceOf(Date);
  });

  it('ignores a status whose callback data names our row id with another deployment\'s token', async () => {
    const patient = await db.db.insertInto('patients').values({ wa_id: '33600000023', bsuid: null, parent_bsuid: null, username: null, profile_name: null, language: null, last_inbound_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    const row = await db.db.insertInto('outbox').values({ patient_id: patient.id, recipient_key: patient.id, to_phone: '33600000023', to_bsuid: null, kind: 'text', payload: app.services.cipher.encryptJson({ type: 'text', text: { body: 'x' } }), requires_window: true, caused_by: null, idempotency_key: null, callback_token: 'aaaaaaaaaaaa', state: 'in_doubt', in_doubt_at: new Date(Date.now() + 3_600_000) }).returning('id').executeTakeFirstOrThrow();
    const st = { object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PN1' },
      statuses: [{ id: 'wamid.OTHERAPP', status: 'sent', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '99', biz_opaque_callback_data: `pl:${row.id}:bbbbbbbbbbbb` }] } }] }] };
    expect((await post(st)).status).toBe(200);
    await waitFor(async () => (await db.db.selectFrom('status_events').select('attempts').where('wamid', '=', 'wamid.OTHERAPP').executeTakeFirstOrThrow()).attempts > 0);
    const after = await db.db.selectFrom('outbox').select(['state', 'wamid']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ state: 'in_doubt', wamid: null });
  });

  it('holds a status for a message it does not know yet and applies it when the message appears', async () => {
    const st = { object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PN1' },
      statuses: [{ id: 'wamid.HELD1', status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '33600000022' }] } }] }] };
    expect((await post(st)).status).toBe(200);
    // Tried at least once and held, rather than waited on for a while.
    const held = await waitFor(() => db.db.selectFrom('status_events').selectAll().where('wamid', '=', 'wamid.HELD1').where('attempts', '>', 0).executeTakeFirst());
    expect(held?.applied_at).toBeNull();
    const patient = await db.db.insertInto('patients').values({ wa_id: '33600000022', bsuid: null, parent_bsuid: null, username: null, profile_name: null, language: null, last_inbound_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    const row = await db.db.insertInto('outbox').values({ patient_id: patient.id, recipient_key: patient.id, to_phone: '33600000022', to_bsuid: null, kind: 'text', payload: app.services.cipher.encryptJson({ type: 'text', text: { body: 'x' } }), requires_window: true, caused_by: null, idempotency_key: null, callback_token: 'abcdef012345', state: 'sent', wamid: 'wamid.HELD1' }).returning('id').executeTakeFirstOrThrow();
    const applied = await waitFor(async () => (await db.db.selectFrom('outbox').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status === 'delivered', 15_000);
    expect(applied).toBe(true);
  });
});

describe('operations', () => {
  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${app.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${app.base}/metrics`)).text();
    for (const name of ['patientline_inbound_messages_total', 'patientline_outbound_sent_total', 'patientline_queue_depth', 'patientline_queue_oldest_due_seconds', 'patientline_webhook_duration_seconds_bucket']) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/patientline_inbound_messages_total\{result="deduped"\} [1-9]/);
  });
});
