// Erasure (GDPR art. 17), in one transaction and driven by the data map: the patient's data key is
// shredded (whatever was sealed with it is unreadable everywhere it was copied: backups, replicas, WAL), the
// patient's rows are deleted from every table the map relates to them (found by patient id, by their phone
// or BSUID for rows stored before they were linked, or through another table: statuses of their outbound
// messages, chunks of their media), sealed blobs no column links (dead letters, other webhook events) are
// opened and deleted when they name the patient, and what the map keeps is kept: the audit trail, which
// names the patient only by the opaque id and whose hash chain must keep verifying. An inbound message of
// theirs not handled yet stays: it may be an emergency, and is handled after the erasure as a new patient's.
// The erasure itself is recorded (patient.erase, with counts per table).
import { sql } from 'kysely';
import type { Tx } from '../db/database.js';
import { recordAudit, type AuditActor } from './audit.js';
import type { Cipher } from './crypto.js';
import { patientRows, erasureOrder, type Subject } from './data-map-sql.js';
import type { KeyRing } from './keys.js';

export interface EraseDeps {
  cipher: Cipher;
  keys: KeyRing;
}

export interface EraseResult {
  /** Rows removed per table (data_keys: the shredded key). */
  counts: Record<string, number>;
}

function mentions(plain: string, who: Subject): boolean {
  return [who.phone, who.bsuid].some((v) => v !== null && v.length > 0 && plain.includes(v));
}

/**
 * Erases `who` inside `tx`. The caller found `who` from the patients row and holds it locked (FOR UPDATE), so
 * an inbound message of the patient being handled meanwhile waits, then finds no patient and makes a new one.
 */
export async function erasePatient(tx: Tx, d: EraseDeps, who: Subject, o: { actor: AuditActor; ip?: string | null; at: Date }): Promise<EraseResult> {
  const counts: Record<string, number> = {};
  for (const spec of erasureOrder()) {
    const e = spec.erase;
    if (e.action === 'keep') continue;
    if (e.action === 'shred') {
      counts[spec.table] = (await d.keys.shred(tx, who.id)) ? 1 : 0;
      continue;
    }
    if (e.action === 'scan_delete') {
      // No column links these rows to anyone: open each one. They are few (bodies we could not parse, account
      // events) and retention bounds them.
      let n = 0;
      let after: number | null = null;
      for (;;) {
        const page: { rows: { key: number; blob: Uint8Array }[] } = await sql<{ key: number; blob: Uint8Array }>`select ${sql.ref(e.key)} as key, ${sql.ref(e.column)} as blob from ${sql.table(spec.table)}
          ${after === null ? sql`` : sql`where ${sql.ref(e.key)} > ${after}`} order by ${sql.ref(e.key)} limit 500`.execute(tx);
        if (page.rows.length === 0) break;
        const hits: number[] = [];
        for (const r of page.rows) {
          let text: string;
          try {
            text = d.cipher.decrypt(r.blob).toString('utf8');
          } catch {
            continue;
          }
          if (mentions(text, who)) hits.push(r.key);
        }
        if (hits.length) {
          await sql`delete from ${sql.table(spec.table)} where ${sql.ref(e.key)} in (${sql.join(hits)})`.execute(tx);
          n += hits.length;
        }
        after = page.rows[page.rows.length - 1]!.key;
      }
      counts[spec.table] = n;
      continue;
    }
    const where = patientRows(spec, who, d.cipher);
    if (!where) continue;
    const keep = e.except ? sql` and ${sql.ref(`${spec.table}.${e.except.column}`)} not in (${sql.join(e.except.in.map((v) => sql`${v}`))})` : sql``;
    const r = await sql`delete from ${sql.table(spec.table)} where ${where}${keep}`.execute(tx);
    counts[spec.table] = Number(r.numAffectedRows ?? 0n);
  }
  d.keys.forget(who.id);
  await recordAudit(tx, { actor: o.actor, action: 'patient.erase', patientId: who.id, ip: o.ip ?? null, at: o.at, details: counts });
  return { counts };
}
