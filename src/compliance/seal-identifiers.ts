// The start-time half of migration 0012: rows written before it hold phone numbers and BSUIDs in clear
// (patients, inbound_messages, status_events, outbox). A migration cannot compute their blind indexes (the
// key is not in the database), so this step does, in batches, at every start until nothing is left: it
// writes the indexes and the sealed copies, clears the old columns, and on the way re-seals the patient's
// values that were sealed with ENCRYPTION_KEY (profile name, inbound payloads once processed, outbox
// payloads) under the patient's data key, so erasure's crypto-shredding covers them too.
//
// Each batch is one transaction that locks its rows FOR UPDATE SKIP LOCKED: several instances starting at
// once share the work, and a crash mid-way leaves only whole batches done (it resumes where it stopped).
import { sql } from 'kysely';
import type { Cipher } from './crypto.js';
import type { Db, Tx } from '../db/database.js';
import { bsuidIndex, phoneIndex, type Crypt } from './identifiers.js';

const BATCH = 500;

export interface SealedCounts {
  patients: number;
  inboundMessages: number;
  statusEvents: number;
  outbox: number;
}

const PHONE = /^\+?[0-9]+$/;

/** A clear identifier of unknown kind (status_events.recipient held recipient_id or recipient_user_id). */
function indexOfEither(c: Cipher, v: string): string {
  return PHONE.test(v) ? phoneIndex(c, v) : bsuidIndex(c, v);
}

/** A 'u:…' / 'p:…' sender key over the clear value, as the same key over its index. */
function senderKeyOf(c: Cipher, key: string): string {
  if (key.startsWith('u:')) return `u:${bsuidIndex(c, key.slice(2))}`;
  if (key.startsWith('p:')) return `p:${phoneIndex(c, key.slice(2))}`;
  return key;
}

/** The value re-sealed under `pc` when another key sealed it (ENCRYPTION_KEY before 0012), else as it is. */
function resealed(pc: Cipher, blob: Uint8Array): Uint8Array {
  return pc.sealedWithCurrent(blob) ? blob : pc.encrypt(pc.decrypt(blob));
}

async function cipherOf(tx: Tx, crypt: Crypt, patientId: string | null): Promise<Cipher> {
  return patientId ? crypt.keys.forPatient(tx, patientId) : crypt.cipher;
}

async function patientsBatch(tx: Tx, crypt: Crypt, batch: number): Promise<number> {
  const rows = await tx.selectFrom('patients').select(['id', 'wa_id', 'bsuid', 'parent_bsuid', 'username', 'profile_name'])
    .where((eb) => eb.or([eb('wa_id', 'is not', null), eb('bsuid', 'is not', null), eb('parent_bsuid', 'is not', null), eb('username', 'is not', null)]))
    .orderBy('id').limit(batch).forUpdate().skipLocked().execute();
  for (const r of rows) {
    const pc = await crypt.keys.forPatient(tx, r.id);
    const seal = (v: string | null) => (v ? pc.encrypt(v) : null);
    await tx.updateTable('patients').set({
      wa_id_index: r.wa_id ? phoneIndex(crypt.cipher, r.wa_id) : null,
      bsuid_index: r.bsuid ? bsuidIndex(crypt.cipher, r.bsuid) : null,
      wa_id_sealed: seal(r.wa_id),
      bsuid_sealed: seal(r.bsuid),
      parent_bsuid_sealed: seal(r.parent_bsuid),
      username_sealed: seal(r.username),
      profile_name: r.profile_name ? resealed(pc, r.profile_name) : null,
      wa_id: null,
      bsuid: null,
      parent_bsuid: null,
      username: null,
    }).where('id', '=', r.id).execute();
  }
  return rows.length;
}

async function inboundBatch(tx: Tx, crypt: Crypt, batch: number): Promise<number> {
  const rows = await tx.selectFrom('inbound_messages').select(['id', 'wa_id', 'bsuid', 'sender_key', 'state', 'patient_id', 'payload'])
    .where((eb) => eb.or([eb('wa_id', 'is not', null), eb('bsuid', 'is not', null)]))
    .orderBy('id').limit(batch).forUpdate().skipLocked().execute();
  if (rows.length === 0) return 0;
  const values = [];
  for (const r of rows) {
    // A processed message is the patient's data: under their key. A pending one stays with ENCRYPTION_KEY.
    const payload = r.state !== 'pending' && r.patient_id ? resealed(await crypt.keys.forPatient(tx, r.patient_id), r.payload) : r.payload;
    values.push(sql`(${r.id}::bigint, ${r.wa_id ? phoneIndex(crypt.cipher, r.wa_id) : null}::text, ${r.bsuid ? bsuidIndex(crypt.cipher, r.bsuid) : null}::text, ${senderKeyOf(crypt.cipher, r.sender_key)}::text, ${payload}::bytea)`);
  }
  await sql`update inbound_messages m set wa_id_index = v.w, bsuid_index = v.b, sender_key = v.k, payload = v.p, wa_id = null, bsuid = null
    from (values ${sql.join(values)}) v(id, w, b, k, p) where m.id = v.id`.execute(tx);
  return rows.length;
}

async function statusesBatch(tx: Tx, crypt: Crypt, batch: number): Promise<number> {
  const rows = await tx.selectFrom('status_events').select(['id', 'recipient']).where('recipient', 'is not', null)
    .orderBy('id').limit(batch).forUpdate().skipLocked().execute();
  if (rows.length === 0) return 0;
  const values = rows.map((r) => sql`(${r.id}::bigint, ${r.recipient ? indexOfEither(crypt.cipher, r.recipient) : null}::text)`);
  await sql`update status_events e set recipient_index = v.r, recipient = null from (values ${sql.join(values)}) v(id, r) where e.id = v.id`.execute(tx);
  return rows.length;
}

async function outboxBatch(tx: Tx, crypt: Crypt, batch: number): Promise<number> {
  const rows = await tx.selectFrom('outbox').select(['id', 'patient_id', 'to_phone', 'to_bsuid', 'payload'])
    .where((eb) => eb.or([eb('to_phone', 'is not', null), eb('to_bsuid', 'is not', null)]))
    .orderBy('id').limit(batch).forUpdate().skipLocked().execute();
  if (rows.length === 0) return 0;
  const values = [];
  for (const r of rows) {
    const c = await cipherOf(tx, crypt, r.patient_id);
    values.push(sql`(${r.id}::bigint, ${c.encryptJson({ phone: r.to_phone, bsuid: r.to_bsuid })}::bytea, ${resealed(c, r.payload)}::bytea)`);
  }
  await sql`update outbox o set to_sealed = v.t, payload = v.p, to_phone = null, to_bsuid = null
    from (values ${sql.join(values)}) v(id, t, p) where o.id = v.id`.execute(tx);
  return rows.length;
}

/** Converts every row still holding a clear identifier; returns how many of each table it converted. */
export async function sealClearIdentifiers(db: Db, crypt: Crypt, batch = BATCH): Promise<SealedCounts> {
  const counts: SealedCounts = { patients: 0, inboundMessages: 0, statusEvents: 0, outbox: 0 };
  const steps: [keyof SealedCounts, (tx: Tx, crypt: Crypt, batch: number) => Promise<number>][] = [
    ['patients', patientsBatch],
    ['inboundMessages', inboundBatch],
    ['statusEvents', statusesBatch],
    ['outbox', outboxBatch],
  ];
  for (const [name, step] of steps) {
    for (;;) {
      const n = await db.transaction().execute((tx) => step(tx, crypt, batch));
      counts[name] += n;
      if (n < batch) break;
    }
  }
  return counts;
}
