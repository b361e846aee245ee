// Batches beyond one statement's 65,535 bind parameters (PostgreSQL 08P01): a signed POST with ~9,400
// statuses or ~8,200 messages must be stored whole before the 200, and a redelivery must dedupe whole.
// Workers are off: this is about intake alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startFakeGraph, postWebhook, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, startTestApp } from '../support/app.js';
import type { Running } from '../../src/main.js';

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token', statuses: false });
  app = await startTestApp(db, fake.url, { WORKERS: '0' });
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

const ts = String(Math.floor(Date.now() / 1000));
const value = (v: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' }, ...v });
const envelope = (...values: Record<string, unknown>[]) => ({ object: 'whatsapp_business_account', entry: [{ id: 'WABA1', changes: values.map((v) => ({ field: 'messages', value: value(v) })) }] });
const messages = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ from: `3362${String(i % 1000).padStart(7, '0')}`, id: `wamid.BATCH.${tag}.${i}`, timestamp: ts, type: 'text', text: { body: `m${i}` } }));
const statuses = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `wamid.BATCH.${tag}.${i}`, status: 'delivered', timestamp: ts, recipient_id: '33600000000' }));

const rows = async (table: 'inbound_messages' | 'status_events', prefix: string) =>
  (await db.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).where('wamid', 'like', `${prefix}%`).executeTakeFirstOrThrow()).n;
const deadLetters = async () => (await db.db.selectFrom('webhook_dead_letters').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

describe('batches beyond one statement', () => {
  it('stores 9,400 statuses in one POST, and dedupes its redelivery', async () => {
    const body = envelope({ statuses: statuses('S', 9_400) });
    expect(await postWebhook(app.base, body, APP_SECRET)).toBe(200);
    expect(await rows('status_events', 'wamid.BATCH.S.')).toBe(9_400);
    expect(await postWebhook(app.base, body, APP_SECRET)).toBe(200);
    expect(await rows('status_events', 'wamid.BATCH.S.')).toBe(9_400);
  });

  it('stores 8,200 messages in one POST', async () => {
    expect(await postWebhook(app.base, envelope({ messages: messages('M', 8_200) }), APP_SECRET)).toBe(200);
    expect(await rows('inbound_messages', 'wamid.BATCH.M.')).toBe(8_200);
  });

  it('stores a mixed batch with other events and dead letters beside 5,000 messages and 5,000 statuses', async () => {
    const dead = await deadLetters();
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        { id: 'WABA1', changes: [
          { field: 'messages', value: value({ messages: [...messages('X', 5_000), { id: 'wamid.BATCH.bad', timestamp: ts, type: 'text' }] }) },
          { field: 'messages', value: value({ statuses: statuses('Y', 5_000) }) },
          ...Array.from({ length: 20 }, (_, i) => ({ field: 'account_update', value: { event: 'X', i } })),
        ] },
      ],
    };
    expect(await postWebhook(app.base, body, APP_SECRET)).toBe(200);
    expect(await rows('inbound_messages', 'wamid.BATCH.X.')).toBe(5_000);
    expect(await rows('status_events', 'wamid.BATCH.Y.')).toBe(5_000);
    expect(await deadLetters()).toBe(dead + 1);
    const others = await db.db.selectFrom('webhook_other_events').select(sql<number>`count(*)::int`.as('n')).where('field', '=', 'account_update').executeTakeFirstOrThrow();
    expect(others.n).toBe(20);
  });
});
