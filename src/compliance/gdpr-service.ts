// The GDPR rights as one service over the data map, shared by the API routes and the operator commands:
// export a patient's data, erase a patient, purge what is past retention.
import type { Db } from '../db/database.js';
import type { AuditActor } from './audit.js';
import { recordAudit } from './audit.js';
import type { Cipher } from './crypto.js';
import type { Subject } from './data-map-sql.js';
import { erasePatient, type EraseResult } from './erase.js';
import { exportPatient, type PatientExport } from './export.js';
import type { KeyRing } from './keys.js';
import { patientIdentifiers } from '../patients/index.js';

export interface GdprDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The confirmation an erasure needs, typed by whoever asks for it. */
export const eraseConfirmation = (id: string) => `ERASE ${id}`;

interface Who {
  actor: AuditActor;
  ip?: string | null;
  at: Date;
}

/** The export, recorded as patient.export (counts per section, no content); null for an unknown patient. */
export async function exportAndRecord(d: GdprDeps, id: string, who: Who): Promise<PatientExport | null> {
  if (!UUID.test(id)) return null;
  return d.db.transaction().execute(async (tx) => {
    const ids = await patientIdentifiers(tx, d, id);
    if (!ids) return null;
    const subject: Subject = { id, ...ids };
    const doc = await exportPatient(tx, d, subject, who.at);
    if (!doc) return null;
    const details = Object.fromEntries(Object.entries(doc.sections).map(([k, v]) => [k, v.length]));
    await recordAudit(tx, { actor: who.actor, action: 'patient.export', patientId: id, ip: who.ip ?? null, at: who.at, details });
    return doc;
  });
}

/** Erases the patient in one transaction; null for an unknown (or already erased) patient. */
export async function eraseAndRecord(d: GdprDeps, id: string, who: Who): Promise<EraseResult | null> {
  if (!UUID.test(id)) return null;
  return d.db.transaction().execute(async (tx) => {
    // Locks the patient: an inbound message of theirs being handled now waits, then makes a new patient.
    const row = await tx.selectFrom('patients').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) return null;
    const ids = await patientIdentifiers(tx, d, id);
    if (!ids) return null;
    return erasePatient(tx, d, { id, ...ids }, who);
  });
}
