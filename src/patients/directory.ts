// The patient directory staff see: search by name (blind indexes of name words) or phone number, a
// patient's summary and particulars, and desk edits of name, date of birth and language. Names and the date
// of birth are sealed with the patient's own data key (crypto-shredded on erasure); the profile name
// WhatsApp gives is sealed with the app key (patients.ts).
//
// Phone numbers and BSUIDs are found through their blind indexes and read from their sealed copies
// (compliance/identifiers.ts): staff see a masked phone, never the number.
import { sql } from 'kysely';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { DbOrTx } from '../db/database.js';
import { phoneIndex, type BlindIndex } from '../compliance/identifiers.js';
import { nameIndexOf, queryIndex } from './names.js';

export interface DirectoryDeps {
  cipher: Cipher;
  keys: KeyRing;
}

export interface PatientSummary {
  id: string;
  displayName: string | null;
  phoneMasked: string | null;
  language: string | null;
  createdAt: Date;
  lastInboundAt: Date | null;
  /** Wired to the consent branch's opt-out state at merge; false until then. */
  optedOut: boolean;
}

export interface PatientDetail extends PatientSummary {
  givenName: string | null;
  familyName: string | null;
  /** 'YYYY-MM-DD'. */
  dateOfBirth: string | null;
}

/** Digits of a phone number as WhatsApp writes wa_id: "+33 6 12-34" → "336 1234"; "0033…" → "33…". */
export function phoneDigits(q: string): string | null {
  if (!/^\+?[\d\s().-]+$/.test(q.trim())) return null;
  let d = q.replace(/\D/g, '');
  if (d.startsWith('00')) d = d.slice(2);
  return d.length >= 6 && d.length <= 15 ? d : null;
}

/** The patients whose phone number is this one, however typed (through the blind index). */
export async function findPatientsByPhone(db: DbOrTx, index: BlindIndex, phone: string): Promise<string[]> {
  const digits = phoneDigits(phone);
  if (!digits) return [];
  const rows = await db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(index, digits)).execute();
  return rows.map((r) => r.id);
}

/** The patient's phone and BSUID in clear (sealed under their key), for erasure to find rows not yet linked. */
export async function patientIdentifiers(db: DbOrTx, d: DirectoryDeps, patientId: string): Promise<{ phone: string | null; bsuid: string | null } | null> {
  const row = await db.selectFrom('patients').select(['wa_id_sealed', 'bsuid_sealed']).where('id', '=', patientId).executeTakeFirst();
  if (!row) return null;
  const own = row.wa_id_sealed || row.bsuid_sealed ? await d.keys.forPatient(db, patientId) : null;
  const open = (v: Uint8Array | null) => (v && own ? own.decrypt(v).toString('utf8') : null);
  return { phone: open(row.wa_id_sealed), bsuid: open(row.bsuid_sealed) };
}

export function maskPhone(waId: string | null): string | null {
  if (!waId || waId.length < 6) return null;
  const cc = waId.slice(0, 2);
  const first = waId[2];
  const hidden = waId.length - 5;
  const groups: string[] = [];
  let rest = hidden;
  groups.push('•'.repeat(Math.min(2, rest)));
  rest -= Math.min(2, rest);
  while (rest > 0) {
    groups.push('•'.repeat(Math.min(2, rest)));
    rest -= Math.min(2, rest);
  }
  return `+${cc} ${first}${groups.join(' ')} ${waId.slice(-2)}`;
}

const columns = ['id', 'wa_id_sealed', 'profile_name', 'given_name', 'family_name', 'date_of_birth', 'language', 'created_at', 'last_inbound_at', 'opted_out_at'] as const;

interface PatientRow {
  id: string;
  wa_id_sealed: Uint8Array | null;
  profile_name: Uint8Array | null;
  given_name: Uint8Array | null;
  family_name: Uint8Array | null;
  date_of_birth: Uint8Array | null;
  language: string | null;
  created_at: Date;
  last_inbound_at: Date | null;
  opted_out_at: Date | null;
}

async function detailOf(db: DbOrTx, d: DirectoryDeps, r: PatientRow): Promise<PatientDetail> {
  const sealed = r.given_name || r.family_name || r.date_of_birth || r.wa_id_sealed || r.profile_name;
  // The patient's cipher also opens what was sealed with ENCRYPTION_KEY before their key existed.
  const own = sealed ? await d.keys.forPatient(db, r.id) : null;
  const open = (v: Uint8Array | null) => (v && own ? own.decrypt(v).toString('utf8') : null);
  const givenName = open(r.given_name);
  const familyName = open(r.family_name);
  const profileName = open(r.profile_name);
  const phone = open(r.wa_id_sealed);
  const full = [givenName, familyName].filter((s): s is string => Boolean(s)).join(' ');
  return {
    id: r.id,
    displayName: full || profileName || null,
    phoneMasked: maskPhone(phone),
    language: r.language,
    createdAt: new Date(r.created_at),
    lastInboundAt: r.last_inbound_at ? new Date(r.last_inbound_at) : null,
    optedOut: r.opted_out_at !== null,
    givenName,
    familyName,
    dateOfBirth: open(r.date_of_birth),
  };
}

export function summaryOf(p: PatientDetail): PatientSummary {
  return { id: p.id, displayName: p.displayName, phoneMasked: p.phoneMasked, language: p.language, createdAt: p.createdAt, lastInboundAt: p.lastInboundAt, optedOut: p.optedOut };
}

/** Where the next page starts: the last row's created_at (as PostgreSQL prints it, exact) and id. */
export interface PatientCursor {
  c: string;
  id: string;
}

export interface PatientQuery {
  /** A name word (or words: all must match) or a phone number. */
  q?: string | undefined;
  after?: PatientCursor | undefined;
  /** Rows to fetch (the caller asks one more than it shows, to know whether there is a next page). */
  limit: number;
}

/** Newest first. */
export async function searchPatients(db: DbOrTx, d: DirectoryDeps, query: PatientQuery): Promise<{ patient: PatientSummary; cursor: PatientCursor }[]> {
  let q = db.selectFrom('patients').select([...columns, sql<string>`created_at::text`.as('created_key')]);
  const text = query.q?.trim();
  if (text) {
    const digits = phoneDigits(text);
    if (digits) {
      const ids = await findPatientsByPhone(db, d.cipher, digits);
      if (ids.length === 0) return [];
      q = q.where('id', 'in', ids);
    } else {
      const wanted = queryIndex(d.cipher, text);
      if (wanted.length === 0) return [];
      q = q.where(sql<boolean>`name_index @> ${sql.val(wanted)}::text[]`);
    }
  }
  if (query.after) {
    const { c, id } = query.after;
    q = q.where(sql<boolean>`(created_at < ${c}::timestamptz or (created_at = ${c}::timestamptz and id < ${id}::uuid))`);
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  const out: { patient: PatientSummary; cursor: PatientCursor }[] = [];
  for (const r of rows) out.push({ patient: summaryOf(await detailOf(db, d, r)), cursor: { c: r.created_key, id: r.id } });
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The patient, or null when there is none with this id (any string: a malformed id is simply unknown). */
export async function getPatient(db: DbOrTx, d: DirectoryDeps, id: string): Promise<PatientDetail | null> {
  if (!UUID.test(id)) return null;
  const r = await db.selectFrom('patients').select(columns).where('id', '=', id).executeTakeFirst();
  return r ? detailOf(db, d, r) : null;
}

export interface PatientPatch {
  givenName?: string | null | undefined;
  familyName?: string | null | undefined;
  dateOfBirth?: string | null | undefined;
  language?: string | null | undefined;
}

/**
 * Applies a desk edit in `tx` (the row is locked): names and date of birth sealed with the patient's key, the
 * name index rebuilt from the resulting names. Returns the patient after the edit, or null when unknown.
 */
export async function updatePatient(tx: DbOrTx, d: DirectoryDeps, id: string, patch: PatientPatch, now: Date): Promise<PatientDetail | null> {
  if (!UUID.test(id)) return null;
  const row = await tx.selectFrom('patients').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) return null;
  const before = await detailOf(tx, d, row);
  const own = await d.keys.forPatient(tx, id);
  const seal = (v: string | null) => (v === null ? null : own.encrypt(v));
  const givenName = patch.givenName === undefined ? before.givenName : patch.givenName;
  const familyName = patch.familyName === undefined ? before.familyName : patch.familyName;
  const profileName = row.profile_name ? own.decrypt(row.profile_name).toString('utf8') : null;
  await tx.updateTable('patients').set({
    ...(patch.givenName !== undefined ? { given_name: seal(patch.givenName) } : {}),
    ...(patch.familyName !== undefined ? { family_name: seal(patch.familyName) } : {}),
    ...(patch.dateOfBirth !== undefined ? { date_of_birth: seal(patch.dateOfBirth) } : {}),
    ...(patch.language !== undefined ? { language: patch.language } : {}),
    name_index: nameIndexOf(d.cipher, givenName, familyName, profileName),
    updated_at: now,
  }).where('id', '=', id).execute();
  const after = await tx.selectFrom('patients').select(columns).where('id', '=', id).executeTakeFirstOrThrow();
  return detailOf(tx, d, after);
}
