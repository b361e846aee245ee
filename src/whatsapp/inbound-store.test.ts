import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { webhookExamples } from '../../test/meta-spec.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createCipher } from '../compliance/crypto.js';
import { bsuidIndex, phoneIndex } from '../compliance/identifiers.js';
import { storableJson, storeWebhook } from './inbound-store.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './webhook-envelope.js';

let t: TestDatabase;
const cipher = createCipher(crypto.randomBytes(32));
const store = (body: unknown, phoneNumberId = 'PN1') => storeWebhook(t.db, cipher, phoneNumberId, Buffer.from(JSON.stringify(body)), body);
const count = async (table: 'inbound_messages' | 'status_events' | 'webhook_other_events' | 'webhook_dead_letters') =>
  (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.close());

const msg = (id: string, from: string, type = 'text', extra: Record<string, unknown> = { text: { body: 'hi' } }) => ({ from, id, timestamp: '1760000000', type, ...extra });
const value = (v: Record<string, unknown>, phone = 'PN1') => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: '1555', phone_number_id: phone }, ...v });

describe('storeWebhook', () => {
  it('stores every entry, change, message and status of a batched POST, deduping inside the batch and across deliveries', async () => {
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        { id: 'WABA1', changes: [
          { field: 'messages', value: value({ contacts: [{ profile: { name: 'A' }, wa_id: '111' }, { profile: { name: 'B' }, wa_id: '222' }], messages: [msg('w.1', '111'), msg('w.2', '222'), msg('w.1', '111')] }) },
          { field: 'messages', value: value({ statuses: [{ id: 'o.1', status: 'sent', timestamp: '1760000001', recipient_id: '111' }, { id: 'o.1', status: 'delivered', timestamp: '1760000002', recipient_id: '111' }] }) },
        ] },
        { id: 'WABA1', changes: [
          { field: 'messages', value: value({ messages: [msg('w.3', '333', 'foo', { foo: { x: 1 } })] }) },
          { field: 'messages', value: value({ messages: [msg('w.4', '444')] }, 'NOT_OURS') },
          { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1 } },
        ] },
      ],
    };
    const r = await store(body);
    expect(r).toMatchObject({ messages: 3, messagesDeduped: 1, statuses: 2, statusesDeduped: 0, otherEvents: 1, deadLetters: 0, foreign: ['NOT_OURS'] });
    const again = await store(body);
    expect(again).toMatchObject({ messages: 0, messagesDeduped: 4, statuses: 0, statusesDeduped: 2 });
    const rows = await t.db.selectFrom('inbound_messages').select(['wamid', 'sender_key', 'type', 'wa_id_index']).where('wamid', 'in', ['w.1', 'w.2', 'w.3', 'w.4']).orderBy('id').execute();
    const ix = (phone: string) => phoneIndex(cipher, phone);
    expect(rows).toEqual([
      { wamid: 'w.1', sender_key: `p:${ix('111')}`, type: 'text', wa_id_index: ix('111') },
      { wamid: 'w.2', sender_key: `p:${ix('222')}`, type: 'text', wa_id_index: ix('222') },
      { wamid: 'w.3', sender_key: `p:${ix('333')}`, type: 'foo', wa_id_index: ix('333') },
    ]);
  });

  it('counts a single message or a single status, and its redelivery, exactly (plain-insert path)', async () => {
    const one = { object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: value({ messages: [msg('w.single', '555')] }) }] }] };
    expect(await store(one)).toMatchObject({ messages: 1, messagesDeduped: 0 });
    expect(await store(one)).toMatchObject({ messages: 0, messagesDeduped: 1 });
    const st = { object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: value({ statuses: [{ id: 'o.single', status: 'read', timestamp: '1760000003', recipient_id: '555' }] }) }] }] };
    expect(await store(st)).toMatchObject({ statuses: 1, statusesDeduped: 0 });
    expect(await store(st)).toMatchObject({ statuses: 0, statusesDeduped: 1 });
    // The recipient is kept as its blind index only.
    const status = await t.db.selectFrom('status_events').select(['recipient', 'recipient_index']).where('wamid', '=', 'o.single').executeTakeFirstOrThrow();
    expect(status).toEqual({ recipient: null, recipient_index: phoneIndex(cipher, '555') });
  });

  it('keys BSUID senders by user_id and keeps the contact with the message, encrypted', async () => {
    const body = { object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: value({
      contacts: [{ profile: { name: 'Zoltan Quixbyvarga', username: 'zq' }, user_id: 'US.1349' }],
      messages: [{ from_user_id: 'US.1349', id: 'w.bsuid', timestamp: '1760000000', type: 'text', text: { body: 'secret words' } }],
    }) }] }] };
    await store(body);
    const row = await t.db.selectFrom('inbound_messages').selectAll().where('wamid', '=', 'w.bsuid').executeTakeFirstOrThrow();
    expect(row.sender_key).toBe(`u:${bsuidIndex(cipher, 'US.1349')}`);
    expect(row.wa_id_index).toBeNull();
    expect(row.bsuid_index).toBe(bsuidIndex(cipher, 'US.1349'));
    // Nothing of the sender in clear beside the encrypted payload.
    expect(row.wa_id).toBeNull();
    expect(row.bsuid).toBeNull();
    expect(JSON.stringify(row)).not.toContain('1349');
    expect(Buffer.from(row.payload).includes(Buffer.from('Zoltan'))).toBe(false);
    expect(cipher.decryptJson(row.payload)).toMatchObject({ contact: { user_id: 'US.1349', profile: { name: 'Zoltan Quixbyvarga' } }, message: { text: { body: 'secret words' } } });
  });

  it('keeps what fails the schema as dead letters, encrypted', async () => {
    const before = await count('webhook_dead_letters');
    await store({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: value({ messages: [{ id: 'w.nofrom', timestamp: '1', type: 'text', text: { body: 'x' } }] }) }] }] });
    await store({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { messages: [] } }] }] });
    await store({ hello: 'world' });
    expect(await count('webhook_dead_letters')).toBe(before + 3);
  });

  it('stores every message and status of the spec\'s webhook examples', async () => {
    let messages = 0;
    let statuses = 0;
    for (const ex of webhookExamples()) {
      const entries = (ex.value['entry'] ?? []) as { changes: { field: string; value: { metadata?: { phone_number_id?: string }; messages?: unknown[]; statuses?: unknown[] } }[] }[];
      for (const e of entries) {
        for (const c of e.changes) {
          if (c.field !== 'messages') continue;
          const r = await store({ ...ex.value, entry: [{ ...e, changes: [c] }] }, c.value.metadata?.phone_number_id ?? 'PN1');
          expect(r.deadLetters, ex.name).toBe(0);
          expect(r.messages + r.messagesDeduped, ex.name).toBe(c.value.messages?.length ?? 0);
          expect(r.statuses + r.statusesDeduped, ex.name).toBe(c.value.statuses?.length ?? 0);
          messages += c.value.messages?.length ?? 0;
          statuses += c.value.statuses?.length ?? 0;
        }
      }
    }
    expect(messages).toBeGreaterThan(10);
    // The v23 spec has no status examples; statuses are covered by the shapes of cloud-api.md above and in e2e.
    expect(statuses).toBe(0);
  });

  it('keeps an item within the depth limit even in a deeper body; one level more dead-letters that item alone, as the raw body', async () => {
    const nest = (levels: number): unknown => (levels === 0 ? 'leaf' : [nest(levels - 1)]);
    // The message object is one level; `extra` adds `levels` arrays. The body adds 7 levels above it.
    const body = (levels: number, id: string) => ({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: value({ messages: [{ ...msg(id, '777'), extra: nest(levels) }, msg(`${id}.ok`, '778')] }) }] }] });
    const fits = body(MAX_JSON_DEPTH - 1, 'w.depth.fits');
    expect(nestsDeeperThan(fits, MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan({ ...msg('x', '1'), extra: nest(MAX_JSON_DEPTH - 1) }, MAX_JSON_DEPTH)).toBe(false);
    expect(await store(fits)).toMatchObject({ messages: 2, deadLetters: 0 });
    const over = body(MAX_JSON_DEPTH, 'w.depth.over');
    expect(await store(over)).toMatchObject({ messages: 1, deadLetters: 1 });
    const dead = await t.db.selectFrom('webhook_dead_letters').select(['reason', 'body']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(dead.reason).toBe(`message nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect(cipher.decrypt(dead.body).equals(Buffer.from(JSON.stringify(over)))).toBe(true);
  });

  it('writes jsonb that PostgreSQL accepts for NUL, lone surrogates and literal escapes, and leaves ordinary JSON untouched', async () => {
    const ordinary = { errors: [{ code: 1, title: 'Fine \\ "quoted" \u00e9 😮' }] };
    expect(storableJson(ordinary)).toBe(JSON.stringify(ordinary));
    const odd = { errors: [{ escaped: 'a\\u0000b', nul: 'a\u0000b', lone: '\uD800x', [`k\uDC00`]: 1 }] };
    const row = (await sql<{ v: unknown }>`select ${storableJson(odd)}::jsonb as v`.execute(t.db)).rows[0];
    expect(row?.v).toEqual({ errors: [{ escaped: 'a\\u0000b', nul: 'a\uFFFDb', lone: '\uFFFDx', 'k\uFFFD': 1 }] });
  });
});
