// Envelope encryption of patient data: each patient has a data key (AES-256), stored wrapped by a
// key-encryption key (KEK: ENCRYPTION_KEY, or a previous key during a rotation) in data_keys, with the KEK's
// id beside it. A patient's values are sealed with their data key, and the blob carries the data key's id.
// Erasure deletes the data key (crypto-shredding): copies of the ciphertext (backups, replicas, WAL) become
// unreadable. Rotation re-wraps data keys under the new KEK without touching the values.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { DecryptError, type Cipher, createCipher } from './crypto.js';

/** A KEK and the id stored beside what it wraps. */
export interface Kek {
  id: string;
  key: Buffer;
}

export function kekOf(key: Buffer): Kek {
  if (key.length !== 32) throw new Error('an encryption key must be 32 bytes');
  return { id: crypto.createHash('sha256').update('patientline kek id v1').update(key).digest('hex').slice(0, 16), key };
}

export class PatientKeyMissingError extends Error {
  readonly code = 'patient_key_missing';
  constructor() {
    super("the patient's data key does not exist (the patient was erased)");
  }
}

export class UnknownKekError extends Error {
  readonly code = 'unknown_kek';
  constructor(readonly kekId: string) {
    super(`a data key is wrapped by key ${kekId}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS`);
  }
}

const WRAP_NONCE = 12;
const WRAP_TAG = 16;

function wrap(kek: Kek, patientId: string, dataKey: Buffer, label = `data key of ${patientId}`): Buffer {
  const iv = crypto.randomBytes(WRAP_NONCE);
  const c = crypto.createCipheriv('aes-256-gcm', kek.key, iv);
  c.setAAD(Buffer.from(label));
  return Buffer.concat([iv, c.update(dataKey), c.final(), c.getAuthTag()]);
}

function unwrap(kek: Kek, patientId: string, wrapped: Uint8Array, label = `data key of ${patientId}`): Buffer {
  const b = Buffer.from(wrapped);
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', kek.key, b.subarray(0, WRAP_NONCE));
    d.setAAD(Buffer.from(label));
    d.setAuthTag(b.subarray(b.length - WRAP_TAG));
    return Buffer.concat([d.update(b.subarray(WRAP_NONCE, b.length - WRAP_TAG)), d.final()]);
  } catch {
    throw new DecryptError();
  }
}

export interface KeyRingOptions {
  /** The current KEK (wraps new data keys), then previous ones (still unwrap, until rotate-key re-wraps). */
  keks: readonly Kek[];
  /** How long an unwrapped data key is reused in this process before it is read again (erasure elsewhere). */
  cacheMs?: number;
  cacheSize?: number;
  now?: () => number;
}

export interface KeyRing {
  /** The id of the KEK new data keys are wrapped with. */
  readonly currentKekId: string;
  /** The cipher of one patient's data, creating the patient's data key on first use. */
  forPatient(db: DbOrTx, patientId: string): Promise<Cipher>;
  /**
   * The ciphers of many patients in one read of data_keys (the cached ones need none): batch workers would
   * otherwise pay a round trip per patient. Keys still missing are created as forPatient does; a patient whose
   * key cannot exist (erased, gone) is absent from the map.
   */
  forPatients(db: DbOrTx, patientIds: readonly string[]): Promise<Map<string, Cipher>>;
  /**
   * A new data key for a patient whose row does not exist yet (its id chosen by the caller), so the patient
   * and its key are inserted in one statement and the patient's values sealed before it. Nothing is stored or
   * cached here: the caller inserts `kekId` and `wrapped` into data_keys and calls `keep()` once that
   * succeeded.
   */
  mint(patientId: string): MintedKey;
  /** Deletes the patient's data key: everything sealed with it becomes unreadable (crypto-shredding). */
  shred(db: DbOrTx, patientId: string): Promise<boolean>;
  /** Re-wraps up to `batch` data keys still under a previous KEK; returns how many it re-wrapped. */
  rewrapBatch(db: DbOrTx, batch?: number): Promise<number>;
  /** Forgets cached data keys (after an erasure in this process, and in tests). */
  forget(patientId?: string): void;
}

export interface MintedKey {
  cipher: Cipher;
  kekId: string;
  wrapped: Buffer;
  /** Caches the cipher (call it once the data_keys row is inserted). */
  keep(): void;
}

export function createKeyRing(o: KeyRingOptions): KeyRing {
  const [current] = o.keks;
  if (!current) throw new Error('a key ring needs at least one key');
  const byId = new Map(o.keks.map((k) => [k.id, k]));
  const cacheMs = o.cacheMs ?? 60_000;
  const cacheSize = o.cacheSize ?? 10_000;
  const now = o.now ?? Date.now;
  const cache = new Map<string, { cipher: Cipher; at: number }>();

  const kek = (id: string): Kek => {
    const k = byId.get(id);
    if (!k) throw new UnknownKekError(id);
    return k;
  };

  const remember = (patientId: string, cipher: Cipher) => {
    cache.delete(patientId);
    cache.set(patientId, { cipher, at: now() });
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
  };

  const ring: KeyRing = {
    currentKekId: current.id,
    async forPatient(db, patientId) {
      const hit = cache.get(patientId);
      if (hit && now() - hit.at < cacheMs) return hit.cipher;
      let row = await db.selectFrom('data_keys').select(['kek_id', 'wrapped']).where('patient_id', '=', patientId).executeTakeFirst();
      if (!row) {
        // One statement for a new patient (the inbound worker creates one per first message): inserted only if
        // the patient exists; nothing comes back when another session created the key first, or the patient is gone.
        const fresh = wrap(current, patientId, crypto.randomBytes(32));
        row = await db.insertInto('data_keys')
          .columns(['patient_id', 'kek_id', 'wrapped'])
          .expression((eb) => eb.selectFrom('patients').select([sql<string>`${patientId}::uuid`.as('patient_id'), sql<string>`${current.id}::text`.as('kek_id'), sql<Uint8Array>`${fresh}::bytea`.as('wrapped')]).where('id', '=', patientId))
          .onConflict((oc) => oc.column('patient_id').doNothing())
          .returning(['kek_id', 'wrapped'])
          .executeTakeFirst();
        row ??= await db.selectFrom('data_keys').select(['kek_id', 'wrapped']).where('patient_id', '=', patientId).executeTakeFirst();
        if (!row) throw new PatientKeyMissingError();
      }
      // Values of this patient sealed before their data key existed (before 0012: with ENCRYPTION_KEY itself)
      // still open: the KEKs are this cipher's previous keys. New values are sealed with the data key only.
      const cipher = createCipher(unwrap(kek(row.kek_id), patientId, row.wrapped), { previous: o.keks.map((k) => k.key) });
      remember(patientId, cipher);
      return cipher;
    },
    mint(patientId) {
      const dataKey = crypto.randomBytes(32);
      const cipher = createCipher(dataKey, { previous: o.keks.map((k) => k.key) });
      return { cipher, kekId: current.id, wrapped: wrap(current, patientId, dataKey), keep: () => remember(patientId, cipher) };
    },
    async forPatients(db, patientIds) {
      const out = new Map<string, Cipher>();
      const wanted: string[] = [];
      for (const id of new Set(patientIds)) {
        const hit = cache.get(id);
        if (hit && now() - hit.at < cacheMs) out.set(id, hit.cipher);
        else wanted.push(id);
      }
      if (wanted.length === 0) return out;
      const rows = await db.selectFrom('data_keys').select(['patient_id', 'kek_id', 'wrapped']).where('patient_id', 'in', wanted).execute();
      for (const r of rows) {
        const cipher = createCipher(unwrap(kek(r.kek_id), r.patient_id, r.wrapped), { previous: o.keks.map((k) => k.key) });
        remember(r.patient_id, cipher);
        out.set(r.patient_id, cipher);
      }
      for (const id of wanted) {
        if (out.has(id)) continue;
        try {
          out.set(id, await ring.forPatient(db, id));
        } catch (e) {
          if (!(e instanceof PatientKeyMissingError)) throw e;
        }
      }
      return out;
    },
    async shred(db, patientId) {
      cache.delete(patientId);
      const r = await db.deleteFrom('data_keys').where('patient_id', '=', patientId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async rewrapBatch(db, batch = 500) {
      const rows = await db.selectFrom('data_keys').select(['id', 'patient_id', 'kek_id', 'wrapped'])
        .where('kek_id', '<>', current.id).orderBy('id').limit(batch).forUpdate().skipLocked().execute();
      for (const r of rows) {
        const dataKey = unwrap(kek(r.kek_id), r.patient_id, r.wrapped);
        await db.updateTable('data_keys')
          .set({ kek_id: current.id, wrapped: wrap(current, r.patient_id, dataKey), rewrapped_at: sql`now()` })
          .where('id', '=', r.id).execute();
      }
      return rows.length;
    },
    forget(patientId) {
      if (patientId === undefined) cache.clear();
      else cache.delete(patientId);
    },
  };
  return ring;
}

// System keys (0012): keys of the deployment rather than of a patient, wrapped by the KEK like data keys, so
// that a rotation of ENCRYPTION_KEY re-wraps them and never changes them. 'blind-index' keys the HMAC of
// phone numbers and BSUIDs: derived from ENCRYPTION_KEY, every stored index would break at a rotation.
export const BLIND_INDEX_KEY = 'blind-index';

const systemLabel = (name: string) => `system key ${name}`;

function kekIn(keks: readonly Kek[], id: string): Kek {
  const k = keks.find((x) => x.id === id);
  if (!k) throw new UnknownKekError(id);
  return k;
}

/** The named system key, created (wrapped by the current KEK) on first use; the same in every instance. */
export async function systemKey(db: DbOrTx, keks: readonly Kek[], name: string): Promise<Buffer> {
  const [current] = keks;
  if (!current) throw new Error('a system key needs at least one key');
  let row = await db.selectFrom('system_keys').select(['kek_id', 'wrapped']).where('name', '=', name).executeTakeFirst();
  if (!row) {
    await db.insertInto('system_keys')
      .values({ name, kek_id: current.id, wrapped: wrap(current, '', crypto.randomBytes(32), systemLabel(name)) })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await db.selectFrom('system_keys').select(['kek_id', 'wrapped']).where('name', '=', name).executeTakeFirstOrThrow();
  }
  return unwrap(kekIn(keks, row.kek_id), '', row.wrapped, systemLabel(name));
}

/** Re-wraps every system key still under a previous KEK (rotate-key); returns how many. */
export async function rewrapSystemKeys(db: DbOrTx, keks: readonly Kek[]): Promise<number> {
  const [current] = keks;
  if (!current) throw new Error('re-wrapping needs at least one key');
  const rows = await db.selectFrom('system_keys').select(['name', 'kek_id', 'wrapped'])
    .where('kek_id', '<>', current.id).forUpdate().skipLocked().execute();
  for (const r of rows) {
    const key = unwrap(kekIn(keks, r.kek_id), '', r.wrapped, systemLabel(r.name));
    await db.updateTable('system_keys')
      .set({ kek_id: current.id, wrapped: wrap(current, '', key, systemLabel(r.name)), rewrapped_at: sql`now()` })
      .where('name', '=', r.name).execute();
  }
  return rows.length;
}
