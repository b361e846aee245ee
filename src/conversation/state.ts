// A patient's conversation state (which flow, where in it): PHI (it quotes answers, dates, symptoms), so it is
// sealed under the patient's data key and goes with it at erasure (crypto-shredding). Written in the same
// transaction as the replies it leads to.
import { z } from 'zod';
import type { KeyRing } from '../compliance/keys.js';
import type { DbOrTx } from '../db/database.js';
import { NEW_SESSION, type Session } from './engine.js';

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

// The engine's session (src/conversation/engine.ts) in the same row: `flow` ('router' when none is active),
// `version` the flow's version, and sealed the flow's state with the router's own counters.
const ROUTER = 'router';
const sealedSession = z.object({ state: z.unknown(), misses: z.number().int().min(0).default(0), noticeUntil: z.string().nullable().default(null) });

export async function loadSession(db: DbOrTx, keys: KeyRing, patientId: string): Promise<Session> {
  const row = await db.selectFrom('conversation_state').select(['flow', 'state', 'version']).where('patient_id', '=', patientId).executeTakeFirst();
  if (!row) return { ...NEW_SESSION };
  const opened: unknown = (await keys.forPatient(db, patientId)).decryptJson(row.state);
  const parsed = sealedSession.safeParse(opened);
  // A row in the older shape (a flow's state alone) is that flow's state.
  const s = parsed.success ? parsed.data : { state: opened, misses: 0, noticeUntil: null };
  const flow = row.flow === ROUTER ? null : row.flow;
  return { flow, state: flow === null ? null : (s.state ?? null), flowVersion: row.version, misses: s.misses, noticeUntil: s.noticeUntil };
}

export async function saveSession(tx: DbOrTx, keys: KeyRing, patientId: string, s: Session): Promise<void> {
  const sealed = (await keys.forPatient(tx, patientId)).encryptJson({ state: s.state ?? null, misses: s.misses, noticeUntil: s.noticeUntil });
  const flow = s.flow ?? ROUTER;
  const version = Math.max(1, s.flowVersion);
  await tx.insertInto('conversation_state')
    .values({ patient_id: patientId, flow, state: sealed, version })
    .onConflict((oc) => oc.column('patient_id').doUpdateSet({ flow, state: sealed, version, updated_at: new Date() }))
    .execute();
}
