// The data map's SQL: which rows of a table are a patient's, and the values retention writes. Table and
// column names come from DATA_MAP (constants), quoted with sql.table / sql.ref; values are bound.
import { sql, type RawBuilder } from 'kysely';
import type { Cipher } from './crypto.js';
import { bsuidIndex, phoneIndex } from './identifiers.js';
import { DATA_MAP, tableSpec, type ColumnSpec, type PurgedValue, type TableSpec } from './data-map.js';

/** The patient an export or erasure is about, with the identifiers rows stored before linking carry. */
export interface Subject {
  id: string;
  phone: string | null;
  bsuid: string | null;
}

/**
 * The values an identifier column holds for this patient: clear columns (before 0012) the identifier itself,
 * blind-index columns its keyed hash in the form the writer used (compliance/identifiers.ts).
 */
export function identifierValues(spec: ColumnSpec, who: Subject, cipher: Pick<Cipher, 'blindIndex'>): string[] {
  const phone = spec.identifier !== 'bsuid' ? who.phone : null;
  const bsuid = spec.identifier !== 'phone' ? who.bsuid : null;
  if (spec.class === 'identifier_clear') return [phone, bsuid].filter((v): v is string => Boolean(v));
  if (spec.class !== 'identifier_index') return [];
  const out: string[] = [];
  if (phone) out.push(spec.senderKey ? `p:${phoneIndex(cipher, phone)}` : phoneIndex(cipher, phone));
  if (bsuid) out.push(spec.senderKey ? `u:${bsuidIndex(cipher, bsuid)}` : bsuidIndex(cipher, bsuid));
  return out;
}

/** The condition selecting `who`'s rows of a table, or null when the table's rows cannot be joined to a patient. */
export function patientRows(spec: TableSpec, who: Subject, cipher: Pick<Cipher, 'blindIndex'>): RawBuilder<boolean> | null {
  const r = spec.relation;
  if (r.kind === 'subject') return sql<boolean>`${sql.ref(`${spec.table}.id`)} = ${who.id}::uuid`;
  if (r.kind !== 'patient') return null;
  const any: RawBuilder<boolean>[] = [];
  if (r.column) any.push(sql<boolean>`${sql.ref(`${spec.table}.${r.column}`)} = ${who.id}::uuid`);
  if (r.byIdentifier) {
    for (const [name, c] of Object.entries(spec.columns)) {
      if (!c.identifier) continue;
      for (const v of identifierValues(c, who, cipher)) any.push(sql<boolean>`${sql.ref(`${spec.table}.${name}`)} = ${v}`);
    }
  }
  if (r.via) {
    const parent = tableSpec(r.via.table);
    const inner = patientRows(parent, who, cipher);
    if (inner) any.push(sql<boolean>`${sql.ref(`${spec.table}.${r.via.column}`)} in (select ${sql.ref(`${parent.table}.${r.via.key}`)} from ${sql.table(parent.table)} where ${inner} and ${sql.ref(`${parent.table}.${r.via.key}`)} is not null)`);
  }
  if (any.length === 0) return null;
  return sql<boolean>`(${sql.join(any, sql` or `)})`;
}

export function purgedValue(v: PurgedValue): RawBuilder<unknown> {
  if (v === null) return sql`null`;
  if (v === 'empty_bytes') return sql`'\\x'::bytea`;
  return sql`${v}`;
}

/**
 * Tables in the order an erasure visits them: a table whose rows are found through another's (`via`) before
 * that other, the patients row last (after its data key is shredded).
 */
export function erasureOrder(): TableSpec[] {
  const out: TableSpec[] = [];
  const seen = new Set<string>();
  const visit = (t: TableSpec) => {
    if (seen.has(t.table)) return;
    seen.add(t.table);
    for (const d of DATA_MAP) if (d.relation.kind === 'patient' && d.relation.via?.table === t.table) visit(d);
    out.push(t);
  };
  // Dependents are pushed before the table they depend on, so reverse-walk parents: visit each, then sort.
  for (const t of DATA_MAP) if (t.relation.kind !== 'subject' && t.erase.action !== 'shred') visit(t);
  const rank = (t: TableSpec) => (t.erase.action === 'shred' ? 1 : t.relation.kind === 'subject' ? 2 : 0);
  const rest = DATA_MAP.filter((t) => !seen.has(t.table));
  return [...out, ...rest].sort((a, b) => rank(a) - rank(b));
}
