// Standby webhooks at intake: each item of the change kept once (sealed, with the blind index of the patient
// it concerns), a value with nothing we recognise kept whole, another number's change ignored, nothing of it
// handed to the conversation engine.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cipher } from '../../test/support/inbound.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { phoneIndex } from '../compliance/identifiers.js';
import { storeWebhook } from './inbound-store.js';
import { standbyRows } from './standby.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});

const change = (value: Record<string, unknown>) => ({ object: 'whatsapp_business_account', entry: [{ id: 'WABA1', changes: [{ field: 'standby', value }] }] });
const store = (body: unknown) => storeWebhook(db.db, cipher, 'PN1', Buffer.from(JSON.stringify(body)), body);
const metadata = { display_phone_number: '15550001111', phone_number_id: 'PN1' };

describe('standby intake', () => {
  it('keeps each message, echo and status once, sealed, indexed by the patient\'s phone; never as an inbound message', async () => {
    const body = change({
      messaging_product: 'whatsapp', metadata,
      contacts: [{ profile: { name: 'Ana' }, wa_id: '34600111222' }],
      messages: [{ from: '34600111222', id: 'wamid.sb-in-1', timestamp: '1764590000', type: 'text', text: { body: '¿Puedo ir mañana?' } }],
      message_echoes: [{ from: '15550001111', to: '34600111222', id: 'wamid.sb-out-1', timestamp: '1764590010', type: 'text', text: { body: 'Sí, a las 10.' } }],
      statuses: [{ id: 'wamid.sb-out-1', status: 'delivered', timestamp: '1764590011', recipient_id: '34600111222' }],
    });
    const r = await store(body);
    expect(r).toMatchObject({ standby: 3, messages: 0, deadLetters: 0 });
    await store(body);
    const rows = await db.db.selectFrom('standby_events').selectAll().where('wa_id_index', '=', phoneIndex(cipher, '34600111222')).orderBy('id').execute();
    expect(rows.map((x) => [x.item, x.wamid, x.status])).toEqual([['message', 'wamid.sb-in-1', null], ['echo', 'wamid.sb-out-1', null], ['status', 'wamid.sb-out-1', 'delivered']]);
    for (const x of rows) {
      expect(Buffer.from(x.payload).toString('latin1')).not.toContain('mañana');
      expect(x.patient_id).toBeNull();
    }
    expect(cipher.decryptJson(rows[0]!.payload)).toMatchObject({ item: { text: { body: '¿Puedo ir mañana?' } } });
    const inbound = await db.db.selectFrom('inbound_messages').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(inbound.n).toBe(0);
  });

  it('keeps a value it does not recognise whole, and ignores another number\'s change', async () => {
    expect(standbyRows(cipher, 'PN1', { metadata: { phone_number_id: 'OTHER' }, messages: [{ id: 'x' }] })).toEqual({ rows: [], foreign: 'OTHER' });
    const r = await store(change({ messaging_product: 'whatsapp', metadata, something_new: { a: 1 } }));
    expect(r).toMatchObject({ standby: 1, deadLetters: 0 });
    const other = await db.db.selectFrom('standby_events').selectAll().where('item', '=', 'other').executeTakeFirstOrThrow();
    expect(cipher.decryptJson(other.payload)).toMatchObject({ item: { something_new: { a: 1 } } });
    const foreign = await store(change({ messaging_product: 'whatsapp', metadata: { phone_number_id: 'OTHER' }, messages: [{ from: '1', id: 'wamid.f', timestamp: '1', type: 'text' }] }));
    expect(foreign).toMatchObject({ standby: 0, foreign: ['OTHER'] });
  });
});
