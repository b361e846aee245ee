// Patients are found by either identity, learn the one they lacked, and a message naming two patients (each
// known so far by one identity) is still handled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { cipher, crypt, person } from '../../test/support/inbound.js';
import { bsuidIndex, phoneIndex } from '../compliance/identifiers.js';
import { createKeyRing, kekOf } from '../compliance/keys.js';
import { nameIndexOf } from './names.js';
import { findPatientByBsuid, findPatientByPhone, patientName, readPatientCard, touchPatient, type Identity } from './index.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

const touch = (who: Identity) => t.db.transaction().execute((tx) => touchPatient(tx, crypt, who, new Date()));

describe('touchPatient', () => {
  it('finds a patient by either identity and learns the one it lacked', async () => {
    const p = person();
    const first = await touch({ waId: null, bsuid: p.bsuid, name: 'Ana' });
    expect(first.created).toBe(true);
    const both = await touch({ waId: p.phone, bsuid: p.bsuid });
    expect(both).toMatchObject({ created: false, patient: { id: first.patient.id, waId: p.phone, bsuid: p.bsuid } });
    const byPhone = await touch({ waId: p.phone, bsuid: null });
    expect(byPhone.patient.id).toBe(first.patient.id);
    expect(await t.db.transaction().execute((tx) => patientName(tx, crypt, first.patient.id))).toBe('Ana');
  });

  it.each([
    ['BSUID first', true],
    ['phone first', false],
  ])('a message naming two patients known by one identity each is handled (%s)', async (_name, bsuidFirst) => {
    const p = person();
    const x = bsuidFirst ? await touch({ waId: null, bsuid: p.bsuid }) : await touch({ waId: p.phone, bsuid: null });
    const y = bsuidFirst ? await touch({ waId: p.phone, bsuid: null }) : await touch({ waId: null, bsuid: p.bsuid });
    expect(x.patient.id).not.toBe(y.patient.id);
    const r = await touch({ waId: p.phone, bsuid: p.bsuid });
    expect([x.patient.id, y.patient.id]).toContain(r.patient.id);
    // Each identity still belongs to exactly one patient.
    const phone = phoneIndex(cipher, p.phone);
    const bsuid = bsuidIndex(cipher, p.bsuid);
    const rows = await t.db.selectFrom('patients').select(['id', 'wa_id_index', 'bsuid_index']).where((eb) => eb.or([eb('wa_id_index', '=', phone), eb('bsuid_index', '=', bsuid)])).orderBy('created_at').execute();
    expect(rows.map((row) => [row.wa_id_index, row.bsuid_index])).toEqual(bsuidFirst ? [[null, bsuid], [phone, null]] : [[phone, null], [null, bsuid]]);
  });

  it('creates a new patient and their data key in one statement, sealed under that key', async () => {
    const p = person();
    let statements = 0;
    const counted = t.db.withPlugin({ transformQuery: (a) => { statements++; return a.node; }, transformResult: (a) => Promise.resolve(a.result) });
    const at = new Date('2026-03-01T10:00:00.000Z');
    const { patient, created } = await counted.transaction().execute((tx) => touchPatient(tx, crypt, { waId: p.phone, bsuid: p.bsuid, username: 'neo.p', name: 'Zoé Nouvelle' }, at));
    expect(created).toBe(true);
    expect(statements).toBe(2); // the look-up that found no one, then the insert of patient and key
    expect(patient).toEqual({ id: patient.id, waId: p.phone, bsuid: p.bsuid, username: 'neo.p', language: null, lastInboundAt: at, optedOutAt: null });
    // A key ring with an empty cache (another process) reads the key from data_keys and opens every value.
    const fresh = { cipher, keys: createKeyRing({ keks: [kekOf(Buffer.alloc(32, 5))] }) };
    const again = await t.db.transaction().execute((tx) => touchPatient(tx, fresh, { waId: p.phone, bsuid: null }, new Date()));
    expect(again).toMatchObject({ created: false, patient: { id: patient.id, waId: p.phone, bsuid: p.bsuid, username: 'neo.p', optedOutAt: null } });
    expect(await t.db.transaction().execute((tx) => patientName(tx, fresh, patient.id))).toBe('Zoé Nouvelle');
    const row = await t.db.selectFrom('patients').select(['name_index', 'last_inbound_at']).where('id', '=', patient.id).executeTakeFirstOrThrow();
    expect(row.name_index).toEqual(nameIndexOf(cipher, 'Zoé Nouvelle'));
    expect(row.name_index.length).toBe(2);
  });

  it('reads the opt-out with the patient', async () => {
    const p = person();
    const { patient } = await touch({ waId: p.phone, bsuid: null });
    const stopped = new Date('2026-03-02T08:00:00.000Z');
    await t.db.updateTable('patients').set({ opted_out_at: stopped }).where('id', '=', patient.id).execute();
    expect((await touch({ waId: p.phone, bsuid: null })).patient.optedOutAt).toEqual(stopped);
  });

  it('refuses an identity-less patient', async () => {
    await expect(touch({ waId: null, bsuid: null })).rejects.toThrow(/without wa_id and user_id/);
  });

  it('stores no identifier in clear, and finds the patient by phone however staff type it', async () => {
    const p = person();
    const { patient } = await touch({ waId: p.phone, bsuid: p.bsuid, username: 'ana.w', parentBsuid: 'FR.ENT.PARENT', name: 'Ana Quixote' });
    expect(patient).toMatchObject({ waId: p.phone, bsuid: p.bsuid, username: 'ana.w' });
    const row = await t.db.selectFrom('patients').selectAll().where('id', '=', patient.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ wa_id: null, bsuid: null, parent_bsuid: null, username: null });
    const asText = JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v])));
    for (const clear of [p.phone, p.bsuid, 'ana.w', 'PARENT', 'Quixote']) expect(asText).not.toContain(clear);
    const spaced = `+${p.phone.slice(0, 2)} ${p.phone.slice(2, 3)} ${p.phone.slice(3).replace(/(..)/g, '$1 ').trim()}`;
    expect(await findPatientByPhone(t.db, cipher, spaced)).toEqual({ id: patient.id });
    expect(await findPatientByPhone(t.db, cipher, `+${p.phone}`)).toEqual({ id: patient.id });
    expect(await findPatientByPhone(t.db, cipher, '+33000000000')).toBeNull();
    expect(await findPatientByBsuid(t.db, cipher, p.bsuid)).toEqual({ id: patient.id });
    const card = await readPatientCard(t.db, crypt, patient.id);
    expect(card).toMatchObject({ id: patient.id, maskedPhone: `+${p.phone.slice(0, 2)}${'•'.repeat(p.phone.length - 4)}${p.phone.slice(-2)}`, hasBsuid: true, profileName: 'Ana Quixote', givenName: null });
    expect(card?.maskedPhone).not.toContain(p.phone.slice(2, -2));
  });

  it('reads an erased patient (data key shredded) as a card without names or phone', async () => {
    const p = person();
    const { patient } = await touch({ waId: p.phone, bsuid: null, name: 'Gone Soon' });
    expect(await crypt.keys.shred(t.db, patient.id)).toBe(true);
    await t.db.deleteFrom('data_keys').where('patient_id', '=', patient.id).execute();
    // A new key (created on read) cannot open what the shredded one sealed.
    expect(await readPatientCard(t.db, crypt, patient.id)).toMatchObject({ id: patient.id, maskedPhone: null, profileName: null });
  });
});
