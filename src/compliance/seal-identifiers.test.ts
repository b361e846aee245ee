// The upgrade path of migration 0012: a database at 0009 with phone numbers and BSUIDs in clear (patients,
// inbound messages pending and done, status events, outbox) is migrated, and the first start converts every
// row: blind indexes and sealed copies written, the clear columns emptied, the patient's values re-sealed
// under their data key. A message that was pending before the upgrade is then handled for the same patient.
import crypto from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../analytics/metrics.js';
import { InboundWorker } from '../conversation/inbound-worker.js';
import { migrate, openDatabase, pgliteOptions, type Database } from '../db/database.js';
import { migrations } from '../db/migrations/index.js';
import { findPatientByPhone, readPatientCard } from '../patients/index.js';
import { text } from '../whatsapp/outbound.js';
import { decodeAddress } from '../whatsapp/outbox.js';
import { createCipher } from './crypto.js';
import { bsuidIndex, phoneIndex, type Crypt } from './identifiers.js';
import { openCrypt } from './open-crypt.js';

const KEY = crypto.randomBytes(32);
const master = createCipher(KEY);
const PHONE = '33611112222';
const BSUID = 'FR.UPGRADE7788';
let database: Database;
let crypt: Crypt;
let patientId: string;

beforeAll(async () => {
  const pglite = await PGlite.create(pgliteOptions());
  database = await openDatabase({ pglite });
  const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations }, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
  const r = await migrator.migrateTo('0009-compliance-core');
  if (r.error) throw r.error;
  // What a 0009 deployment wrote: identifiers in clear, values sealed with ENCRYPTION_KEY.
  const db = database.db;
  const p = await sql<{ id: string }>`insert into patients (wa_id, bsuid, parent_bsuid, username, profile_name, last_inbound_at)
    values (${PHONE}, ${BSUID}, 'FR.ENT.PARENT1', 'up.user', ${master.encrypt('Ulla Upgradeson')}, now()) returning id`.execute(db);
  patientId = p.rows[0]!.id;
  const payload = (id: string, body: string) => master.encryptJson({
    message: { from: PHONE, from_user_id: BSUID, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body } },
    contact: { profile: { name: 'Ulla Upgradeson' }, wa_id: PHONE, user_id: BSUID },
  });
  await sql`insert into inbound_messages (wamid, phone_number_id, sender_key, wa_id, bsuid, type, sent_at, payload, state, patient_id, processed_at)
    values ('wamid.UP1', 'PN1', ${`u:${BSUID}`}, ${PHONE}, ${BSUID}, 'text', now(), ${payload('wamid.UP1', 'before the upgrade')}, 'done', ${patientId}, now()),
           ('wamid.UP2', 'PN1', ${`u:${BSUID}`}, ${PHONE}, ${BSUID}, 'text', now(), ${payload('wamid.UP2', 'pending at the upgrade')}, 'pending', null, null)`.execute(db);
  await sql`insert into status_events (wamid, status, occurred_at, recipient) values ('wamid.OUT1', 'read', now(), ${PHONE}), ('wamid.OUT2', 'read', now(), ${BSUID})`.execute(db);
  await sql`insert into outbox (patient_id, recipient_key, to_phone, to_bsuid, kind, payload, requires_window, callback_token, state)
    values (${patientId}, ${patientId}, ${PHONE}, ${BSUID}, 'text', ${master.encryptJson(text('Your appointment is confirmed'))}, true, 'abcdef012345', 'sent')`.execute(db);

  await migrate(db);
  crypt = await openCrypt(db, KEY, []);
});

afterAll(async () => {
  await database?.close();
});

describe('upgrade from 0009 with clear identifiers', () => {
  it('leaves no phone number or BSUID in clear in any converted table', async () => {
    for (const table of ['patients', 'inbound_messages', 'status_events', 'outbox']) {
      const rows = (await sql<{ row: string }>`select x::text as row from ${sql.table(table)} x`.execute(database.db)).rows;
      expect(rows.length, table).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.row, table).not.toContain(PHONE);
        expect(r.row, table).not.toContain('UPGRADE7788');
        expect(r.row, table).not.toContain('up.user');
      }
    }
  });

  it('finds the patient through the blind index, with a masked phone and the name re-sealed under their key', async () => {
    expect(await findPatientByPhone(database.db, crypt.cipher, '+33 6 11 11 22 22')).toEqual({ id: patientId });
    expect(await readPatientCard(database.db, crypt, patientId)).toMatchObject({ maskedPhone: '+33•••••••22', profileName: 'Ulla Upgradeson', hasBsuid: true });
    const row = await database.db.selectFrom('patients').selectAll().where('id', '=', patientId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ wa_id: null, bsuid: null, parent_bsuid: null, username: null, wa_id_index: phoneIndex(crypt.cipher, PHONE), bsuid_index: bsuidIndex(crypt.cipher, BSUID) });
    const own = await crypt.keys.forPatient(database.db, patientId);
    expect(own.sealedWithCurrent(row.profile_name!)).toBe(true);
    expect(() => master.decrypt(row.profile_name!)).toThrow();
    expect(own.decrypt(row.username_sealed!).toString()).toBe('up.user');
  });

  it('converts inbound messages (sender keys over indexes, processed payloads under the patient key), statuses and the outbox', async () => {
    const own = await crypt.keys.forPatient(database.db, patientId);
    const msgs = await database.db.selectFrom('inbound_messages').selectAll().orderBy('id').execute();
    expect(msgs.map((m) => [m.sender_key, m.wa_id_index, m.bsuid_index, m.wa_id, m.bsuid])).toEqual([
      [`u:${bsuidIndex(crypt.cipher, BSUID)}`, phoneIndex(crypt.cipher, PHONE), bsuidIndex(crypt.cipher, BSUID), null, null],
      [`u:${bsuidIndex(crypt.cipher, BSUID)}`, phoneIndex(crypt.cipher, PHONE), bsuidIndex(crypt.cipher, BSUID), null, null],
    ]);
    expect(own.sealedWithCurrent(msgs[0]!.payload)).toBe(true);
    expect(master.sealedWithCurrent(msgs[1]!.payload)).toBe(true); // pending: still ENCRYPTION_KEY's
    const statuses = await database.db.selectFrom('status_events').select(['recipient', 'recipient_index']).orderBy('id').execute();
    expect(statuses).toEqual([
      { recipient: null, recipient_index: phoneIndex(crypt.cipher, PHONE) },
      { recipient: null, recipient_index: bsuidIndex(crypt.cipher, BSUID) },
    ]);
    const out = await database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    expect(out).toMatchObject({ to_phone: null, to_bsuid: null });
    expect(decodeAddress(own, out)).toEqual({ phone: PHONE, bsuid: BSUID });
    expect(own.sealedWithCurrent(out.payload)).toBe(true);
  });

  it('is done once: a second start converts nothing', async () => {
    const again = await openCrypt(database.db, KEY, []);
    expect(again.cipher.blindIndex('x')).toBe(crypt.cipher.blindIndex('x'));
    const clear = await sql<{ n: number }>`select ((select count(*) from patients where wa_id is not null or bsuid is not null)
      + (select count(*) from inbound_messages where wa_id is not null or bsuid is not null)
      + (select count(*) from status_events where recipient is not null)
      + (select count(*) from outbox where to_phone is not null or to_bsuid is not null))::int as n`.execute(database.db);
    expect(clear.rows[0]?.n).toBe(0);
  });

  it('handles the message that was pending at the upgrade for the same patient', async () => {
    const seen: string[] = [];
    const worker = new InboundWorker({
      db: database.db, cipher: crypt.cipher, keys: crypt.keys, clock: { now: () => new Date() }, log: pino({ level: 'silent' }), metrics: createMetrics(database.db),
      handler: async (_tx, { message, patient }) => {
        seen.push(`${patient.id} ${message.type === 'text' ? message.text : ''} ${patient.waId ?? ''}`);
        return [text('ok')];
      },
      concurrency: 1, onReplies: () => {}, onMedia: () => {}, instanceId: 'upgrade',
    });
    expect(await worker.tick()).toBe(1);
    expect(seen).toEqual([`${patientId} pending at the upgrade ${PHONE}`]);
    expect(await database.db.selectFrom('patients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 1 });
  });
});
