// Consent per purpose and opt-out. Purposes: care (replies, appointment reminders), sensitive (results,
// prescriptions), surveys, campaigns. Each expression of the patient's will is an event in consent_events
// (append-only: text version, language, channel, who recorded it, what caused it, when); the current state
// (patient_consents per purpose, patients.opted_out_at for STOP) is written in the same transaction, so the
// sender's send-time check is one join. A patient withdraws one purpose without touching the others; STOP
// (purpose 'all') suppresses every business-initiated message until an explicit START, and leaves the
// per-purpose choices as they were. Every change is audited in the same transaction.
import { sql } from 'kysely';
import type { DbOrTx, Tx } from '../db/database.js';
import type { ConsentChannel, ConsentPurpose } from '../db/schema.js';
import { recordAudit, type AuditActor } from './audit.js';

export const CONSENT_PURPOSES = ['care', 'sensitive', 'surveys', 'campaigns'] as const satisfies readonly ConsentPurpose[];
export const CONSENT_CHANNELS = ['whatsapp', 'desk', 'api', 'system'] as const satisfies readonly ConsentChannel[];
export type { ConsentChannel, ConsentPurpose };

/** One expression of the patient's will, as kept in the history. */
export interface ConsentEvent {
  id: string;
  patientId: string;
  /** A purpose, or 'all': the opt-out (granted false, STOP) and the explicit opt-in (granted true, START). */
  purpose: ConsentPurpose | 'all';
  granted: boolean;
  textVersion: string | null;
  language: string | null;
  channel: ConsentChannel;
  /** The staff user who recorded it (desk), else null. */
  recordedBy: string | null;
  /** What caused it: 'keyword:STOP', 'meta:131050', 'desk', 'api'. PHI-free. */
  source: string | null;
  at: Date;
}

/** What recording one takes: the event without its id, and who the audit entry names. */
export interface ConsentInput extends Omit<ConsentEvent, 'id'> {
  actor: AuditActor;
  ip?: string | null;
}

export class UnknownPatientError extends Error {
  readonly code = 'not_found';
  constructor() {
    super('no such patient');
  }
}

function auditAction(purpose: ConsentPurpose | 'all', granted: boolean): string {
  if (purpose === 'all') return granted ? 'consent.opt_in' : 'consent.opt_out';
  return granted ? 'consent.grant' : 'consent.withdraw';
}

/** Records one consent event and the current state it implies, in the caller's transaction; audited. */
export async function recordConsent(tx: Tx, c: ConsentInput): Promise<ConsentEvent> {
  // Locks the patient row: two events of one patient apply in commit order, and the state follows the last.
  const patient = await tx.selectFrom('patients').select('id').where('id', '=', c.patientId).forUpdate().executeTakeFirst();
  if (!patient) throw new UnknownPatientError();
  const row = await tx.insertInto('consent_events')
    .values({
      patient_id: c.patientId, purpose: c.purpose, granted: c.granted, text_version: c.textVersion, language: c.language,
      channel: c.channel, recorded_by: c.recordedBy, source: c.source, at: c.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (c.purpose === 'all') {
    await tx.updateTable('patients')
      .set({ opted_out_at: c.granted ? null : sql`coalesce(opted_out_at, ${c.at}::timestamptz)` })
      .where('id', '=', c.patientId)
      .execute();
  } else {
    await tx.insertInto('patient_consents')
      .values({ patient_id: c.patientId, purpose: c.purpose, granted: c.granted, channel: c.channel, at: c.at, event_id: row.id })
      .onConflict((oc) => oc.columns(['patient_id', 'purpose']).doUpdateSet({ granted: c.granted, channel: c.channel, at: c.at, event_id: row.id }))
      .execute();
  }
  await recordAudit(tx, {
    actor: c.actor, action: auditAction(c.purpose, c.granted), patientId: c.patientId, target: `consent:${row.id}`,
    ip: c.ip ?? null, details: { purpose: c.purpose, channel: c.channel }, at: c.at,
  });
  return toEvent(row);
}

type EventRow = {
  id: number; patient_id: string; purpose: ConsentPurpose | 'all'; granted: boolean; text_version: string | null; language: string | null;
  channel: ConsentChannel; recorded_by: string | null; source: string | null; at: Date;
};

function toEvent(r: EventRow): ConsentEvent {
  return {
    id: String(r.id), patientId: r.patient_id, purpose: r.purpose, granted: r.granted, textVersion: r.text_version, language: r.language,
    channel: r.channel, recordedBy: r.recorded_by, source: r.source, at: new Date(r.at),
  };
}

export interface PurposeState {
  granted: boolean;
  at: Date;
  channel: ConsentChannel;
}

export type CurrentConsents = Record<ConsentPurpose, PurposeState | null> & { optedOut: boolean; optedOutAt: Date | null };

/** The current state per purpose (null: never expressed) and the opt-out. */
export async function currentConsents(db: DbOrTx, patientId: string): Promise<CurrentConsents> {
  const [patient, rows] = await Promise.all([
    db.selectFrom('patients').select('opted_out_at').where('id', '=', patientId).executeTakeFirst(),
    db.selectFrom('patient_consents').select(['purpose', 'granted', 'at', 'channel']).where('patient_id', '=', patientId).execute(),
  ]);
  if (!patient) throw new UnknownPatientError();
  const state = (p: ConsentPurpose): PurposeState | null => {
    const r = rows.find((x) => x.purpose === p);
    return r ? { granted: r.granted, at: new Date(r.at), channel: r.channel } : null;
  };
  return {
    care: state('care'), sensitive: state('sensitive'), surveys: state('surveys'), campaigns: state('campaigns'),
    optedOut: patient.opted_out_at !== null, optedOutAt: patient.opted_out_at ? new Date(patient.opted_out_at) : null,
  };
}

/** The patient's consent history, newest first; `before` is the id the previous page ended at. */
export async function consentHistory(db: DbOrTx, patientId: string, page: { before?: string | undefined; limit: number }): Promise<ConsentEvent[]> {
  let q = db.selectFrom('consent_events').selectAll().where('patient_id', '=', patientId);
  if (page.before !== undefined) q = q.where('id', '<', Number(page.before));
  const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
  return rows.map(toEvent);
}

/**
 * Meta's error 131050 (the user stopped marketing messages), from a send or a failed status: campaigns are
 * withdrawn at once (unless they already are) and the patients' pending campaign rows are cancelled.
 */
export async function recordMarketingStop(tx: Tx, patientIds: readonly string[], at: Date): Promise<number> {
  const ids = [...new Set(patientIds)];
  if (ids.length === 0) return 0;
  // Row locks before the audit chain's lock (recordConsent), as the sender's claim takes them: no deadlock.
  await tx.updateTable('outbox').set({ state: 'cancelled', error_title: 'consent withdrawn' })
    .where('patient_id', 'in', ids).where('purpose', '=', 'campaigns').where('state', '=', 'pending').execute();
  const withdrawn = await tx.selectFrom('patient_consents').select('patient_id')
    .where('patient_id', 'in', ids).where('purpose', '=', 'campaigns').where('granted', '=', false).execute();
  const already = new Set(withdrawn.map((r) => r.patient_id));
  const existing = await tx.selectFrom('patients').select('id').where('id', 'in', ids).orderBy('id').execute();
  let recorded = 0;
  for (const { id } of existing) {
    if (already.has(id)) continue;
    await recordConsent(tx, {
      patientId: id, purpose: 'campaigns', granted: false, textVersion: null, language: null, channel: 'system', recordedBy: null,
      source: 'meta:131050', actor: { type: 'system', id: 'whatsapp' }, at,
    });
    recorded++;
  }
  return recorded;
}

/** For the sender's claim: the SQL condition under which a row aliased `o` (patient `pt`) must not be sent. */
export const refusedCondition = (outbox: string, patient: string) => sql<boolean>`(${sql.ref(`${outbox}.purpose`)} <> 'reply' and (
  ${sql.ref(`${patient}.opted_out_at`)} is not null
  or exists (select 1 from patient_consents pc where pc.patient_id = ${sql.ref(`${outbox}.patient_id`)} and pc.purpose = ${sql.ref(`${outbox}.purpose`)} and not pc.granted)))`;
