// A patient's conversation state (which flow, where in it): PHI (it quotes answers, dates, symptoms), so it is
// sealed under the patient's data key and goes with it at erasure (crypto-shredding). Written in the same
// transaction as the replies it leads to.
import type { KeyRing } from '../compliance/keys.js';
import type { DbOrTx } from '../db/database.js';

export interface ConversationState {
  flow: string;
  state: unknown;
}

export async function saveConversationState(tx: DbOrTx, keys: KeyRing, patientId: string, s: ConversationState): Promise<void> {
  const sealed = (await keys.forPatient(tx, patientId)).encryptJson(s.state);
  await tx.insertInto('conversation_state')
    .values({ patient_id: patientId, flow: s.flow, state: sealed })
    .onConflict((oc) => oc.column('patient_id').doUpdateSet({ flow: s.flow, state: sealed, updated_at: new Date() }))
    .execute();
}

/** The patient's state, or null when there is none. Rows sealed with ENCRYPTION_KEY (before 0012) still open. */
export async function loadConversationState(db: DbOrTx, keys: KeyRing, patientId: string): Promise<ConversationState | null> {
  const row = await db.selectFrom('conversation_state').select(['flow', 'state']).where('patient_id', '=', patientId).executeTakeFirst();
  if (!row) return null;
  return { flow: row.flow, state: (await keys.forPatient(db, patientId)).decryptJson(row.state) };
}
