// Human handoffs and staff alerts (0013): what the engine needs to open one, tell whether one is active and
// raise an alert. The inbox (listing, assigning, replying, notes, closing) builds on these.
import type { DbOrTx } from '../db/database.js';
import type { HandoffPriority, HandoffReason, StaffAlertKind } from '../db/schema.js';
import type { HandoffView } from './flow.js';

const RANK: Record<HandoffPriority, number> = { normal: 0, high: 1, emergency: 2 };

/** The patient's handoff that is not closed, or null. */
export async function activeHandoff(db: DbOrTx, patientId: string): Promise<HandoffView | null> {
  const row = await db.selectFrom('handoffs').select(['id', 'state', 'priority']).where('patient_id', '=', patientId).where('state', '<>', 'closed').executeTakeFirst();
  if (!row || row.state === 'closed') return null;
  return { id: row.id, state: row.state, priority: row.priority };
}

/**
 * Opens a handoff, or, when one is active, raises its priority to `priority` if that is higher (an emergency
 * during a routine handoff goes to the top of the inbox). Returns the active handoff. `current` is the active
 * handoff when the caller has just read it in this transaction (the inbound worker: one read per message, not
 * two); omitted, it is read here.
 */
export async function openHandoff(tx: DbOrTx, o: { patientId: string; reason: HandoffReason; priority: HandoffPriority; now: Date; current?: HandoffView | null }): Promise<HandoffView & { created: boolean }> {
  const current = o.current !== undefined ? o.current : await activeHandoff(tx, o.patientId);
  if (current) {
    if (RANK[o.priority] > RANK[current.priority]) {
      await tx.updateTable('handoffs').set({ priority: o.priority, last_patient_message_at: o.now }).where('id', '=', current.id).execute();
      return { ...current, priority: o.priority, created: false };
    }
    return { ...current, created: false };
  }
  const row = await tx.insertInto('handoffs')
    .values({ patient_id: o.patientId, reason: o.reason, priority: o.priority, opened_at: o.now, last_patient_message_at: o.now })
    .returning(['id', 'priority'])
    .executeTakeFirstOrThrow();
  return { id: row.id, state: 'open', priority: row.priority, created: true };
}

/** Records that the patient wrote during a handoff (the inbox sorts by it). */
export async function touchHandoff(tx: DbOrTx, handoffId: string, now: Date): Promise<void> {
  await tx.updateTable('handoffs').set({ last_patient_message_at: now }).where('id', '=', handoffId).execute();
}

/** Closes the handoff: the bot answers the patient's next message again. */
export async function closeHandoff(tx: DbOrTx, o: { handoffId: string; by: string | null; now: Date }): Promise<boolean> {
  const r = await tx.updateTable('handoffs').set({ state: 'closed', closed_at: o.now, closed_by: o.by }).where('id', '=', o.handoffId).where('state', '<>', 'closed').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** An alert for staff (codes are PHI-free: red-flag kinds, a survey score band). */
export async function raiseAlert(tx: DbOrTx, o: { kind: StaffAlertKind; patientId: string | null; handoffId?: string | null; codes: readonly string[]; now: Date }): Promise<number> {
  const row = await tx.insertInto('staff_alerts')
    .values({ kind: o.kind, patient_id: o.patientId, handoff_id: o.handoffId ?? null, codes: [...o.codes], created_at: o.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
