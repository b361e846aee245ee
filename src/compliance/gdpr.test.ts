// Export and erasure with the real modules, driven by the data map: a patient with messages in and out,
// statuses, media, conversation state, dead letters and audit entries is exported whole (decrypted), then
// erased in one transaction: the key shredded, their rows gone everywhere, nothing of theirs readable by a
// PHI scan with every key, the audit trail kept and still verifying, and a new message from the same phone
// making a new patient. The same through the operator commands.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { cipher as appCipher, messageFrom, person, storeMessage, testWorker } from '../../test/support/inbound.js';
import { scanForPhi } from '../../test/support/phi-scan.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { verifyAudit } from './audit.js';
import { phoneIndex } from './identifiers.js';
import { gdprCommands, type GdprServices } from './gdpr.js';

let database: TestDatabase;
let api: StaffApi;
beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database);
});
afterAll(async () => {
  await api.stop();
});

/** The app's cipher and keys: what it stores, it finds (its blind indexes are under the database's system key). */
const app = () => ({ cipher: api.services.cipher, keys: api.services.keys });
let processed = 0;
/** A text from `who` (profile name `profile`) through the real intake and the inbound worker (which replies "re: …"). */
async function message(who: { phone: string; bsuid: string }, body: string, profile: string): Promise<string> {
  const m = messageFrom(who, { type: 'text', text: { body } });
  const value = (m.payload['entry'] as { changes: { value: { contacts: { profile: { name: string } }[] } }[] }[])[0]!.changes[0]!.value;
  value.contacts[0]!.profile.name = profile;
  const id = await storeMessage(database.db, m, app());
  const { worker } = testWorker(database.db, { instanceId: `w${++processed}`, crypt: app() });
  await worker.tick();
  const row = await database.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('id', '=', id).executeTakeFirstOrThrow();
  expect(row.state).toBe('done');
  return row.patient_id!;
}

interface Fixture {
  id: string;
  who: { phone: string; bsuid: string };
  secrets: { given: string; family: string; profile: string; text: string; media: string; state: string };
}

/** A patient with everything the data map relates to one. */
async function patientWithHistory(label: string): Promise<Fixture> {
  const who = person();
  const tag = crypto.randomBytes(4).toString('hex').replace(/\d/g, 'k');
  const secrets = {
    given: `Given${label}${tag}`, family: `Family${label}${tag}`, profile: `Profile${label}${tag}`,
    text: `my rash ${label} ${tag} is worse`, media: `scan of ${label} ${tag}`, state: `flow note ${label} ${tag}`,
  };
  const id = await message(who, secrets.text, secrets.profile);
  const patch = await api.app.inject({ method: 'PATCH', url: `/api/patients/${id}`, headers: api.as('reception'), payload: { givenName: secrets.given, familyName: secrets.family, dateOfBirth: '1984-07-14' } });
  expect(patch.statusCode).toBe(200);
  // The reply (and its read receipt) went out: the reply has a wamid, and statuses came back (one by wamid, one naming the recipient only).
  const wamid = `wamid.OUT${tag}`;
  await database.db.updateTable('outbox').set({ wamid, state: 'sent', status: 'delivered' }).where('patient_id', '=', id).where('kind', '<>', 'read').execute();
  await database.db.insertInto('status_events').values([
    { wamid, status: 'delivered', occurred_at: new Date(), recipient: null, details: JSON.stringify({ conversation: { id: `c${tag}` } }) },
    // As the intake stores it since 0012: the recipient as a blind index only.
    { wamid: `wamid.OTHER${tag}`, status: 'read', occurred_at: new Date(), recipient: null, recipient_index: phoneIndex(api.services.cipher, who.phone), details: null },
  ]).execute();
  // Media and conversation state are sealed with the patient's data key.
  const own = await api.services.keys.forPatient(database.db, id);
  const media = await database.db.insertInto('media').values({ media_id: `m${tag}`, patient_id: id, mime_type: 'image/jpeg', size: 10, state: 'stored', content: own.encrypt(secrets.media) }).returning('id').executeTakeFirstOrThrow();
  await database.db.insertInto('media_chunks').values({ media_row_id: media.id, attempt: 1, seq: 0, content: own.encrypt(secrets.media) }).execute();
  await database.db.insertInto('conversation_state').values({ patient_id: id, flow: 'triage', state: own.encryptJson({ note: secrets.state }) })
    .onConflict((oc) => oc.column('patient_id').doUpdateSet({ state: own.encryptJson({ note: secrets.state }) })).execute();
  await database.db.insertInto('webhook_dead_letters').values({ reason: 'envelope', body: appCipher.encrypt(JSON.stringify({ from: who.phone, text: secrets.text })) }).execute();
  await api.app.inject({ method: 'GET', url: `/api/patients/${id}`, headers: api.as('clinician') });
  return { id, who, secrets };
}

const needles = (f: Fixture) => [f.who.phone, f.who.bsuid, ...Object.values(f.secrets)];

describe('export', () => {
  it('gives a clinician everything held about the patient, decrypted, and records it', async () => {
    const f = await patientWithHistory('Exp');
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}/export`, headers: api.as('reception') })).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${crypto.randomUUID()}/export`, headers: api.as('admin') })).statusCode).toBe(404);
    const r = await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}/export`, headers: api.as('clinician') });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="patient-${f.id}.json"`);
    const doc = r.json();
    expect(doc).toMatchObject({
      format: 'patientline-export/1',
      // The identifiers from their sealed copies, opened; the clear columns are null since 0012.
      patient: { id: f.id, wa_id: null, bsuid: null, wa_id_sealed: f.who.phone, bsuid_sealed: f.who.bsuid, given_name: f.secrets.given, family_name: f.secrets.family, date_of_birth: '1984-07-14', profile_name: f.secrets.profile },
    });
    const s = doc.sections;
    expect(s.messagesIn).toHaveLength(1);
    // The sender's number is held in the message as Meta sent it (the row keeps only its blind index).
    expect(s.messagesIn[0]).toMatchObject({ text: f.secrets.text, state: 'done', payload: { contact: { wa_id: f.who.phone } } });
    expect(s.messagesOut.filter((m: { kind: string }) => m.kind !== 'read').map((m: { to_sealed: unknown }) => m.to_sealed)).toEqual([{ phone: f.who.phone, bsuid: f.who.bsuid }]);
    expect(s.messagesOut.filter((m: { kind: string }) => m.kind !== 'read').map((m: { text: string }) => m.text)).toEqual([`re: ${f.secrets.text}`]);
    expect(s.statuses.map((x: { status: string }) => x.status).sort()).toEqual(['delivered', 'read']);
    expect(s.media).toEqual([expect.objectContaining({ media_id: expect.any(String), mime_type: 'image/jpeg', size: 10 })]);
    expect(s.media[0]).not.toHaveProperty('content');
    expect(s.conversationState[0]).toMatchObject({ flow: 'triage', state: { note: f.secrets.state } });
    expect(s.auditTrail.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['patient.update', 'patient.view']));
    expect(s.auditTrail[0]).toHaveProperty('actor_id');
    expect(s.auditTrail[0]).not.toHaveProperty('ip'); // the staff member's, not the patient's
    expect(doc.notExported).toEqual(expect.arrayContaining([expect.objectContaining({ table: 'data_keys' })]));
    const text = JSON.stringify(doc);
    for (const secret of ['wrapped', 'name_index', 'callback_token']) expect(text).not.toContain(`"${secret}"`);
    const recorded = await database.db.selectFrom('audit_log').selectAll().where('action', '=', 'patient.export').where('patient_id', '=', f.id).execute();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.details).toMatchObject({ messagesIn: 1, messagesOut: 2, statuses: 2 });
    expect(JSON.stringify(recorded[0]!.details)).not.toContain(f.secrets.text);
  });
});

describe('erasure', () => {
  it('needs the admin and the typed confirmation', async () => {
    const f = await patientWithHistory('Conf');
    const erase = (confirm: string, role: 'admin' | 'clinician' = 'admin', id = f.id) => api.app.inject({ method: 'POST', url: `/api/patients/${id}/erase`, headers: api.as(role), payload: { confirm } });
    expect((await erase(`ERASE ${f.id}`, 'clinician')).statusCode).toBe(403);
    for (const wrong of ['ERASE', `erase ${f.id}`, `ERASE ${f.id} `, f.id]) expect((await erase(wrong)).json()).toMatchObject({ status: 400, code: 'confirmation_mismatch' });
    const other = crypto.randomUUID();
    expect((await erase(`ERASE ${other}`, 'admin', other)).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}`, headers: api.as('admin') })).statusCode).toBe(200); // still there
  });

  it('exports, then erases: nothing of the patient readable anywhere, the audit trail kept and verifying, others untouched', async () => {
    const f = await patientWithHistory('Era');
    const bystander = await patientWithHistory('Bys');
    const exported = await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}/export`, headers: api.as('admin') });
    expect(exported.json().sections.messagesIn[0].text).toBe(f.secrets.text);
    const ownKey = await api.services.keys.forPatient(database.db, f.id);
    const keys = [appCipher, ownKey, await api.services.keys.forPatient(database.db, bystander.id)];
    // The scan finds the patient before (it works), and nothing after.
    const before = await scanForPhi(database.db, needles(f), keys);
    expect(before.join('\n')).toMatch(/patients\.given_name/);
    expect(before.join('\n')).toMatch(/inbound_messages\.payload/);
    expect(before.join('\n')).toMatch(/outbox\.to_sealed/);
    expect(before.join('\n')).toMatch(/patients\.wa_id_sealed/);
    expect(before.join('\n')).toMatch(/webhook_dead_letters\.body/);
    // The status naming the recipient only is found by its blind index (no clear recipient to scan).
    expect(await database.db.selectFrom('status_events').select('id').where('recipient_index', '=', phoneIndex(api.services.cipher, f.who.phone)).execute()).toHaveLength(1);
    const auditBefore = await database.db.selectFrom('audit_log').select('id').where('patient_id', '=', f.id).execute();

    const r = await api.app.inject({ method: 'POST', url: `/api/patients/${f.id}/erase`, headers: api.as('admin'), payload: { confirm: `ERASE ${f.id}` } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ erased: true });

    expect(await scanForPhi(database.db, needles(f), keys)).toEqual([]);
    expect(await database.db.selectFrom('status_events').select('id').where('recipient_index', '=', phoneIndex(api.services.cipher, f.who.phone)).execute()).toEqual([]);
    // What was sealed with the patient's key cannot be opened any more: the key is gone.
    expect(await database.db.selectFrom('data_keys').select('id').where('patient_id', '=', f.id).execute()).toHaveLength(0);
    await expect(api.services.keys.forPatient(database.db, f.id)).rejects.toThrow(/erased/);
    expect(await database.db.selectFrom('media_chunks').select('seq').innerJoin('media', 'media.id', 'media_chunks.media_row_id').where('media.patient_id', '=', f.id).execute()).toHaveLength(0);
    // The API knows them no more.
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}`, headers: api.as('admin') })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${f.id}/export`, headers: api.as('admin') })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'POST', url: `/api/patients/${f.id}/erase`, headers: api.as('admin'), payload: { confirm: `ERASE ${f.id}` } })).statusCode).toBe(404);
    for (const q of [f.secrets.given, f.who.phone]) {
      expect((await api.app.inject({ method: 'GET', url: `/api/patients?q=${encodeURIComponent(q)}`, headers: api.as('admin') })).json().items).toEqual([]);
    }
    // The audit trail keeps every entry about them (by the opaque id), records the erasure, and verifies.
    const auditAfter = await database.db.selectFrom('audit_log').selectAll().where('patient_id', '=', f.id).orderBy('id').execute();
    expect(auditAfter.length).toBe(auditBefore.length + 1);
    expect(auditAfter.at(-1)).toMatchObject({ action: 'patient.erase', actor_id: 'admin-api-token' });
    expect(auditAfter.at(-1)!.details).toMatchObject({ patients: 1, data_keys: 1, inbound_messages: 1, outbox: 2, status_events: 2, media: 1, media_chunks: 1, conversation_state: 1, webhook_dead_letters: 1 });
    expect(await verifyAudit(database.db)).toMatchObject({ ok: true });
    // The bystander keeps everything.
    const theirs = await api.app.inject({ method: 'GET', url: `/api/patients/${bystander.id}/export`, headers: api.as('admin') });
    expect(theirs.json().sections.messagesIn[0].text).toBe(bystander.secrets.text);
    expect(theirs.json().patient.given_name).toBe(bystander.secrets.given);
    expect((await scanForPhi(database.db, [bystander.secrets.text], [appCipher])).join('\n')).toMatch(/webhook_dead_letters\.body/);
    // A new message from the same phone is a new patient.
    const again = await message(f.who, 'hello again', 'Someone');
    expect(again).not.toBe(f.id);
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${again}`, headers: api.as('admin') })).json()).toMatchObject({ givenName: null, dateOfBirth: null });
  });
});

describe('erasure and a message in flight', () => {
  it('keeps a message not handled yet (it may be an emergency): it is handled afterwards, as a new patient\'s', async () => {
    const f = await patientWithHistory('Fly');
    const pending = await storeMessage(database.db, messageFrom(f.who, { type: 'text', text: { body: 'chest pain since an hour' } }), app());
    const r = await api.app.inject({ method: 'POST', url: `/api/patients/${f.id}/erase`, headers: api.as('admin'), payload: { confirm: `ERASE ${f.id}` } });
    expect(r.statusCode).toBe(200);
    expect(await database.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('wa_id_index', '=', phoneIndex(api.services.cipher, f.who.phone)).execute()).toEqual([{ state: 'pending', patient_id: null }]);
    const { worker, seen } = testWorker(database.db, { instanceId: 'after-erasure', crypt: app() });
    await worker.tick();
    expect(seen).toEqual(['chest pain since an hour']);
    const row = await database.db.selectFrom('inbound_messages').select(['state', 'patient_id']).where('id', '=', pending).executeTakeFirstOrThrow();
    expect(row.state).toBe('done');
    expect(row.patient_id).not.toBe(f.id);
    expect(row.patient_id).not.toBeNull();
  });
});

describe('operator commands', () => {
  it('export-patient prints or writes the export; erase-patient needs --confirm; both answer unknown ids with 1', async () => {
    const f = await patientWithHistory('Cli');
    const services: GdprServices = { db: database.db, cipher: api.services.cipher, keys: api.services.keys, clock: { now: () => new Date() }, config: api.services.config, close: async () => {} };
    const commands = gdprCommands(async () => services);
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out.push(String(s)); return true; });
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
    try {
      expect(await commands['export-patient']!.run([f.id])).toBe(0);
      const doc = JSON.parse(out.join(''));
      expect(doc).toMatchObject({ format: 'patientline-export/1', patient: { given_name: f.secrets.given } });
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pl-export-')), 'p.json');
      expect(await commands['export-patient']!.run([f.id, '--out', file])).toBe(0);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).sections.messagesIn[0].text).toBe(f.secrets.text);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(await commands['export-patient']!.run([])).toBe(2);
      expect(await commands['erase-patient']!.run([f.id])).toBe(2);
      expect((await database.db.selectFrom('patients').select('id').where('id', '=', f.id).execute())).toHaveLength(1);
      out.length = 0;
      expect(await commands['erase-patient']!.run([f.id, '--confirm'])).toBe(0);
      expect(out.join('')).toMatch(new RegExp(`^erased ${f.id}: .*patients 1`));
      expect(await commands['erase-patient']!.run([f.id, '--confirm'])).toBe(1);
      expect(await commands['export-patient']!.run([f.id])).toBe(1);
      expect(err.join('')).toContain(`no patient with id ${f.id}`);
      expect(err.join('')).not.toContain(f.who.phone);
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
    const actions = (await database.db.selectFrom('audit_log').select(['action', 'actor_id']).where('patient_id', '=', f.id).where('actor_type', '=', 'system').execute());
    expect(actions).toEqual(expect.arrayContaining([{ action: 'patient.export', actor_id: 'cli' }, { action: 'patient.erase', actor_id: 'cli' }]));
    expect(await scanForPhi(database.db, needles(f), [appCipher])).toEqual([]);
  });
});
