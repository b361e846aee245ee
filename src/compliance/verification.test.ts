// Identity verification: date of birth on record (sealed with the patient's data key) plus a one-time code
// sent as the authentication template; the code hashed, single-use, expiring; five failures lock and alert;
// the verified state ends after VERIFICATION_TTL_MINUTES (an injected clock).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjustableClock } from '../../test/support/clock.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startFakeGraph, type FakeGraph } from '../../test/support/fake-graph.js';
import { createMetrics } from '../analytics/metrics.js';
import { ONE_TIME_CODE, renderTemplate, validateTemplateCreate } from '../sandbox/templates.js';
import { templateSchema } from '../sandbox/validate.js';
import { GraphClient } from '../whatsapp/graph-client.js';
import { decodeItem } from '../whatsapp/outbox.js';
import { Sender } from '../whatsapp/sender.js';
import { createCipher } from './crypto.js';
import { createKeyRing, kekOf } from './keys.js';
import { CODE_TTL_MS, ONE_TIME_CODE_TEMPLATE, isVerified, verificationService, verificationStatus } from './verification.js';

const TTL_MINUTES = 15;
const DOB = '1984-03-09';
let db: TestDatabase;
let fake: FakeGraph;
const cipher = createCipher(Buffer.alloc(32, 9));
const keys = createKeyRing({ keks: [kekOf(Buffer.alloc(32, 8))] });
const service = verificationService({ cipher, keys, ttlMinutes: TTL_MINUTES });
const clock = adjustableClock();
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: 'verification-secret', token: 'verification-token', statuses: false });
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});

async function patient(opts: { dob?: string | null; language?: string } = {}): Promise<string> {
  const phone = `3362${String(++n).padStart(7, '0')}`;
  const p = await db.db.insertInto('patients').values({ wa_id: phone, language: opts.language ?? 'en', last_inbound_at: clock.now() }).returning('id').executeTakeFirstOrThrow();
  const dob = opts.dob === undefined ? DOB : opts.dob;
  if (dob !== null) {
    const sealed = (await keys.forPatient(db.db, p.id)).encrypt(dob);
    await db.db.updateTable('patients').set({ date_of_birth: sealed }).where('id', '=', p.id).execute();
  }
  return p.id;
}

const begin = (patientId: string, dateOfBirth = DOB) => db.db.transaction().execute((tx) => service.begin(tx, { patientId, dateOfBirth, now: clock.now() }));
const submit = (patientId: string, code: string) => db.db.transaction().execute((tx) => service.submitCode(tx, { patientId, code, now: clock.now() }));

/** The code the patient received: the body parameter of the last one-time-code template enqueued for them. */
async function sentCode(patientId: string): Promise<{ code: string; outboxId: number; wire: unknown }> {
  const row = await db.db.selectFrom('outbox').select(['id', 'payload']).where('patient_id', '=', patientId).where('kind', '=', 'template').orderBy('id', 'desc').executeTakeFirstOrThrow();
  const item = decodeItem(cipher, row.payload);
  if (!('type' in item) || item.type !== 'template') throw new Error('not a template');
  const body = item.template.components?.find((c) => c.type === 'body');
  const p = body && body.type === 'body' ? body.parameters?.[0] : undefined;
  if (!p || p.type !== 'text') throw new Error('no code parameter');
  return { code: String(p.text), outboxId: row.id, wire: item.template };
}

const other = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('identity verification', () => {
  it('checks the date of birth, sends the code as the authentication template, verifies once, for the TTL only', async () => {
    const id = await patient({ language: 'fr' });
    expect(await begin(id, '1984-09-03')).toEqual({ status: 'dob_mismatch', attemptsLeft: 4 });
    const started = await begin(id);
    expect(started).toMatchObject({ status: 'code_sent' });
    const { code, wire } = await sentCode(id);
    expect(code).toMatch(/^\d{6}$/);
    expect(wire).toMatchObject({ name: ONE_TIME_CODE_TEMPLATE, language: { code: 'fr' }, components: [{ type: 'body' }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] }] });
    // Stored only as a keyed hash.
    const stored = await db.db.selectFrom('identity_verifications').selectAll().where('patient_id', '=', id).execute();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(stored[0]!.code_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored[0]!.code_expires_at!.getTime() - clock.now().getTime()).toBeLessThanOrEqual(CODE_TTL_MS);

    expect(await isVerified(db.db, id, clock.now())).toBe(false);
    const ok = await submit(id, code);
    expect(ok).toMatchObject({ status: 'verified' });
    expect(await isVerified(db.db, id, clock.now())).toBe(true);
    // A replayed code fails, and does not extend anything.
    expect(await submit(id, code)).toEqual({ status: 'used' });
    clock.advance(TTL_MINUTES * 60_000 - 1000);
    expect(await isVerified(db.db, id, clock.now())).toBe(true);
    clock.advance(2000);
    expect(await isVerified(db.db, id, clock.now())).toBe(false);
    expect(await verificationStatus(db.db, id, clock.now())).toEqual({ verified: false, until: null, locked: false });
    const actions = (await db.db.selectFrom('audit_log').select('action').where('patient_id', '=', id).where('action', 'like', 'verification.%').orderBy('id').execute()).map((r) => r.action);
    expect(actions).toEqual(['verification.failed', 'verification.code_sent', 'verification.verified']);
  });

  it('refuses an expired code, and a new start makes the earlier code useless', async () => {
    const id = await patient();
    await begin(id);
    const first = (await sentCode(id)).code;
    clock.advance(CODE_TTL_MS + 1000);
    expect(await submit(id, first)).toEqual({ status: 'expired' });
    await begin(id);
    const second = (await sentCode(id)).code;
    if (second !== first) expect(await submit(id, first)).toMatchObject({ status: 'wrong_code' });
    expect(await submit(id, second)).toMatchObject({ status: 'verified' });
  });

  it('locks after 5 failed attempts (codes and dates of birth together, across restarts) and alerts staff', async () => {
    const id = await patient();
    await begin(id);
    const first = (await sentCode(id)).code;
    expect(await submit(id, other(first))).toEqual({ status: 'wrong_code', attemptsLeft: 4 });
    expect(await submit(id, 'abc')).toEqual({ status: 'wrong_code', attemptsLeft: 3 });
    // Starting again does not reset the count.
    expect(await begin(id, '2000-01-01')).toEqual({ status: 'dob_mismatch', attemptsLeft: 2 });
    await begin(id);
    const code = (await sentCode(id)).code;
    expect(await submit(id, other(code))).toEqual({ status: 'wrong_code', attemptsLeft: 1 });
    const alertsBefore = await db.db.selectFrom('operator_alerts').select('id').where('code', '=', 'verification_locked').execute();
    expect(await submit(id, other(code))).toEqual({ status: 'locked' });
    // Locked: even the right code fails, and no new code is sent.
    expect(await submit(id, code)).toEqual({ status: 'locked' });
    expect(await begin(id)).toEqual({ status: 'locked' });
    expect(await verificationStatus(db.db, id, clock.now())).toEqual({ verified: false, until: null, locked: true });
    const alerts = await db.db.selectFrom('operator_alerts').select(['message']).where('code', '=', 'verification_locked').where('resolved_at', 'is', null).execute();
    expect(alerts.length).toBe(alertsBefore.length + 1);
    expect(alerts.some((a) => a.message.includes(id))).toBe(true);
    const locked = await db.db.selectFrom('audit_log').select(['details']).where('patient_id', '=', id).where('action', '=', 'verification.locked').execute();
    expect(locked).toEqual([{ details: { factor: 'code', attempts: 5 } }]);

    // Staff unlock it; the patient starts afresh.
    expect(await db.db.transaction().execute((tx) => service.unlock(tx, { patientId: id, actor: { type: 'staff', id: 'u-1' }, now: clock.now() }))).toBe(true);
    expect(await begin(id)).toMatchObject({ status: 'code_sent' });
    expect(await submit(id, (await sentCode(id)).code)).toMatchObject({ status: 'verified' });
  });

  it('cannot verify without a date of birth on record', async () => {
    const id = await patient({ dob: null });
    expect(await begin(id)).toEqual({ status: 'no_date_of_birth' });
    expect(await submit(id, '123456')).toEqual({ status: 'no_code' });
  });

  it('the code template is one the sandbox knows and approves, and the send is a valid Cloud API request', async () => {
    for (const t of ONE_TIME_CODE) expect(validateTemplateCreate(t).ok, t.language).toBe(true);
    const id = await patient({ language: 'de' });
    await begin(id);
    const { code, wire } = await sentCode(id);
    const stored = ONE_TIME_CODE.find((t) => t.language === 'de')!;
    expect(stored.category).toBe('AUTHENTICATION');
    const r = renderTemplate({ name: stored.name, language: stored.language, parameterFormat: null, components: stored.components }, templateSchema.parse(wire));
    expect(r).toMatchObject({ ok: true, rendered: { body: expect.stringContaining(code) } });
    const graph = new GraphClient({ apiUrl: fake.url, apiVersion: 'v26.0', accessToken: 'verification-token', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5000 });
    await db.db.updateTable('send_schedule').set({ next_slot: new Date(0) }).execute();
    const sender = new Sender({ db: db.db, cipher, graph, metrics: createMetrics(db.db), log: pino({ level: 'silent' }), clock, mps: 80, sendTimeoutMs: 1000, reconcileMs: 2000 });
    for (let i = 0; i < 5 && (await sender.tick()) > 0; i++) await sender.drain();
    await sender.drain();
    fake.expectNoInvalidRequests();
    const phone = (await db.db.selectFrom('patients').select('wa_id').where('id', '=', id).executeTakeFirstOrThrow()).wa_id!;
    const got = fake.delivered(phone);
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toMatchObject({ type: 'template', template: { name: ONE_TIME_CODE_TEMPLATE, language: { code: 'de' } } });
  });
});
