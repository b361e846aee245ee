// Live inbox updates across instances on one PostgreSQL server: the console's event stream is served by an
// HTTP-only instance (WORKERS=0) while another instance takes the webhook and handles the message; the event
// still arrives, because the change travels through the database (triggers → inbox_changes → each instance's
// poller), not through one process's memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SECRET, startTestApp } from '../../../test/support/app.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../../../test/support/fake-graph.js';
import { openDatabase, type Database } from '../../db/database.js';
import type { Running } from '../../main.js';
import { phoneIndex } from '../../compliance/identifiers.js';

const ADMIN = 'feed-admin-token-'.padEnd(44, 'x');
const KEY = Buffer.alloc(32, 11).toString('base64');

let tdb: TestDatabase;
let second: Database;
let fake: FakeGraph;
let listener: Running & { base: string };
let worker: Running & { base: string };

beforeAll(async () => {
  tdb = await createTestDatabase();
  if (!tdb.url) throw new Error('a server test needs TEST_DATABASE_URL');
  second = await openDatabase({ databaseUrl: tdb.url, poolSize: 4 });
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: 'test-token' });
  const env = { ADMIN_API_TOKEN: ADMIN, ENCRYPTION_KEY: KEY };
  listener = await startTestApp({ ...second, url: tdb.url }, fake.url, { ...env, WORKERS: '0' });
  worker = await startTestApp(tdb, fake.url, env);
  fake.setWebhook(`${worker.base}/webhooks/whatsapp`);
});

afterAll(async () => {
  await listener?.stop();
  await worker?.stop();
  await fake?.close();
});

describe('inbox live updates across instances', () => {
  it('an instance without workers streams the event of a message another instance handled', async () => {
    const res = await fetch(`${listener.base}/api/conversations/events`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let pending: ReturnType<typeof reader.read> | null = null;
    const until = async (want: (s: string) => boolean) => {
      const end = Date.now() + 20_000;
      while (!want(text) && Date.now() < end) {
        pending ??= reader.read();
        const chunk = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 500))]);
        if (chunk) {
          pending = null;
          if (chunk.done) break;
          text += decoder.decode(chunk.value, { stream: true });
        }
      }
      return want(text);
    };
    try {
      expect(await until((s) => s.includes(': connected'))).toBe(true);
      const phone = '33612345678';
      expect(await postWebhook(worker.base, inboundText(phone, 'Hello from the other instance'), APP_SECRET)).toBe(200);
      let patientId: string | undefined;
      const end = Date.now() + 20_000;
      while (!patientId && Date.now() < end) {
        patientId = (await tdb.db.selectFrom('patients').select('id').where('wa_id_index', '=', phoneIndex(worker.services.cipher, phone)).executeTakeFirst())?.id;
        if (!patientId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(patientId).toBeDefined();
      expect(await until((s) => s.includes(`{"type":"conversation","patientId":"${patientId}"}`))).toBe(true);
      // Handled by the worker instance, streamed by the other one.
      const handled = await tdb.db.selectFrom('inbound_messages').select('processed_by').where('patient_id', '=', patientId!).executeTakeFirstOrThrow();
      expect(handled.processed_by).not.toBeNull();
      expect(listener.workers).toEqual([]);
      expect(text).not.toContain('Hello from the other instance');
    } finally {
      await reader.cancel();
    }
  });
});
