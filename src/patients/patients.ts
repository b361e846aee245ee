// Patients as WhatsApp knows them: a BSUID (always, since 2026) and a phone number when WhatsApp shares
// it. Neither is stored in clear (0012): each has a blind index (every look-up, the unique keys) and an
// encrypted copy under the patient's data key (to send, to show staff a masked phone). The profile name
// and the particulars (given and family name, date of birth) are encrypted under the patient's key too, so
// erasure's crypto-shredding covers them. Values sealed before 0012 (with ENCRYPTION_KEY) still open: the
// patient's cipher falls back to the KEKs (compliance/keys.ts).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { DecryptError, type Cipher } from '../compliance/crypto.js';
import { bsuidIndex, maskPhone, phoneIndex, type BlindIndex, type Crypt } from '../compliance/identifiers.js';
import { PatientKeyMissingError } from '../compliance/keys.js';
import type { DbOrTx, Tx } from '../db/database.js';
import { nameIndexOf } from './names.js';

export interface Patient {
  id: string;
  waId: string | null;
  bsuid: string | null;
  username: string | null;
  language: string | null;
  lastInboundAt: Date | null;
  /** Set by STOP and its equivalents (compliance/consent.ts), as the row stood when it was read. */
  optedOutAt: Date | null;
}

export interface Identity {
  waId: string | null;
  bsuid: string | null;
  parentBsuid?: string | null;
  username?: string | null;
  name?: string | null;
}

function open(c: Cipher, sealed: Uint8Array | null, legacy: string | null = null): string | null {
  return sealed ? c.decrypt(sealed).toString('utf8') : legacy;
}

/** Finds or creates the patient for an inbound message and opens (extends) the 24-hour window. */
export async function touchPatient(tx: Tx, crypt: Crypt, who: Identity, messageAt: Date): Promise<{ patient: Patient; created: boolean }> {
  if (!who.waId && !who.bsuid) throw new Error('an inbound message without wa_id and user_id has no patient');
  const waIdx = who.waId ? phoneIndex(crypt.cipher, who.waId) : null;
  const bsIdx = who.bsuid ? bsuidIndex(crypt.cipher, who.bsuid) : null;
  const find = () =>
    tx.selectFrom('patients')
      .select('id')
      .where((eb) => eb.or([...(bsIdx ? [eb('bsuid_index', '=', bsIdx)] : []), ...(waIdx ? [eb('wa_id_index', '=', waIdx)] : [])]))
      .orderBy(sql`bsuid_index is null`)
      .forUpdate()
      .executeTakeFirst();
  let found = await find();
  if (!found) {
    // A new patient: the row and its data key in one statement, every value already sealed under that key.
    const created = await insertPatient(tx, crypt, who, waIdx, bsIdx, messageAt);
    if (created) return { patient: created, created: true };
    found = await find(); // another sender key of the same person created it meanwhile
    if (!found) throw new Error('patient vanished during upsert');
  }
  const pc = await crypt.keys.forPatient(tx, found.id);
  const seal = (v: string | null | undefined) => (v ? pc.encrypt(v) : null);
  const waSealed = seal(who.waId);
  const bsSealed = seal(who.bsuid);
  const row = await tx.updateTable('patients')
    .set({
      // An identity another patient already holds stays theirs: one message naming two patients (known so
      // far by one identity each) must not fail on the unique index, retried until dead and never answered.
      wa_id_index: sql`coalesce(wa_id_index, (select ${waIdx}::text where not exists (select 1 from patients o where o.wa_id_index = ${waIdx})))`,
      wa_id_sealed: sql`case when wa_id_index = ${waIdx} then coalesce(wa_id_sealed, ${waSealed}::bytea)
        when wa_id_index is null and not exists (select 1 from patients o where o.wa_id_index = ${waIdx}) then ${waSealed}::bytea
        else wa_id_sealed end`,
      bsuid_index: sql`coalesce(bsuid_index, (select ${bsIdx}::text where not exists (select 1 from patients o where o.bsuid_index = ${bsIdx})))`,
      bsuid_sealed: sql`case when bsuid_index = ${bsIdx} then coalesce(bsuid_sealed, ${bsSealed}::bytea)
        when bsuid_index is null and not exists (select 1 from patients o where o.bsuid_index = ${bsIdx}) then ${bsSealed}::bytea
        else bsuid_sealed end`,
      parent_bsuid_sealed: sql`coalesce(${seal(who.parentBsuid)}::bytea, parent_bsuid_sealed)`,
      username_sealed: sql`coalesce(${seal(who.username)}::bytea, username_sealed)`,
      // Staff find the patient by their profile name too: its words join the name index (a former profile
      // name keeps finding them; a desk edit rebuilds the index from the current names).
      ...(who.name ? { profile_name: pc.encrypt(who.name), name_index: sql<string[]>`array(select distinct unnest(name_index || ${nameIndexOf(crypt.cipher, who.name)}::text[]) order by 1)` } : {}),
      last_inbound_at: sql`greatest(last_inbound_at, ${messageAt})`,
      updated_at: new Date(),
    })
    .where('id', '=', found.id)
    .returning(['id', 'wa_id_sealed', 'bsuid_sealed', 'username_sealed', 'wa_id', 'bsuid', 'username', 'language', 'last_inbound_at', 'opted_out_at'])
    .executeTakeFirstOrThrow();
  return {
    patient: {
      id: row.id,
      waId: open(pc, row.wa_id_sealed, row.wa_id),
      bsuid: open(pc, row.bsuid_sealed, row.bsuid),
      username: open(pc, row.username_sealed, row.username),
      language: row.language,
      lastInboundAt: row.last_inbound_at,
      optedOutAt: row.opted_out_at,
    },
    created: false,
  };
}

/**
 * Inserts a patient no index found, with its data key (compliance/keys.ts, `mint`) in the same statement; null
 * when nothing was inserted because a concurrent transaction created a patient with one of these identities.
 */
async function insertPatient(tx: Tx, crypt: Crypt, who: Identity, waIdx: string | null, bsIdx: string | null, messageAt: Date): Promise<Patient | null> {
  const id = crypto.randomUUID();
  const key = crypt.keys.mint(id);
  const seal = (v: string | null | undefined) => (v ? key.cipher.encrypt(v) : null);
  const names = who.name ? nameIndexOf(crypt.cipher, who.name) : []; // distinct and sorted
  const inserted = await sql<{ patient_id: string }>`with p as (
      insert into patients (id, wa_id_index, bsuid_index, wa_id_sealed, bsuid_sealed, parent_bsuid_sealed, username_sealed, profile_name, name_index, last_inbound_at)
      values (${id}::uuid, ${waIdx}::text, ${bsIdx}::text, ${seal(who.waId)}::bytea, ${seal(who.bsuid)}::bytea, ${seal(who.parentBsuid)}::bytea,
              ${seal(who.username)}::bytea, ${seal(who.name)}::bytea, ${names}::text[], ${messageAt}::timestamptz)
      on conflict do nothing
      returning id)
    insert into data_keys (patient_id, kek_id, wrapped) select id, ${key.kekId}::text, ${key.wrapped}::bytea from p returning patient_id`.execute(tx);
  if (inserted.rows.length === 0) return null;
  key.keep();
  return { id, waId: who.waId, bsuid: who.bsuid, username: who.username ?? null, language: null, lastInboundAt: messageAt, optedOutAt: null };
}

export async function patientName(tx: DbOrTx, crypt: Crypt, patientId: string): Promise<string | null> {
  const row = await tx.selectFrom('patients').select('profile_name').where('id', '=', patientId).executeTakeFirst();
  if (!row?.profile_name) return null;
  return (await crypt.keys.forPatient(tx, patientId)).decrypt(row.profile_name).toString('utf8');
}

/** The patient with this phone number (as WhatsApp gives it, or as staff type it: "+33 6 12 34 56 78"), through the blind index. */
export async function findPatientByPhone(db: DbOrTx, index: BlindIndex, phone: string): Promise<{ id: string } | null> {
  const row = await db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(index, phone)).executeTakeFirst();
  return row ?? null;
}

/** The patient with this BSUID, through the blind index. */
export async function findPatientByBsuid(db: DbOrTx, index: BlindIndex, bsuid: string): Promise<{ id: string } | null> {
  const row = await db.selectFrom('patients').select('id').where('bsuid_index', '=', bsuidIndex(index, bsuid)).executeTakeFirst();
  return row ?? null;
}

/** What staff see of a patient: a masked phone, the decrypted names and date of birth. */
export interface PatientCard {
  id: string;
  /** e.g. +33•••••••78; null when WhatsApp never shared the number. */
  maskedPhone: string | null;
  hasBsuid: boolean;
  profileName: string | null;
  givenName: string | null;
  familyName: string | null;
  /** 'YYYY-MM-DD'. */
  dateOfBirth: string | null;
  language: string | null;
  lastInboundAt: Date | null;
}

/** A patient's card for the patients API; null when there is no such patient. Values sealed with a shredded key (erasure) read as null. */
export async function readPatientCard(db: DbOrTx, crypt: Crypt, patientId: string): Promise<PatientCard | null> {
  const row = await db.selectFrom('patients')
    .select(['id', 'wa_id', 'wa_id_sealed', 'bsuid_index', 'bsuid', 'profile_name', 'given_name', 'family_name', 'date_of_birth', 'language', 'last_inbound_at'])
    .where('id', '=', patientId).executeTakeFirst();
  if (!row) return null;
  let pc: Cipher | null;
  try {
    pc = await crypt.keys.forPatient(db, patientId);
  } catch (e) {
    if (!(e instanceof PatientKeyMissingError)) throw e;
    pc = null;
  }
  // A value sealed with a shredded key (erasure) reads as absent.
  const attempt = (f: () => string | null): string | null => {
    try {
      return f();
    } catch (e) {
      if (e instanceof DecryptError) return null;
      throw e;
    }
  };
  const read = (v: Uint8Array | null) => (v && pc ? attempt(() => pc.decrypt(v).toString('utf8')) : null);
  const phone = pc ? attempt(() => open(pc, row.wa_id_sealed, row.wa_id)) : null;
  return {
    id: row.id,
    maskedPhone: phone ? maskPhone(phone) : null,
    hasBsuid: row.bsuid_index !== null || row.bsuid !== null,
    profileName: read(row.profile_name),
    givenName: read(row.given_name),
    familyName: read(row.family_name),
    dateOfBirth: read(row.date_of_birth),
    language: row.language,
    lastInboundAt: row.last_inbound_at,
  };
}
