// Conversation state is sealed under the patient's data key: readable by the app, not with ENCRYPTION_KEY
// alone, and gone with the patient's key at erasure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { cipher, crypt, person } from '../../test/support/inbound.js';
import { touchPatient } from '../patients/index.js';
import { loadConversationState, saveConversationState } from './state.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});

describe('conversation state', () => {
  it('round-trips under the patient key, not ENCRYPTION_KEY, and is unreadable once the key is shredded', async () => {
    const p = person();
    const { patient } = await t.db.transaction().execute((tx) => touchPatient(tx, crypt, { waId: p.phone, bsuid: p.bsuid }, new Date()));
    await t.db.transaction().execute((tx) => saveConversationState(tx, crypt.keys, patient.id, { flow: 'triage', state: { symptom: 'chest pain since Monday' } }));
    await saveConversationState(t.db, crypt.keys, patient.id, { flow: 'booking', state: { step: 2, symptom: 'rash' } });
    expect(await loadConversationState(t.db, crypt.keys, patient.id)).toEqual({ flow: 'booking', state: { step: 2, symptom: 'rash' } });
    const row = await t.db.selectFrom('conversation_state').select('state').where('patient_id', '=', patient.id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.state).includes(Buffer.from('rash'))).toBe(false);
    expect(() => cipher.decrypt(row.state)).toThrow();
    await crypt.keys.shred(t.db, patient.id);
    await expect(loadConversationState(t.db, crypt.keys, patient.id)).rejects.toThrow();
  });
});
