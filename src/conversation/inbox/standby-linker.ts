// Links standby items (src/whatsapp/standby.ts) to their patient and re-seals them under the patient's key,
// so erasure's crypto-shredding covers them and the thread shows them. A message the patient wrote while
// another app held the conversation finds or creates the patient (and opens the 24-hour window, as Meta
// counts it); an echo or a status of the other app's messages links to a patient only if one exists (the
// thread also finds an unlinked row by the patient's blind index). Nothing here answers the patient.
import type { Logger } from 'pino';
import type { Cipher } from '../../compliance/crypto.js';
import type { KeyRing } from '../../compliance/keys.js';
import type { Db } from '../../db/database.js';
import type { Clock } from '../../lib/clock.js';
import { touchPatient } from '../../patients/index.js';
import { parseContact } from '../../whatsapp/inbound-model.js';

export interface LinkerDeps {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  log: Logger;
}

const BATCH = 50;

function field(v: unknown, name: string): string | null {
  if (!v || typeof v !== 'object' || !(name in v)) return null;
  const x: unknown = Object.getOwnPropertyDescriptor(v, name)?.value;
  return typeof x === 'string' && x.length > 0 ? x : null;
}

/** Links up to BATCH rows; returns how many it looked at (0: idle). */
export async function linkStandby(d: LinkerDeps): Promise<number> {
  return d.db.transaction().execute(async (tx) => {
    const rows = await tx.selectFrom('standby_events').select(['id', 'item', 'wa_id_index', 'bsuid_index', 'payload', 'occurred_at', 'received_at'])
      .where('linked_at', 'is', null).orderBy('id').limit(BATCH).forUpdate().skipLocked().execute();
    for (const r of rows) {
      const now = d.clock.now();
      let patientId: string | null = null;
      let plain: Buffer | null = null;
      try {
        plain = d.cipher.decrypt(r.payload);
      } catch {
        plain = null;
      }
      if (r.item === 'message' && plain) {
        const stored: unknown = JSON.parse(plain.toString('utf8'));
        const item: unknown = stored && typeof stored === 'object' && 'item' in stored ? stored.item : null;
        const contacts: unknown = stored && typeof stored === 'object' && 'contacts' in stored ? stored.contacts : null;
        const contact = parseContact(Array.isArray(contacts) && contacts.length === 1 ? contacts[0] : null);
        const waId = field(item, 'from') ?? contact?.waId ?? null;
        const bsuid = field(item, 'from_user_id') ?? contact?.userId ?? null;
        if (waId || bsuid) {
          const { patient } = await touchPatient(tx, { cipher: d.cipher, keys: d.keys }, { waId, bsuid, parentBsuid: null, username: contact?.username ?? null, name: contact?.name ?? null }, new Date(r.occurred_at ?? r.received_at));
          patientId = patient.id;
        }
      } else if (r.wa_id_index || r.bsuid_index) {
        const found = await tx.selectFrom('patients').select('id')
          .where((eb) => eb.or([...(r.bsuid_index ? [eb('bsuid_index', '=', r.bsuid_index)] : []), ...(r.wa_id_index ? [eb('wa_id_index', '=', r.wa_id_index)] : [])]))
          .executeTakeFirst();
        patientId = found?.id ?? null;
      }
      if (patientId && plain) {
        const own = await d.keys.forPatient(tx, patientId);
        await tx.updateTable('standby_events').set({ patient_id: patientId, payload: own.encrypt(plain), linked_at: now }).where('id', '=', r.id).execute();
      } else {
        await tx.updateTable('standby_events').set({ linked_at: now }).where('id', '=', r.id).execute();
      }
    }
    if (rows.length) d.log.debug({ code: 'standby_linked', count: rows.length }, 'standby items linked');
    return rows.length;
  });
}
