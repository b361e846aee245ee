// The audit trail: who did what to which patient's data, when and from where (HIPAA 164.312(b)). Append-only
// (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained: each entry's hash covers its content and
// the previous entry's hash, so an entry edited or removed in SQL, even by a superuser who disables the
// trigger, breaks the chain at that entry; `patientline audit-verify` names the first broken link.
//
// Entries are appended inside the caller's transaction, so an action and its record commit together. There are
// AUDIT_CHAINS chains (migration 0025), each with its own advisory lock and gapless sequence: a transaction
// appends to one of them, picked from its first entry's patient (else its actor), and keeps it for the rest of
// the transaction, so it holds one chain lock at most and two transactions never wait for each other's chains.
// An append is one statement (migration 0027): this module hashes each entry's content, the database takes the
// chain's lock, reads its head and links the entries (hash = sha256(prev_hash ':' id ':' content hash)).
// Entries written before 0027 were hashed here whole, link included (hash_version 1); verification checks each
// entry by its own scheme.
// The lock is held to the commit, so record() is best called as a transaction's last statement; with one chain
// every message's processing and every send's settle queued behind each other's commit (issue 11). Details
// must be PHI-free: ids, codes and counts, never names, phone numbers or message text (erasure leaves the
// audit log intact).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import type { AuditActorType } from '../db/schema.js';

/** Arbitrary constant: chain c's appends are ordered by the advisory lock CHAIN_LOCK + c. */
const CHAIN_LOCK = 7_244_031_912;
/** Chains appended to in parallel. Changing it later is safe: verification walks whatever chains exist. */
export const AUDIT_CHAINS = 16;
const GENESIS = '0'.repeat(64);

/** The chain each open transaction appends to, once it has picked one (by the transaction object). */
const chainOfTx = new WeakMap<object, number>();

/** The chain a transaction keyed by this patient (or actor) appends to. */
export function auditChainFor(key: string): number {
  return crypto.createHash('sha256').update(key).digest().readUInt32BE(0) % AUDIT_CHAINS;
}

/** The transaction's chain: the one it already holds, else the one its key (a patient, an actor) maps to. */
function pickChain(tx: DbOrTx, key: string | null | undefined): number {
  const held = chainOfTx.get(tx);
  if (held !== undefined) return held;
  const chain = key ? auditChainFor(key) : crypto.randomInt(AUDIT_CHAINS);
  chainOfTx.set(tx, chain);
  return chain;
}

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
  /** The chain and the position in it (0025). Not hashed: moving or renumbering an entry breaks its links. */
  chain: number;
  seq: string;
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

/** Hash version 2 (0027): the hash of what the entry says, without its id or its link... */
export function contentHash(e: Omit<AuditEntry, 'hash' | 'chain' | 'seq' | 'id' | 'prevHash'>): string {
  const content = canonical({
    at: e.at.toISOString(), actorType: e.actorType, actorId: e.actorId, action: e.action,
    patientId: e.patientId, target: e.target, ip: e.ip, details: e.details,
  });
  return crypto.createHash('sha256').update(content).digest('hex');
}

/** ...and the entry's hash, which the database computes as the entries are linked (audit_append, 0027). */
export function linkedHash(prevHash: string, id: string, content: string): string {
  return crypto.createHash('sha256').update(`${prevHash}:${id}:${content}`, 'utf8').digest('hex');
}

/** Hash version 1 (entries written before 0027): content, id and link hashed together here. */
export function entryHash(e: Omit<AuditEntry, 'hash' | 'chain' | 'seq'>): string {
  const content = canonical({
    id: e.id, at: e.at.toISOString(), actorType: e.actorType, actorId: e.actorId, action: e.action,
    patientId: e.patientId, target: e.target, ip: e.ip, details: e.details, prevHash: e.prevHash,
  });
  return crypto.createHash('sha256').update(content).digest('hex');
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * Takes the transaction's chain lock now, picked for this patient (it is held to the commit, as recordAudit
 * holds it, and recordAudit then appends to the same chain). For transactions that will audit and also take
 * other locks (a practitioner's booking lock): taking this one first everywhere keeps the order of the two the
 * same in every transaction, so they never deadlock.
 */
export async function holdAuditChain(tx: DbOrTx, patientId?: string | null): Promise<void> {
  // Without a patient (not known yet) a chain at random: recordAudit keeps to it for this transaction.
  const chain = pickChain(tx, patientId);
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK + chain})`.execute(tx);
}

/** Appends events to the chain in the caller's transaction (pass a transaction, not the pool). */
export async function recordAudit(tx: DbOrTx, events: AuditEvent | readonly AuditEvent[]): Promise<void> {
  const list = Array.isArray(events) ? (events as readonly AuditEvent[]) : [events as AuditEvent];
  if (list.length === 0) return;
  // Outside a transaction the chain's lock would be gone before the insert: two appends could fork it.
  if (!tx.isTransaction) throw new Error('recordAudit appends inside a transaction: pass the transaction, not the pool');
  for (const e of list) if (!ACTION.test(e.action)) throw new Error(`audit action "${e.action}" is not dotted lower case`);
  const first = list[0]!;
  const chain = pickChain(tx, first.patientId ?? (first.actor.id ? `${first.actor.type}:${first.actor.id}` : null));
  const entries = list.map((e) => {
    // Millisecond precision: what JavaScript can read back exactly, so verification recomputes the same hash.
    const at = new Date(Math.floor((e.at ?? new Date()).getTime()));
    const content = { at, actorType: e.actor.type, actorId: e.actor.id, action: e.action, patientId: e.patientId ?? null, target: e.target ?? null, ip: e.ip ?? null, details: e.details ?? {} };
    return {
      content_hash: contentHash(content), at: at.toISOString(), actor_type: content.actorType, actor_id: content.actorId, action: content.action,
      patient_id: content.patientId, target: content.target, ip: content.ip, details: content.details,
    };
  });
  // The chain's lock, its head once the lock is ours, the ids and the links: one round trip (migration 0027).
  // Re-taking a lock this transaction holds returns at once.
  await sql`select audit_append(${CHAIN_LOCK}, ${chain}::smallint, ${JSON.stringify(entries)}::jsonb)`.execute(tx);
}

interface AuditRow {
  id: string;
  chain: number;
  seq: string;
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
  hash_version?: number;
}

function toEntry(r: AuditRow): AuditEntry {
  const details = typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details;
  return {
    id: r.id, chain: Number(r.chain), seq: String(r.seq), at: new Date(r.at), actorType: r.actor_type, actorId: r.actor_id, action: r.action, patientId: r.patient_id,
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
    sql<string>`id::text`.as('id'), 'chain', sql<string>`seq::text`.as('seq'), 'at', 'actor_type', 'actor_id', 'action', 'patient_id', 'target', 'ip', 'details', 'prev_hash', 'hash',
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
  | { ok: true; entries: number; chains: number; head: string }
  | { ok: false; entries: number; chain: number; brokenAt: string; reason: 'hash_mismatch' | 'chain_mismatch' | 'gap' };

/**
 * Walks every chain in order, in pages; reports the first entry whose hash or link does not hold (for a gap,
 * the entry found where the missing one should be). `head` digests the chains' heads in chain order: the
 * value to write down elsewhere, so that a later run can show the trail was not cut short.
 */
export async function verifyAudit(db: Db, pageSize = 2_000): Promise<VerifyResult> {
  let chain = -1;
  let seq = 0n;
  let prevHash = GENESIS;
  let entries = 0;
  const heads: string[] = [];
  for (;;) {
    const r = await sql<AuditRow>`select a.id::text as id, a.chain, a.seq::text as seq, a.at, a.actor_type, a.actor_id, a.action, a.patient_id, a.target, a.ip, a.details, a.prev_hash, a.hash, a.hash_version
      from audit_log a where (a.chain, a.seq) > (${chain}::smallint, ${seq.toString()}::bigint) order by a.chain, a.seq limit ${pageSize}`.execute(db);
    if (r.rows.length === 0) {
      if (chain >= 0) heads.push(`${chain}:${prevHash}`);
      return { ok: true, entries, chains: heads.length, head: crypto.createHash('sha256').update(heads.join('\n')).digest('hex') };
    }
    for (const row of r.rows) {
      const e = toEntry(row);
      if (e.chain !== chain) {
        if (chain >= 0) heads.push(`${chain}:${prevHash}`);
        chain = e.chain;
        seq = 0n;
        prevHash = GENESIS;
      }
      const s = BigInt(e.seq);
      if (s !== seq + 1n) return { ok: false, entries, chain, brokenAt: e.id, reason: 'gap' };
      if (e.prevHash !== prevHash) return { ok: false, entries, chain, brokenAt: e.id, reason: 'chain_mismatch' };
      const { hash, chain: _c, seq: _s, ...rest } = e;
      const expected = Number(row.hash_version ?? 1) === 2 ? linkedHash(rest.prevHash, rest.id, contentHash(rest)) : entryHash(rest);
      if (expected !== hash) return { ok: false, entries, chain, brokenAt: e.id, reason: 'hash_mismatch' };
      seq = s;
      prevHash = hash;
      entries += 1;
    }
  }
}
