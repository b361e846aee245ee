// Group commit (intake-writer.ts) on PGlite and, in the postgres project, on the server: webhooks that come
// while a write is in flight are committed together, each learns exactly which of its rows were new, and a
// batch that cannot be written is retried webhook by webhook so only the bad one fails.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createCipher } from '../compliance/crypto.js';
import { intakeWriter, storeWebhook, type StatusRow } from './inbound-store.js';
import type { IntakeWriter } from './intake-writer.js';

let t: TestDatabase;
let writer: IntakeWriter;
const cipher = createCipher(crypto.randomBytes(32));
const PN = 'PN-GROUP';

beforeAll(async () => {
  t = await createTestDatabase();
  writer = intakeWriter(t.db);
});
afterAll(async () => t.close());

const envelope = (v: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1555', phone_number_id: PN }, ...v } }] }],
});
const text = (wamid: string, from: string) => envelope({ contacts: [{ profile: { name: 'P' }, wa_id: from }], messages: [{ from, id: wamid, timestamp: '1760000000', type: 'text', text: { body: `hello ${wamid}` } }] });
const status = (wamid: string, s: string, details: Record<string, unknown> = {}) =>
  envelope({ statuses: [{ id: wamid, status: s, timestamp: '1760000001', recipient_id: '3361234', ...details }] });
const store = (body: unknown) => storeWebhook(t.db, cipher, PN, Buffer.from(JSON.stringify(body)), body, writer);

describe('group commit of webhook intake', () => {
  it('commits webhooks that arrive together in shared transactions, every row once, each counted for the first webhook carrying it', async () => {
    const bodies: unknown[] = [];
    for (let i = 0; i < 120; i++) {
      bodies.push(text(`g.m.${i}`, `33600${i % 7}`));
      // Statuses with the pricing and an escaped quote in the details: they reach jsonb exactly.
      bodies.push(status(`g.s.${i}`, i % 2 ? 'delivered' : 'sent', { conversation: { id: `c"${i}\\` }, pricing: { billable: false } }));
    }
    // Redeliveries inside the same burst: the first copy is new, the second a duplicate.
    bodies.push(text('g.m.3', '336003'), status('g.s.4', 'sent', { conversation: { id: 'c"4\\' }, pricing: { billable: false } }));
    const results = await Promise.all(bodies.map(store));
    expect(results.reduce((n, r) => n + r.messages, 0)).toBe(120);
    expect(results.reduce((n, r) => n + r.messagesDeduped, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.statuses, 0)).toBe(120);
    expect(results.reduce((n, r) => n + r.statusesDeduped, 0)).toBe(1);
    // The redeliveries were the later copies in arrival order.
    expect(results.at(-2)).toMatchObject({ messages: 0, messagesDeduped: 1 });
    expect(results.at(-1)).toMatchObject({ statuses: 0, statusesDeduped: 1 });

    const rows = await t.db.selectFrom('inbound_messages').select(['wamid', sql<string>`xmin::text`.as('tx'), 'sender_key', 'type', 'state']).where('wamid', 'like', 'g.m.%').orderBy('id').execute();
    expect(rows).toHaveLength(120);
    expect(rows.every((r) => r.type === 'text' && r.state === 'pending' && r.sender_key.startsWith('p:'))).toBe(true);
    // Arrival order survives the batching: ids follow the order the webhooks were handed in.
    expect(rows.map((r) => r.wamid)).toEqual(Array.from({ length: 120 }, (_, i) => `g.m.${i}`));
    // Fewer commits than webhooks: that is the point.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(60);
    const payload = await t.db.selectFrom('inbound_messages').select('payload').where('wamid', '=', 'g.m.42').executeTakeFirstOrThrow();
    expect(JSON.parse(cipher.decrypt(Buffer.from(payload.payload)).toString('utf8'))).toMatchObject({ message: { id: 'g.m.42', text: { body: 'hello g.m.42' } } });
    const st = await t.db.selectFrom('status_events').select(['status', 'details', 'recipient_index']).where('wamid', '=', 'g.s.7').executeTakeFirstOrThrow();
    expect(st.status).toBe('delivered');
    expect(st.details).toMatchObject({ conversation: { id: 'c"7\\' }, pricing: { billable: false } });
    expect(st.recipient_index).toMatch(/.{16,}/);
  });

  it('a batch that cannot be written is written webhook by webhook: only the bad one fails, the others are stored', async () => {
    const good = (i: number): StatusRow => ({ wamid: `g.bad.${i}`, status: 'sent', occurred_at: new Date(), callback_data: null, recipient_index: null, error_code: null, details: '{}' });
    // An error code beyond int4 (intake's own parsing never lets one through): the database refuses the row.
    const bad: StatusRow = { ...good(99), error_code: 2 ** 40 };
    const outcomes = await Promise.allSettled([0, 1, 2, 3].map((i) => writer.write([], [good(i)])).concat([writer.write([], [bad])], [4, 5].map((i) => writer.write([], [good(i)]))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const stored = await t.db.selectFrom('status_events').select('wamid').where('wamid', 'like', 'g.bad.%').orderBy('wamid').execute();
    expect(stored.map((r) => r.wamid)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `g.bad.${i}`));
  });

  it('one webhook alone is written at once, without waiting for company', async () => {
    const r = await store(text('g.alone', '3369999'));
    expect(r).toMatchObject({ messages: 1, messagesDeduped: 0 });
    expect(await store(text('g.alone', '3369999'))).toMatchObject({ messages: 0, messagesDeduped: 1 });
  });
});
