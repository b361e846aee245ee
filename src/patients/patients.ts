// Patients as WhatsApp knows them: a BSUID (always, since 2026) and a phone number when WhatsApp shares
// it. Both are stored separately and either finds the patient. The profile name is PHI: encrypted.
import { sql } from 'kysely';
import type { Cipher } from '../compliance/crypto.js';
import type { Tx } from '../db/database.js';
import { nameIndexOf } from './names.js';

export interface Patient {
  id: string;
  waId: string | null;
  bsuid: string | null;
  username: string | null;
  language: string | null;
  lastInboundAt: Date | null;
}

export interface Identity {
  waId: string | null;
  bsuid: string | null;
  parentBsuid?: string | null;
  username?: string | null;
  name?: string | null;
}

/** Finds or creates the patient for an inbound message and opens (extends) the 24-hour window. */
export async function touchPatient(tx: Tx, cipher: Cipher, who: Identity, messageAt: Date): Promise<{ patient: Patient; created: boolean }> {
  if (!who.waId && !who.bsuid) throw new Error('an inbound message without wa_id and user_id has no patient');
  const find = () =>
    tx.selectFrom('patients')
      .selectAll()
      .where((eb) => eb.or([...(who.bsuid ? [eb('bsuid', '=', who.bsuid)] : []), ...(who.waId ? [eb('wa_id', '=', who.waId)] : [])]))
      .orderBy(sql`bsuid is null`)
      .forUpdate()
      .executeTakeFirst();
  let row = await find();
  let created = false;
  if (!row) {
    const inserted = await tx.insertInto('patients')
      .values({
        wa_id: who.waId,
        bsuid: who.bsuid,
        parent_bsuid: who.parentBsuid ?? null,
        username: who.username ?? null,
        profile_name: who.name ? cipher.encrypt(who.name) : null,
        name_index: who.name ? nameIndexOf(cipher, who.name) : [],
        last_inbound_at: messageAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) {
      row = inserted;
      created = true;
    } else {
      row = await find(); // another sender key of the same person created it meanwhile
      if (!row) throw new Error('patient vanished during upsert');
    }
  }
  if (!created) {
    row = await tx.updateTable('patients')
      .set({
        // An identity another patient already holds stays theirs: one message naming two patients (known so
        // far by one identity each) must not fail on the unique index, retried until dead and never answered.
        wa_id: sql`coalesce(wa_id, (select ${who.waId}::text where not exists (select 1 from patients o where o.wa_id = ${who.waId})))`,
        bsuid: sql`coalesce(bsuid, (select ${who.bsuid}::text where not exists (select 1 from patients o where o.bsuid = ${who.bsuid})))`,
        parent_bsuid: sql`coalesce(${who.parentBsuid ?? null}, parent_bsuid)`,
        username: sql`coalesce(${who.username ?? null}, username)`,
        // Staff find the patient by their profile name too: its words join the name index (a former profile
        // name keeps finding them; a desk edit rebuilds the index from the current names).
        ...(who.name ? { profile_name: cipher.encrypt(who.name), name_index: sql<string[]>`array(select distinct unnest(name_index || ${nameIndexOf(cipher, who.name)}::text[]) order by 1)` } : {}),
        last_inbound_at: sql`greatest(last_inbound_at, ${messageAt})`,
        updated_at: new Date(),
      })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return {
    patient: { id: row.id, waId: row.wa_id, bsuid: row.bsuid, username: row.username, language: row.language, lastInboundAt: row.last_inbound_at },
    created,
  };
}

export async function patientName(tx: Tx, cipher: Cipher, patientId: string): Promise<string | null> {
  const row = await tx.selectFrom('patients').select('profile_name').where('id', '=', patientId).executeTakeFirst();
  return row?.profile_name ? cipher.decrypt(row.profile_name).toString('utf8') : null;
}
