// A patient's data as one JSON document (GDPR art. 15 and 20): every table the data map relates to the
// patient and gives an export section, every column but secrets, derived hashes and raw bytes, sealed
// values opened (with the app key or the patient's data key, as the map says). Built from DATA_MAP alone.
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { Cipher } from './crypto.js';
import { DATA_MAP, type ColumnSpec, type TableSpec } from './data-map.js';
import { patientRows, type Subject } from './data-map-sql.js';
import type { KeyRing } from './keys.js';

export const EXPORT_FORMAT = 'patientline-export/1';

export interface ExportDeps {
  cipher: Cipher;
  keys: KeyRing;
}

export type ExportRow = Record<string, unknown>;

export interface PatientExport {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  patient: ExportRow;
  /** One list per export section of the data map (messagesIn, messagesOut, statuses, media, …). */
  sections: Record<string, ExportRow[]>;
  /** Tables that relate to the patient but are not exported, and why. */
  notExported: { table: string; why: string }[];
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** The text a stored message shows (inbound: {message, contact}; outbound: the Cloud API message). */
export function messageText(value: unknown): string | null {
  const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const root = obj(value);
  const m = obj(root?.['message']) ?? root;
  if (!m) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const type = str(m['type']);
  const body = obj(m['text']);
  if (body && str(body['body'])) return str(body['body']);
  if (type) {
    const part = obj(m[type]);
    if (part) {
      if (str(part['caption'])) return str(part['caption']);
      const b = obj(part['body']);
      if (b && str(b['text'])) return str(b['text']);
      for (const k of ['button_reply', 'list_reply']) {
        const reply = obj(part[k]);
        if (reply && str(reply['title'])) return str(reply['title']);
      }
      if (str(part['text'])) return str(part['text']);
    }
  }
  return null;
}

function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (isBytes(v)) return undefined;
  return v;
}

async function renderRow(db: DbOrTx, d: ExportDeps, spec: TableSpec, who: Subject, row: Record<string, unknown>): Promise<ExportRow> {
  const out: ExportRow = {};
  for (const [name, c] of Object.entries(spec.columns) as [string, ColumnSpec][]) {
    if (c.noExport || c.class === 'secret' || c.class === 'identifier_index') continue;
    const v = row[name];
    if (!c.sealed) {
      const p = plain(v);
      if (p !== undefined) out[name] = p;
      continue;
    }
    if (c.sealed.as === 'bytes' || c.sealed.aad) continue;
    if (v === null || v === undefined) {
      out[name] = null;
      continue;
    }
    if (!isBytes(v)) continue;
    if (v.length === 0) {
      out[name] = null;
      out[`${name}Purged`] = true; // retention removed the content; the row's metadata stays
      continue;
    }
    const cipher = c.sealed.key === 'app' ? d.cipher : await d.keys.forPatient(db, who.id);
    try {
      const text = cipher.decrypt(v).toString('utf8');
      if (c.sealed.as === 'json') {
        const value: unknown = JSON.parse(text);
        out[name] = value;
        const shown = messageText(value);
        if (shown !== null) out['text'] = shown;
      } else {
        out[name] = text;
      }
    } catch {
      out[name] = null;
      out[`${name}Unreadable`] = true;
    }
  }
  return out;
}

/** The patient's export, or null when there is no such patient (never was, or erased). */
export async function exportPatient(db: DbOrTx, d: ExportDeps, who: Subject, now: Date): Promise<PatientExport | null> {
  const doc: PatientExport = { format: EXPORT_FORMAT, exportedAt: now.toISOString(), patient: {}, sections: {}, notExported: [] };
  let found = false;
  for (const spec of DATA_MAP) {
    const where = patientRows(spec, who, d.cipher);
    if (!where) continue;
    if (!spec.export) {
      doc.notExported.push({ table: spec.table, why: spec.why ?? 'not exported' });
      continue;
    }
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(spec.table)} where ${where} order by 1`.execute(db);
    const rendered: ExportRow[] = [];
    for (const r of rows.rows) rendered.push(await renderRow(db, d, spec, who, r));
    if (spec.relation.kind === 'subject') {
      if (rendered.length === 0) return null;
      found = true;
      doc.patient = rendered[0]!;
    } else {
      doc.sections[spec.export] = rendered;
    }
  }
  return found ? doc : null;
}
