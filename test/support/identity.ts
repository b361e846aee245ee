// Phones and BSUIDs are stored only as blind indexes and sealed copies (migration 0012): what tests use to
// find rows of a patient they know by phone or BSUID, and to open payloads sealed under a patient's key.
import type { ExpressionBuilder } from 'kysely';
import { bsuidIndex, phoneIndex, type BlindIndex, type Crypt } from '../../src/compliance/identifiers.js';
import type { DbOrTx } from '../../src/db/database.js';
import type { DB } from '../../src/db/schema.js';

export interface Who {
  phone?: string;
  bsuid?: string;
}

/** `where(ofPatient(cipher, { phone }))` on a table with patient_id: the rows of the patient with that identity. */
export function ofPatient(index: BlindIndex, who: Who) {
  return (eb: ExpressionBuilder<DB, 'outbox' | 'inbound_messages'>) =>
    eb('patient_id', 'in', eb.selectFrom('patients as pt').select('pt.id').where((p) => p.or([
      ...(who.phone ? [p('pt.wa_id_index', '=', phoneIndex(index, who.phone)), p('pt.wa_id', '=', who.phone)] : []),
      ...(who.bsuid ? [p('pt.bsuid_index', '=', bsuidIndex(index, who.bsuid)), p('pt.bsuid', '=', who.bsuid)] : []),
    ])));
}

/** inbound_messages.sender_key of a sender known by phone ('p:') or BSUID ('u:'). */
export function senderKeyOf(index: BlindIndex, who: Who): string {
  if (who.bsuid) return `u:${bsuidIndex(index, who.bsuid)}`;
  if (who.phone) return `p:${phoneIndex(index, who.phone)}`;
  throw new Error('a sender needs a phone or a BSUID');
}

/** An inbound payload: under ENCRYPTION_KEY while pending, under the patient's key once processed. */
export async function openInbound(db: DbOrTx, crypt: Crypt, row: { payload: Uint8Array; patient_id: string | null }): Promise<unknown> {
  const c = row.patient_id ? await crypt.keys.forPatient(db, row.patient_id) : crypt.cipher;
  return c.decryptJson(row.payload);
}
