// Per-patient data keys: created on first use, wrapped under the current KEK, shredded on erasure (the
// patient's values become unreadable), and re-wrapped under a new KEK without touching the values.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createCipher, DecryptError } from './crypto.js';
import { createKeyRing, kekOf, PatientKeyMissingError, rewrapSystemKeys, systemKey, UnknownKekError } from './keys.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

async function patient(): Promise<string> {
  const r = await database.db.insertInto('patients').values({ wa_id: null, bsuid: `B.${crypto.randomUUID()}` }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

describe('key ring', () => {
  const old = kekOf(crypto.randomBytes(32));
  const next = kekOf(crypto.randomBytes(32));

  it('gives each patient their own data key, stable across processes', async () => {
    const a = await patient();
    const b = await patient();
    const ring = createKeyRing({ keks: [old] });
    const sealed = (await ring.forPatient(database.db, a)).encrypt('Zoltan');
    await expect(ring.forPatient(database.db, b).then((c) => c.decrypt(sealed))).rejects.toThrow(DecryptError);
    const other = createKeyRing({ keks: [old] }); // another instance: same key from the table
    expect((await other.forPatient(database.db, a)).decrypt(sealed).toString()).toBe('Zoltan');
    const row = await database.db.selectFrom('data_keys').selectAll().where('patient_id', '=', a).executeTakeFirstOrThrow();
    expect(row.kek_id).toBe(old.id);
    expect(Buffer.from(row.wrapped).length).toBe(12 + 32 + 16);
  });

  it('opens many patients\' keys in one read (batch workers), the same keys as one by one; creates the missing; leaves out the erased', async () => {
    const [a, b, c, gone] = [await patient(), await patient(), await patient(), await patient()];
    const writer = createKeyRing({ keks: [old] });
    const sealedA = (await writer.forPatient(database.db, a)).encrypt('Ada');
    const sealedB = (await writer.forPatient(database.db, b)).encrypt('Bea');
    await writer.shred(database.db, gone);
    await database.db.deleteFrom('patients').where('id', '=', gone).execute();
    const reader = createKeyRing({ keks: [old] }); // another instance: nothing cached
    const ciphers = await reader.forPatients(database.db, [a, b, c, a, gone]);
    expect([...ciphers.keys()].sort()).toEqual([a, b, c].sort());
    expect(ciphers.get(a)!.decrypt(sealedA).toString()).toBe('Ada');
    expect(ciphers.get(b)!.decrypt(sealedB).toString()).toBe('Bea');
    expect(() => ciphers.get(a)!.decrypt(sealedB)).toThrow(DecryptError);
    // c had no key yet: created as forPatient would, and the same one another instance then reads.
    const sealedC = ciphers.get(c)!.encrypt('Cy');
    expect((await createKeyRing({ keks: [old] }).forPatient(database.db, c)).decrypt(sealedC).toString()).toBe('Cy');
  });

  it('shreds: the values of an erased patient cannot be read, and no key is created again', async () => {
    const a = await patient();
    const ring = createKeyRing({ keks: [old] });
    const sealed = (await ring.forPatient(database.db, a)).encrypt('secret');
    expect(await ring.shred(database.db, a)).toBe(true);
    await database.db.deleteFrom('patients').where('id', '=', a).execute();
    await expect(ring.forPatient(database.db, a)).rejects.toThrow(PatientKeyMissingError);
    expect(await database.db.selectFrom('data_keys').select('id').where('patient_id', '=', a).execute()).toHaveLength(0);
    void sealed;
  });

  it('re-wraps data keys under a new KEK; values stay readable; the old KEK is then unnecessary', async () => {
    const a = await patient();
    const before = createKeyRing({ keks: [old] });
    const sealed = (await before.forPatient(database.db, a)).encrypt('kept');
    const during = createKeyRing({ keks: [next, old] });
    expect((await during.forPatient(database.db, a)).decrypt(sealed).toString()).toBe('kept');
    let n = 0;
    for (let r = await during.rewrapBatch(database.db, 2); r > 0; r = await during.rewrapBatch(database.db, 2)) n += r;
    expect(n).toBeGreaterThanOrEqual(1);
    const after = createKeyRing({ keks: [next] });
    expect((await after.forPatient(database.db, a)).decrypt(sealed).toString()).toBe('kept');
    await expect(createKeyRing({ keks: [old] }).forPatient(database.db, a)).rejects.toThrow(UnknownKekError);
  });

  it("opens a patient's values sealed with the KEK itself (before per-patient keys), and seals new ones with the data key", async () => {
    const a = await patient();
    const legacy = createCipher(old.key).encrypt('sealed before 0012');
    const c = await createKeyRing({ keks: [old] }).forPatient(database.db, a);
    expect(c.decrypt(legacy).toString()).toBe('sealed before 0012');
    expect(c.sealedWithCurrent(legacy)).toBe(false);
    expect(() => createCipher(old.key).decrypt(c.encrypt('new'))).toThrow(DecryptError);
  });
});

describe('system keys', () => {
  const old = kekOf(crypto.randomBytes(32));
  const next = kekOf(crypto.randomBytes(32));

  it('are created once, the same for every instance, and survive a rotation of the KEK', async () => {
    const name = `test-${crypto.randomUUID()}`;
    const [a, b] = await Promise.all([systemKey(database.db, [old], name), systemKey(database.db, [old], name)]);
    expect(a.equals(b)).toBe(true);
    expect(a.length).toBe(32);
    expect((await systemKey(database.db, [next, old], name)).equals(a)).toBe(true);
    await expect(systemKey(database.db, [next], name)).rejects.toThrow(UnknownKekError);
    expect(await rewrapSystemKeys(database.db, [next, old])).toBeGreaterThanOrEqual(1);
    expect(await rewrapSystemKeys(database.db, [next, old])).toBe(0);
    expect((await systemKey(database.db, [next], name)).equals(a)).toBe(true);
    const row = await database.db.selectFrom('system_keys').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    expect(row.kek_id).toBe(next.id);
    expect(Buffer.from(row.wrapped).includes(a)).toBe(false);
  });
});
