// Identity verification, before sensitive content (results, prescriptions): the date of birth on record,
// then a one-time code sent as an authentication template (copy-code button). The code is stored only as a
// keyed hash bound to its verification, expires after 10 minutes, verifies once; wrong dates of birth and
// wrong codes count together, and the fifth locks the verification (an operator alert, an audit entry)
// until staff unlock it. Attempts carry over to a new start within a day, so restarting does not reset the
// count. Verified state lasts VERIFICATION_TTL_MINUTES for the patient's conversation, never longer.
import crypto from 'node:crypto';
import type { DbOrTx, Tx } from '../db/database.js';
import { enqueue } from '../whatsapp/outbox.js';
import { template } from '../whatsapp/outbound.js';
import { recordAudit, type AuditActor } from './audit.js';
import type { Cipher } from './crypto.js';
import type { KeyRing } from './keys.js';

/** The authentication template (category AUTHENTICATION, one copy-code button); the sandbox approves it. */
export const ONE_TIME_CODE_TEMPLATE = 'patientline_one_time_code';
/** Our languages as Meta's template language codes. */
export const ONE_TIME_CODE_LANGUAGES: Readonly<Record<string, string>> = { en: 'en', fr: 'fr', it: 'it', es: 'es', pt: 'pt_PT', de: 'de' };
export const CODE_TTL_MS = 10 * 60_000;
export const MAX_ATTEMPTS = 5;
/** A verification started again within this reuses the attempts counted so far. */
const ATTEMPTS_WINDOW_MS = 24 * 3600_000;

export interface VerificationDeps {
  /** The key of the codes' keyed hash (blindIndex): ENCRYPTION_KEY's cipher. */
  cipher: Cipher;
  /** Dates of birth are sealed with the patient's data key. */
  keys: KeyRing;
  /** VERIFICATION_TTL_MINUTES. */
  ttlMinutes: number;
}

type Row = {
  id: string; patient_id: string; created_at: Date; dob_checked_at: Date | null; code_hash: string | null; code_sent_at: Date | null;
  code_expires_at: Date | null; code_used_at: Date | null; attempts: number; locked_at: Date | null; unlocked_at: Date | null;
  verified_at: Date | null; verified_until: Date | null;
};

const isLocked = (r: Row | undefined) => r !== undefined && r.locked_at !== null && r.unlocked_at === null;

async function latest(db: DbOrTx, patientId: string): Promise<Row | undefined> {
  return db.selectFrom('identity_verifications').selectAll().where('patient_id', '=', patientId).orderBy('created_at', 'desc').orderBy('id').limit(1).executeTakeFirst();
}

function codeHash(cipher: Cipher, verificationId: string, code: string): string {
  return cipher.blindIndex(`one-time code v1:${verificationId}:${code}`);
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export type BeginResult =
  | { status: 'code_sent'; verificationId: string; expiresAt: Date }
  | { status: 'dob_mismatch'; attemptsLeft: number }
  | { status: 'locked' }
  | { status: 'no_date_of_birth' }
  | { status: 'no_phone' }
  | { status: 'unknown_patient' };

export type SubmitResult =
  | { status: 'verified'; until: Date }
  | { status: 'wrong_code'; attemptsLeft: number }
  | { status: 'expired' }
  | { status: 'used' }
  | { status: 'locked' }
  | { status: 'no_code' };

export interface VerificationService {
  /**
   * Checks the date of birth the patient gave ('YYYY-MM-DD') against the record; when it matches, sends a
   * fresh one-time code (an earlier one stops working). `causedBy`: the inbound message that asked for it
   * (the code is then a reply to the patient, sent even after an opt-out).
   */
  begin(tx: Tx, input: { patientId: string; dateOfBirth: string; now: Date; causedBy?: number | null }): Promise<BeginResult>;
  submitCode(tx: Tx, input: { patientId: string; code: string; now: Date }): Promise<SubmitResult>;
  /** Staff lift a lock (audited); the patient starts again with a clean count. */
  unlock(tx: Tx, input: { patientId: string; actor: AuditActor; now: Date }): Promise<boolean>;
}

export function verificationService(d: VerificationDeps): VerificationService {
  const ttlMs = d.ttlMinutes * 60_000;

  /** Counts a failed attempt; the last one allowed locks the verification and alerts staff. */
  const fail = async (tx: Tx, row: Row, now: Date, what: 'dob' | 'code'): Promise<{ locked: boolean; attemptsLeft: number }> => {
    const attempts = row.attempts + 1;
    const locked = attempts >= MAX_ATTEMPTS;
    await tx.updateTable('identity_verifications').set({ attempts, ...(locked ? { locked_at: now, code_hash: null } : {}) }).where('id', '=', row.id).execute();
    if (locked) {
      await tx.insertInto('operator_alerts').values({
        code: 'verification_locked',
        message: `Identity verification of patient ${row.patient_id} locked after ${attempts} failed attempts. Check with the patient before unlocking it.`,
      }).execute();
    }
    await recordAudit(tx, {
      actor: { type: 'patient', id: row.patient_id }, action: locked ? 'verification.locked' : 'verification.failed', patientId: row.patient_id,
      target: `verification:${row.id}`, details: { factor: what, attempts }, at: now,
    });
    return { locked, attemptsLeft: Math.max(0, MAX_ATTEMPTS - attempts) };
  };

  return {
    async begin(tx, { patientId, dateOfBirth, now, causedBy }) {
      const patient = await tx.selectFrom('patients').select(['id', 'date_of_birth', 'wa_id_sealed', 'bsuid_sealed', 'language']).where('id', '=', patientId).forUpdate().executeTakeFirst();
      if (!patient) return { status: 'unknown_patient' };
      // The patient's own data key seals their date of birth, their identifiers and the message with the code.
      const own = await d.keys.forPatient(tx, patientId);
      const phone = patient.wa_id_sealed ? own.decrypt(patient.wa_id_sealed).toString('utf8') : null;
      const bsuid = patient.bsuid_sealed ? own.decrypt(patient.bsuid_sealed).toString('utf8') : null;
      const last = await latest(tx, patientId);
      if (isLocked(last)) return { status: 'locked' };
      if (!patient.date_of_birth) return { status: 'no_date_of_birth' };
      // Authentication templates with a copy-code button need a phone number recipient (131062).
      if (!phone) return { status: 'no_phone' };
      const open = last && !last.verified_at && !last.locked_at && now.getTime() - last.created_at.getTime() < ATTEMPTS_WINDOW_MS ? last : undefined;
      const row = open ?? await tx.insertInto('identity_verifications').values({ patient_id: patientId, created_at: now }).returningAll().executeTakeFirstOrThrow();
      const onRecord = own.decrypt(patient.date_of_birth).toString('utf8');
      if (!sameHash(d.cipher.blindIndex(`dob:${onRecord.trim()}`), d.cipher.blindIndex(`dob:${dateOfBirth.trim()}`))) {
        const r = await fail(tx, row, now, 'dob');
        return r.locked ? { status: 'locked' } : { status: 'dob_mismatch', attemptsLeft: r.attemptsLeft };
      }
      const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
      const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
      await tx.updateTable('identity_verifications')
        .set({ dob_checked_at: now, code_hash: codeHash(d.cipher, row.id, code), code_sent_at: now, code_expires_at: expiresAt, code_used_at: null })
        .where('id', '=', row.id).execute();
      const language = ONE_TIME_CODE_LANGUAGES[(patient.language ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en'] ?? 'en';
      // The code travels only in the (encrypted) outbox payload and the message itself.
      await enqueue(tx, own, { patientId, phone, bsuid }, [
        template({ name: ONE_TIME_CODE_TEMPLATE, language, body: [code], buttons: [{ subType: 'url', index: 0, text: code }] }),
      ], { causedBy: causedBy ?? null, purpose: causedBy != null ? 'reply' : 'care' });
      await recordAudit(tx, { actor: { type: 'patient', id: patientId }, action: 'verification.code_sent', patientId, target: `verification:${row.id}`, details: { attempts: row.attempts }, at: now });
      return { status: 'code_sent', verificationId: row.id, expiresAt };
    },

    async submitCode(tx, { patientId, code, now }) {
      await tx.selectFrom('patients').select('id').where('id', '=', patientId).forUpdate().executeTakeFirst();
      const row = await latest(tx, patientId);
      if (!row) return { status: 'no_code' };
      if (isLocked(row)) return { status: 'locked' };
      if (row.code_used_at || row.verified_at) return { status: 'used' };
      if (!row.code_hash || !row.code_expires_at) return { status: 'no_code' };
      if (now.getTime() >= row.code_expires_at.getTime()) return { status: 'expired' };
      const given = code.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(given) || !sameHash(codeHash(d.cipher, row.id, given), row.code_hash)) {
        const r = await fail(tx, row, now, 'code');
        return r.locked ? { status: 'locked' } : { status: 'wrong_code', attemptsLeft: r.attemptsLeft };
      }
      const until = new Date(now.getTime() + ttlMs);
      // Single use: the hash goes with the use, so a replay finds nothing to match.
      await tx.updateTable('identity_verifications').set({ code_used_at: now, code_hash: null, verified_at: now, verified_until: until }).where('id', '=', row.id).execute();
      await recordAudit(tx, { actor: { type: 'patient', id: patientId }, action: 'verification.verified', patientId, target: `verification:${row.id}`, details: { ttlMinutes: d.ttlMinutes }, at: now });
      return { status: 'verified', until };
    },

    async unlock(tx, { patientId, actor, now }) {
      const row = await latest(tx, patientId);
      if (!isLocked(row) || !row) return false;
      await tx.updateTable('identity_verifications').set({ unlocked_at: now }).where('id', '=', row.id).execute();
      await tx.updateTable('operator_alerts').set({ resolved_at: now }).where('code', '=', 'verification_locked').where('resolved_at', 'is', null)
        .where('message', 'like', `%patient ${patientId} %`).execute();
      await recordAudit(tx, { actor, action: 'verification.unlocked', patientId, target: `verification:${row.id}`, at: now });
      return true;
    },
  };
}

/** Whether the patient's conversation is verified now: the latest verification succeeded and has not ended. */
export async function isVerified(db: DbOrTx, patientId: string, now: Date): Promise<boolean> {
  return (await verificationStatus(db, patientId, now)).verified;
}

export async function verificationStatus(db: DbOrTx, patientId: string, now: Date): Promise<{ verified: boolean; until: Date | null; locked: boolean }> {
  const row = await latest(db, patientId);
  const locked = isLocked(row);
  const until = row?.verified_until && row.verified_at && !locked && row.verified_until.getTime() > now.getTime() && row.verified_at.getTime() <= now.getTime() ? row.verified_until : null;
  return { verified: until !== null, until, locked };
}
