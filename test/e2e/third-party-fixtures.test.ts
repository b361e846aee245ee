// Webhook fixtures we did not write (the test suites of pywa, netflie/whatsapp-cloud-api and
// whatsapp-api-js, vendored under test/fixtures/third-party with licences and provenance), each fed through
// a signed POST /webhooks/whatsapp to the real server with the placeholder bot. Every one answers 200;
// every text gets a reply; edits and deletions get nothing, not even a read receipt; every status is
// stored; nothing is dead-lettered except the one fixture that names no sender at all.
//
// Rewritten before sending, since these fixtures were written for other apps: metadata.phone_number_id
// becomes ours (PN1); message and status ids get a per-fixture suffix (the suites reuse "wamid.xyzxyz"
// everywhere, which our dedupe would rightly drop); message timestamps become now, so that replies fall
// inside the 24-hour window.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startFakeGraph, postWebhook, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, startTestApp, waitFor } from '../support/app.js';
import type { Running } from '../../src/main.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/third-party');

interface Fixture {
  name: string;
  body: Record<string, unknown>;
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  const named = (prefix: string, file: string) => {
    for (const [name, body] of Object.entries(readJson(file) as Record<string, Record<string, unknown>>)) out.push({ name: `${prefix}#${name}`, body });
  };
  for (const f of fs.readdirSync(path.join(root, 'pywa/updates')).sort()) named(`pywa/${f}`, `pywa/updates/${f}`);
  named('netflie', 'netflie-whatsapp-cloud-api/notification-factory-payloads.json');
  for (const f of fs.readdirSync(path.join(root, 'whatsapp-api-js/payloads/v25')).sort()) {
    out.push({ name: `whatsapp-api-js/${f}`, body: readJson(`whatsapp-api-js/payloads/v25/${f}`) as Record<string, unknown> });
  }
  return out;
}

/** The fixtures that are truly malformed for us, and why. */
const DEAD_LETTERED: Record<string, string> = {
  // A user_changed_user_id system message with no from, no from_user_id and no contact: no sender to key it by.
  'pywa/system.json#user_id_change': 'message without a sender',
};

type Msg = { id: string; type: string; from?: string; timestamp: unknown };
type Change = { field: string; value: { metadata?: { phone_number_id?: string }; messages?: Msg[]; statuses?: { id: string }[] } };

function rewrite(f: Fixture, n: number): { body: Record<string, unknown>; messages: Msg[]; statuses: string[] } {
  const body = structuredClone(f.body);
  const messages: Msg[] = [];
  const statuses: string[] = [];
  const now = String(Math.floor(Date.now() / 1000));
  for (const entry of body['entry'] as { changes: Change[] }[]) {
    for (const c of entry.changes) {
      if (c.field !== 'messages') continue;
      if (c.value.metadata) c.value.metadata.phone_number_id = 'PN1';
      for (const m of c.value.messages ?? []) {
        m.id = `${m.id}.fx${n}`;
        m.timestamp = now;
        messages.push(m);
      }
      for (const s of c.value.statuses ?? []) {
        s.id = `${s.id}.fx${n}`;
        statuses.push(s.id);
      }
    }
  }
  return { body, messages, statuses };
}

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token', statuses: false });
  app = await startTestApp(db, fake.url);
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

describe('webhook fixtures from other projects, end to end', () => {
  const fixtures = loadFixtures();

  it('has tens of fixtures, with texts, edits, deletions and statuses among them', () => {
    expect(fixtures.length).toBeGreaterThan(60);
    const types = new Set(fixtures.flatMap((f) => rewrite(f, 0).messages.map((m) => m.type)));
    for (const t of ['text', 'edit', 'revoke', 'interactive', 'image', 'system', 'unsupported']) expect(types, t).toContain(t);
    expect(fixtures.filter((f) => rewrite(f, 0).statuses.length > 0).length).toBeGreaterThan(10);
  });

  it('answers 200 to each, stores what it should, answers every text and no edit or deletion', async () => {
    const sent = fixtures.map((f, n) => ({ name: f.name, ...rewrite(f, n) }));
    const deadBefore = (await db.db.selectFrom('webhook_dead_letters').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
    for (const s of sent) expect(await postWebhook(app.base, s.body, APP_SECRET), s.name).toBe(200);

    const dead = await db.db.selectFrom('webhook_dead_letters').select('reason').orderBy('id').execute();
    expect(dead.slice(deadBefore).map((d) => d.reason)).toEqual(Object.values(DEAD_LETTERED).map((r) => expect.stringContaining(r)));

    for (const s of sent) {
      for (const id of s.statuses) expect(await db.db.selectFrom('status_events').select('id').where('wamid', '=', id).executeTakeFirst(), `${s.name} ${id}`).toBeDefined();
      for (const m of s.messages) {
        const row = await db.db.selectFrom('inbound_messages').select('id').where('wamid', '=', m.id).executeTakeFirst();
        if (DEAD_LETTERED[s.name]) {
          expect(row, s.name).toBeUndefined();
          continue;
        }
        expect(row, `${s.name} stored`).toBeDefined();
        const done = await waitFor(async () => (await db.db.selectFrom('inbound_messages').select('state').where('id', '=', row!.id).executeTakeFirst())?.state === 'done', 20_000);
        expect(done, `${s.name} processed`).toBe(true);
        // The replies commit with the "done" mark: the outbox now holds all there will be.
        const out = await db.db.selectFrom('outbox').select(['kind', 'state']).where('caused_by', '=', row!.id).execute();
        const replies = out.filter((o) => o.kind !== 'read');
        if (m.type === 'edit' || m.type === 'revoke') {
          expect(out, `${s.name}: nothing for an edit or deletion`).toEqual([]);
        } else if (m.type === 'text') {
          // Fixtures reuse their senders: a text that comes while the patient is handed over to staff (two
          // misunderstood messages, "talk to a human") gets no bot answer — staff answer it. Every other text does.
          // A handoff opened by an earlier message is one opened by the time the patient's previous message was done.
          const handled = await db.db.selectFrom('inbound_messages').select(['patient_id', 'processed_order']).where('id', '=', row!.id).executeTakeFirstOrThrow();
          const previous = await db.db.selectFrom('inbound_messages').select('processed_at')
            .where('patient_id', '=', handled.patient_id!).where('processed_order', '<', handled.processed_order!)
            .orderBy('processed_order', 'desc').limit(1).executeTakeFirst();
          const before = previous?.processed_at ?? null;
          const handedOver = before && await db.db.selectFrom('handoffs').select('id')
            .where('patient_id', '=', handled.patient_id!)
            .where('opened_at', '<=', before)
            .where((eb) => eb.or([eb('closed_at', 'is', null), eb('closed_at', '>', before)]))
            .executeTakeFirst();
          if (handedOver) {
            expect(replies, `${s.name}: silent during a handoff`).toEqual([]);
            continue;
          }
          expect(replies.length, `${s.name}: a text is answered`).toBeGreaterThan(0);
          // A sender with a real phone number is answered for real (fixtures also use placeholders like PHONE_NUMBER).
          if (/^\d{8,15}$/.test(m.from ?? '')) {
            expect(await waitFor(async () => (await db.db.selectFrom('outbox').select('state').where('caused_by', '=', row!.id).where('kind', '!=', 'read').execute()).every((o) => o.state === 'sent')), `${s.name}: reply sent`).toBe(true);
          }
        } else if (m.type === 'reaction' || m.type === 'system') {
          expect(replies, `${s.name}: no reply to a ${m.type}`).toEqual([]);
        }
      }
    }
  });
});
