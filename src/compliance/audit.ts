// The audit trail: who did what to which patient's data, when and from where (HIPAA 164.312(b)). Append-only
// (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained: each entry's hash covers its content and
// the previous entry's hash, so an entry edited or removed in SQL, even by a superuser who disables the
// trigger, breaks the chain at that entry; `patientline audit-verify` names the first broken link.
//
// Entries are appended inside the caller's transaction, so an action and its record commit together. The
// chain position is taken under a transaction-level advisory lock: appends serialise for the rest of their
// transaction, so record() is best called as a transaction's last statement. Details must be PHI-free:
// ids, codes and counts, never names, phone numbers or message text (erasure leaves the audit log intact).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import type { AuditActorType } from '../db/schema.js';

/** Arbitrary constant: the advisory lock that orders audit appends. */
const CHAIN_LOCK = 7_244_031_912;
const GENESIS = '0'.repeat(64);

export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditActor {
  type: AuditActorType;
  /** A staff user's id, a token's id, a patient's id, or a system component's name. */
  id: string | null;
}

export interface AuditEvent {
  actor: AuditActor;
  /** Dotted, stable: 'auth.login', 'auth.login_failed', 'patient.view', 'patient.export', 'message.in'… */
  action: string;
  patientId?: string | null;
  /** What was acted on besides the patient: 'user:<id>', 'wamid:<id>', 'consent:<id>'. */
  target?: string | null;
  ip?: string | null;
  details?: AuditDetails;
  /** Defaults to now; tests pin it. */
  at?: Date;
}

export const SYSTEM = (component: string): AuditActor => ({ type: 'system', id: component });

export interface AuditEntry {
  id: string;
  at: Date;
  actorType: AuditActorType;
  actorId: string | null;
  action: string;
  patientId: string | null;
  target: string | null;
  ip: string | null;
  details: AuditDetails;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level: jsonb reorders keys, the hash must not depend on it. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const content = canonical({
    id: e.id, at: e.at.toISOString(), actorType: e.actorType, actorId: e.actorId, action: e.action,
    patientId: e.patientId, target: e.target, ip: e.ip, details: e.details, prevHash: e.prevHash,
  });
  return crypto.createHash('sha256').update(content).digest('hex');
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Takes the chain's lock now (it is held to the commit, as recordAudit holds it). For transactions that will
 * audit and also take other locks (a practitioner's booking lock): taking this one first everywhere keeps the
 * order of the two the same in every transaction, so they never deadlock.
 */
export async function holdAuditChain(tx: DbOrTx): Promise<void> {
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(tx);
}

/** Appends events to the chain in the caller's transaction (pass a transaction, not the pool). */
export async function recordAudit(tx: DbOrTx, events: AuditEvent | readonly AuditEvent[]): Promise<void> {
  const list = Array.isArray(events) ? (events as readonly AuditEvent[]) : [events as AuditEvent];
  if (list.length === 0) return;
  for (const e of list) if (!ACTION.test(e.action)) throw new Error(`audit action "${e.action}" is not dotted lower case`);
  // The lock, then the head as it stands once the lock is ours: one round trip (migration 0024).
  const head = await sql<{ id: string; hash: string }>`select id, hash from audit_chain_head(${CHAIN_LOCK})`.execute(tx);
  let prevId = BigInt(head.rows[0]?.id ?? '0');
  let prevHash = head.rows[0]?.hash ?? GENESIS;
  const rows: AuditEntry[] = [];
  for (const e of list) {
    prevId += 1n;
    // Millisecond precision: what JavaScript can read back exactly, so verification recomputes the same hash.
    const at = new Date(Math.floor((e.at ?? new Date()).getTime()));
    const entry: Omit<AuditEntry, 'hash'> = {
      id: prevId.toString(), at, actorType: e.actor.type, actorId: e.actor.id, action: e.action,
      patientId: e.patientId ?? null, target: e.target ?? null, ip: e.ip ?? null, details: e.details ?? {}, prevHash,
    };
    const hash = entryHash(entry);
    rows.push({ ...entry, hash });
    prevHash = hash;
  }
  await tx.insertInto('audit_log').values(rows.map((r) => ({
    id: r.id, at: r.at, actor_type: r.actorType, actor_id: r.actorId, action: r.action, patient_id: r.patientId,
    target: r.target, ip: r.ip, details: JSON.stringify(r.details), prev_hash: r.prevHash, hash: r.hash,
  }))).execute();
}

interface AuditRow {
  id: string;
  at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  patient_id: string | null;
  target: string | null;
  ip: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
}

function toEntry(r: AuditRow): AuditEntry {
  const details = typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details;
  return {
    id: r.id, at: new Date(r.at), actorType: r.actor_type, actorId: r.actor_id, action: r.action, patientId: r.patient_id,
    target: r.target, ip: r.ip, details: details && typeof details === 'object' ? (details as AuditDetails) : {}, prevHash: r.prev_hash, hash: r.hash,
  };
}

export interface AuditFilter {
  actorId?: string | undefined;
  patientId?: string | undefined;
  action?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Entries with an id below this one (newest first paging). */
  before?: string | undefined;
  limit: number;
}

/** Newest first. */
export async function listAudit(db: DbOrTx, f: AuditFilter): Promise<AuditEntry[]> {
  let q = db.selectFrom('audit_log').select([
    sql<string>`id::text`.as('id'), 'at', 'actor_type', 'actor_id', 'action', 'patient_id', 'target', 'ip', 'details', 'prev_hash', 'hash',
  ]);
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.patientId) q = q.where('patient_id', '=', f.patientId);
  if (f.action) q = q.where((eb) => eb.or([eb('action', '=', f.action!), eb('action', 'like', `${f.action!.replace(/[%_\\]/g, '\\$&')}.%`)]));
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.before) q = q.where(sql`audit_log.id`, '<', sql`${f.before}::bigint`);
  const rows = await q.orderBy(sql`audit_log.id`, 'desc').limit(f.limit).execute();
  return rows.map((r) => toEntry(r as AuditRow));
}

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: string; reason: 'hash_mismatch' | 'chain_mismatch' | 'gap' };

/** Walks the whole chain in order, in pages; reports the first entry whose hash or link does not hold. */
export async function verifyAudit(db: Db, pageSize = 2_000): Promise<VerifyResult> {
  let prevId = 0n;
  let prevHash = GENESIS;
  let entries = 0;
  for (;;) {
    const r = await sql<AuditRow>`select id::text as id, at, actor_type, actor_id, action, patient_id, target, ip, details, prev_hash, hash
      from audit_log where audit_log.id > ${prevId.toString()}::bigint order by audit_log.id limit ${pageSize}`.execute(db);
    if (r.rows.length === 0) return { ok: true, entries, head: prevHash };
    for (const row of r.rows) {
      const e = toEntry(row);
      const id = BigInt(e.id);
      if (id !== prevId + 1n) return { ok: false, entries, brokenAt: (prevId + 1n).toString(), reason: 'gap' };
      if (e.prevHash !== prevHash) return { ok: false, entries, brokenAt: e.id, reason: 'chain_mismatch' };
      const { hash, ...rest } = e;
      if (entryHash(rest) !== hash) return { ok: false, entries, brokenAt: e.id, reason: 'hash_mismatch' };
      prevId = id;
      prevHash = hash;
      entries += 1;
    }
  }
}
