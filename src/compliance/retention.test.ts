// Retention, with an explicit clock: message content past RETENTION_MESSAGE_DAYS is purged as the data map
// says (inbound and outbound payloads blanked with their rows kept, media bytes and chunks, statuses,
// conversation state, webhook leftovers deleted), settled rows only, once; each run is in the audit trail with
// counts per table. The daily job is on the job queue, schedules its successor, and runs there.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { waitFor } from '../../test/support/app.js';
import { cipher as appCipher } from '../../test/support/inbound.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { loadConfig } from '../config.js';
import { verifyAudit } from './audit.js';
import { bsuidIndex } from './identifiers.js';
import { gdprCommands, gdprModule, nextPurgeAt, PURGE_JOB } from './gdpr.js';
import { purgeExpired } from './retention.js';

const DAY = 86_400_000;
const NOW = new Date('2030-06-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
let now = NOW;
const clock = { now: () => now };

let database: TestDatabase;
let api: StaffApi;
beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database, { clock });
});
afterAll(async () => {
  await api.stop();
});

async function rows(at: Date, label: string) {
  const db = database.db;
  const tag = `${label}${crypto.randomBytes(3).toString('hex')}`;
  // As stored since 0012: the BSUID as a blind index (the app's) and sealed copies; what is the patient's is
  // sealed with their data key, a message not handled yet with ENCRYPTION_KEY.
  const bsuid = `B.${tag}`;
  const index = bsuidIndex(api.services.cipher, bsuid);
  const patient = await db.insertInto('patients').values({ bsuid_index: index }).returning('id').executeTakeFirstOrThrow();
  const own = await api.services.keys.forPatient(db, patient.id);
  await db.updateTable('patients').set({ bsuid_sealed: own.encrypt(bsuid) }).where('id', '=', patient.id).execute();
  const inbound = async (state: 'done' | 'pending') => (await db.insertInto('inbound_messages').values({
    wamid: `wamid.${tag}.${state}`, phone_number_id: 'PN1', sender_key: `u:${index}`, bsuid_index: index, type: 'text', sent_at: at, received_at: at,
    payload: (state === 'done' ? own : appCipher).encryptJson({ message: { type: 'text', text: { body: `text ${tag}` } } }), state, patient_id: patient.id,
  }).returning('id').executeTakeFirstOrThrow()).id;
  const outbox = async (state: 'sent' | 'pending') => (await db.insertInto('outbox').values({
    patient_id: patient.id, recipient_key: patient.id, to_sealed: own.encryptJson({ phone: null, bsuid }), kind: 'text', payload: own.encryptJson({ type: 'text', text: { body: `reply ${tag}` } }),
    requires_window: true, callback_token: tag, state, created_at: at,
  }).returning('id').executeTakeFirstOrThrow()).id;
  const media = await db.insertInto('media').values({ media_id: `m${tag}`, patient_id: patient.id, state: 'stored', size: 3, created_at: at, chunk_count: 1, chunk_attempt: 1 }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('media_chunks').values({ media_row_id: media.id, attempt: 1, seq: 0, content: own.encrypt('img') }).execute();
  await db.insertInto('status_events').values({ wamid: `wamid.s${tag}`, status: 'read', occurred_at: at, received_at: at, recipient_index: index }).execute();
  await db.insertInto('webhook_dead_letters').values({ reason: 'x', body: appCipher.encrypt(tag), received_at: at }).execute();
  await db.insertInto('webhook_other_events').values({ field: 'account_update', payload: appCipher.encrypt(tag), received_at: at }).execute();
  await db.insertInto('conversation_state').values({ patient_id: patient.id, flow: 'faq', state: own.encryptJson({ tag }), updated_at: at }).execute();
  return { tag, patient: patient.id, done: await inbound('done'), pending: await inbound('pending'), sent: await outbox('sent'), queued: await outbox('pending'), media: media.id };
}

const payloadLength = async (table: 'inbound_messages' | 'outbox', id: number) =>
  Buffer.from((await database.db.selectFrom(table).select('payload').where('id', '=', id).executeTakeFirstOrThrow()).payload).length;

describe('retention', () => {
  it('purges settled message content past the period, keeps the rest, once, and records it', async () => {
    const old = await rows(ago(400), 'old');
    const recent = await rows(ago(10), 'recent');
    const r = await purgeExpired(database.db, { now: NOW, messageDays: 365 });
    expect(r.cutoff).toEqual(ago(365));
    const expected = { inbound_messages: 1, outbox: 1, media: 1, media_chunks: 1, status_events: 1, conversation_state: 1, handoffs: 0, staff_alerts: 0, handoff_events: 0, inbox_notes: 0, standby_events: 0,
      // The inbox's change feed, written by triggers as the rows above were stored (at = the real now, before NOW).
      inbox_changes: 4, webhook_dead_letters: 1, webhook_other_events: 1 };
    expect(r.counts).toEqual(expected);
    expect(await payloadLength('inbound_messages', old.done)).toBe(0);
    expect(await payloadLength('outbox', old.sent)).toBe(0);
    // In flight: a message not handled yet, a send not settled. Never purged, whatever their age.
    expect(await payloadLength('inbound_messages', old.pending)).toBeGreaterThan(28);
    expect(await payloadLength('outbox', old.queued)).toBeGreaterThan(28);
    for (const id of [recent.done, recent.pending]) expect(await payloadLength('inbound_messages', id)).toBeGreaterThan(28);
    // The rows and their metadata stay.
    expect(await database.db.selectFrom('inbound_messages').select(['wamid', 'state']).where('id', '=', old.done).executeTakeFirstOrThrow()).toEqual({ wamid: `wamid.${old.tag}.done`, state: 'done' });
    const media = await database.db.selectFrom('media').selectAll().where('id', 'in', [old.media, recent.media]).orderBy('created_at').execute();
    expect(media.map((m) => [m.state, m.error, m.chunk_count])).toEqual([['failed', 'purged_by_retention', null], ['stored', null, 1]]);
    expect(await database.db.selectFrom('media_chunks').select('media_row_id').where('media_row_id', 'in', [old.media, recent.media]).execute()).toEqual([{ media_row_id: recent.media }]);
    expect(await database.db.selectFrom('conversation_state').select('patient_id').where('patient_id', 'in', [old.patient, recent.patient]).execute()).toEqual([{ patient_id: recent.patient }]);
    expect((await database.db.selectFrom('webhook_dead_letters').select('received_at').execute()).map((x) => new Date(x.received_at).getTime())).toEqual([ago(10).getTime()]);
    expect(await database.db.selectFrom('status_events').select('wamid').execute()).toEqual([{ wamid: `wamid.s${recent.tag}` }]);
    // The audit trail says it happened, with counts per table, and still verifies.
    const entry = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'retention.purge').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_type: 'system', actor_id: 'retention', patient_id: null });
    expect(entry.details).toEqual({ cutoff: ago(365).toISOString(), messageDays: 365, ...expected });
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true });
    // A second run finds nothing left to purge.
    expect(Object.values((await purgeExpired(database.db, { now: NOW, messageDays: 365 })).counts).every((n) => n === 0)).toBe(true);
    // The export says the content was purged rather than failing to open it.
    const doc = (await api.app.inject({ method: 'GET', url: `/api/patients/${old.patient}/export`, headers: api.as('admin') })).json();
    const purged = doc.sections.messagesIn.find((m: { id: number }) => m.id === old.done);
    expect(purged).toMatchObject({ payload: null, payloadPurged: true });
    expect(purged).not.toHaveProperty('text');
    // Content within the period still opens (sealed with the patient's key).
    const live = (await api.app.inject({ method: 'GET', url: `/api/patients/${recent.patient}/export`, headers: api.as('admin') })).json();
    expect(live.sections.messagesIn.find((m: { id: number }) => m.id === recent.done)).toMatchObject({ text: `text ${recent.tag}`, state: 'done' });
  });

  it('takes the period from RETENTION_MESSAGE_DAYS (purge-expired)', async () => {
    const config = loadConfig({ RETENTION_MESSAGE_DAYS: '30' });
    expect(config.retention.messageDays).toBe(30);
    expect(loadConfig({}).retention.messageDays).toBe(365);
    expect(() => loadConfig({ RETENTION_MESSAGE_DAYS: '0' })).toThrow(/RETENTION_MESSAGE_DAYS/);
    const month = await rows(ago(60), 'month');
    const out: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    try {
      const commands = gdprCommands(async () => ({ db: database.db, cipher: api.services.cipher, keys: api.services.keys, clock, config, close: async () => {} }));
      expect(await commands['purge-expired']!.run([])).toBe(0);
    } finally {
      so.mockRestore();
    }
    expect(out.join('')).toMatch(new RegExp(`^purged content older than ${ago(30).toISOString()}: .*inbound_messages 1`));
    expect(await payloadLength('inbound_messages', month.done)).toBe(0);
  });

  it('runs daily on the job queue: scheduled at start for the next 03:00 UTC, each run scheduling the next', async () => {
    expect(nextPurgeAt(new Date('2030-06-01T02:59:59Z'))).toEqual(new Date('2030-06-01T03:00:00Z'));
    expect(nextPurgeAt(new Date('2030-06-01T03:00:00Z'))).toEqual(new Date('2030-06-02T03:00:00Z'));
    expect(nextPurgeAt(new Date('2030-12-31T12:00:00Z'))).toEqual(new Date('2031-01-01T03:00:00Z'));
    const jobs = api.services.jobs;
    // startServer ran the module's init: tomorrow's run is on the queue.
    expect(await jobs.state(PURGE_JOB, 'daily:2030-06-02')).toMatchObject({ state: 'created', startAfter: new Date('2030-06-02T03:00:00Z') });
    // A run at that time schedules the next day's before it purges.
    const m = gdprModule();
    await m.init!(api.services);
    now = new Date('2030-06-02T03:00:05Z');
    const before = (await database.db.selectFrom('audit_log').select('id').where('action', '=', 'retention.purge').execute()).length;
    await m.jobs![0]!.handler({ day: '2030-06-02' }, { jobId: 'j1', retryCount: 0, log: api.services.log });
    expect(await jobs.state(PURGE_JOB, 'daily:2030-06-03')).toMatchObject({ state: 'created', startAfter: new Date('2030-06-03T03:00:00Z') });
    expect((await database.db.selectFrom('audit_log').select('id').where('action', '=', 'retention.purge').execute()).length).toBe(before + 1);
    // And the queue runs it (a job due now, on this instance's workers).
    await database.db.transaction().execute((tx) => jobs.enqueue(tx, PURGE_JOB, { day: '2030-06-02' }, { key: 'test:due-now' }));
    await jobs.startWorkers();
    const done = await waitFor(async () => (await jobs.state(PURGE_JOB, 'test:due-now'))?.state === 'completed', 15_000, 100);
    expect(done).toBe(true);
    expect((await database.db.selectFrom('audit_log').select('id').where('action', '=', 'retention.purge').execute()).length).toBe(before + 2);
  }, 30_000);
});
