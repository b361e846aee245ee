// Retention of message content: what the data map gives a retention rule, older than RETENTION_MESSAGE_DAYS,
// is purged — the content of inbound messages and outbox rows (the row and its metadata stay: statuses,
// times, ids), media bytes and chunks, conversation state, status events, webhook dead letters and other
// events. Only settled rows (a message handled, a send settled): never one still in flight. In batches, each
// its own short transaction, so a run never holds locks on intake's tables for long and a crash loses nothing
// (the next run goes on). The audit trail records each run (retention.purge, with counts per table).
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { recordAudit, SYSTEM } from './audit.js';
import { DATA_MAP, tableSpec, type Retention, type TableSpec } from './data-map.js';
import { purgedValue } from './data-map-sql.js';

export interface PurgeResult {
  cutoff: Date;
  counts: Record<string, number>;
}

const BATCH = 1000;

function conditions(table: string, r: Retention, cutoff: Date): RawBuilder<boolean>[] {
  const c: RawBuilder<boolean>[] = [sql<boolean>`${sql.ref(`${table}.${r.age}`)} < ${cutoff.toISOString()}::timestamptz`];
  if (r.onlyWhen) c.push(sql<boolean>`${sql.ref(`${table}.${r.onlyWhen.column}`)} in (${sql.join(r.onlyWhen.in.map((v) => sql`${v}`))})`);
  return c;
}

/** The rows of `spec` past the cutoff that this rule still has to purge. */
function expired(spec: TableSpec, r: Retention, cutoff: Date): RawBuilder<boolean> {
  if (r.via) {
    const parent = tableSpec(r.via.table);
    const pr = parent.retention;
    // The parent's own conditions (settled rows only) apply to its children too.
    const parentConds = conditions(parent.table, { ...(pr ?? {}), age: r.age, action: { delete: true } }, cutoff);
    return sql<boolean>`${sql.ref(`${spec.table}.${r.via.column}`)} in (select ${sql.ref(`${parent.table}.${r.via.key}`)} from ${sql.table(parent.table)} where ${sql.join(parentConds, sql` and `)})`;
  }
  const c = conditions(spec.table, r, cutoff);
  if (r.unlessPurged) c.push(sql<boolean>`${sql.ref(`${spec.table}.${r.unlessPurged.column}`)} is distinct from ${purgedValue(r.unlessPurged.value)}`);
  return sql<boolean>`${sql.join(c, sql` and `)}`;
}

/** Purges what is past the period at `now`; returns what it purged. */
export async function purgeExpired(db: Db, o: { now: Date; messageDays: number }): Promise<PurgeResult> {
  const cutoff = new Date(o.now.getTime() - o.messageDays * 86_400_000);
  const counts: Record<string, number> = {};
  // Children found through a parent (media chunks) go first: their rule reads the parent's row.
  const rules = DATA_MAP.filter((s) => s.retention).sort((a, b) => Number(Boolean(b.retention!.via)) - Number(Boolean(a.retention!.via)));
  for (const spec of rules) {
    const r = spec.retention!;
    const where = expired(spec, r, cutoff);
    let n = 0;
    for (;;) {
      const batch = sql`select ctid from ${sql.table(spec.table)} where ${where} limit ${BATCH}`;
      const res = 'set' in r.action
        ? await sql`update ${sql.table(spec.table)} set ${sql.join(Object.entries(r.action.set).map(([col, v]) => sql`${sql.ref(col)} = ${purgedValue(v)}`))}
            where ctid = any(array(${batch}))`.execute(db)
        : await sql`delete from ${sql.table(spec.table)} where ctid = any(array(${batch}))`.execute(db);
      const k = Number(res.numAffectedRows ?? 0n);
      n += k;
      if (k < BATCH) break;
    }
    counts[spec.table] = n;
  }
  await db.transaction().execute((tx) => recordAudit(tx, {
    actor: SYSTEM('retention'), action: 'retention.purge', at: o.now,
    details: { cutoff: cutoff.toISOString(), messageDays: o.messageDays, ...counts },
  }));
  return { cutoff, counts };
}
