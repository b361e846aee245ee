// kill -9 between acknowledging a webhook and processing it loses nothing; on restart every stored
// message is answered, once. The fake Graph API retries status webhooks as Meta does, so a send that was
// in flight when the process died is reconciled, not repeated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, VERIFY, waitFor } from '../support/app.js';
import { freePort, spawnServer, type ServerProcess } from '../support/process.js';

let fake: FakeGraph;
let tdb: TestDatabase | null = null;
const servers: ServerProcess[] = [];

beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN });
});
afterAll(async () => {
  for (const s of servers) await s.kill();
  await fake.close();
  await tdb?.close();
});

async function envFor(): Promise<Record<string, string>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-crash-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    WHATSAPP_API_URL: fake.url,
    WHATSAPP_ACCESS_TOKEN: TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: 'PN1',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
    WHATSAPP_SEND_TIMEOUT_MS: '1000',
    WHATSAPP_RECONCILE_MS: '2000',
  };
  if (process.env['TEST_DATABASE_URL']) {
    tdb ??= await createTestDatabase({ poolSize: 2 });
    env['DATABASE_URL'] = tdb.url!;
    env['ENCRYPTION_KEY'] = Buffer.alloc(32, 7).toString('base64');
  }
  return env;
}

const post = (base: string, payload: unknown) => postWebhook(base, payload, APP_SECRET);

describe('kill -9', () => {
  it('answers, after a restart, every message acknowledged before the kill and never processed', { timeout: 180_000 }, async () => {
    const env = await envFor();
    const port = await freePort();
    fake.setWebhook(`http://127.0.0.1:${port}/webhooks/whatsapp`);
    // No workers: the process acknowledges and stores, but has not processed anything when it dies.
    const first = await spawnServer({ ...env, WORKERS: '0', LOG_LEVEL: 'debug' }, port);
    servers.push(first);
    const ids = Array.from({ length: 20 }, (_, i) => `3371000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(ids.map((id) => post(first.base, inboundText(id, 'Hello'))));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await first.kill('SIGKILL');
    expect(fake.delivered().filter((d) => ids.includes(String(d.body['to']).slice(1)))).toHaveLength(0);
    const second = await spawnServer({ ...env, LOG_LEVEL: 'debug' }, port);
    servers.push(second);
    const all = await waitFor(() => ids.every((id) => fake.delivered(id).length > 0), 30_000, 100);
    expect(all).toBe(true);
    expect(ids.filter((id) => fake.delivered(id).length !== 1)).toEqual([]);
    // Even at debug level the logs carry ids and codes, never a patient's name, number or words.
    const logs = first.output() + second.output();
    expect(logs).toContain('"level"');
    for (const phi of ['Test Patient', 'Hello', ids[0]!, ids[19]!]) expect(logs).not.toContain(phi);
    await second.kill('SIGTERM');
  });

  it('loses and repeats nothing when killed while processing and sending', { timeout: 240_000 }, async () => {
    const env = await envFor();
    const port = await freePort();
    fake.setWebhook(`http://127.0.0.1:${port}/webhooks/whatsapp`);
    const first = await spawnServer(env, port);
    servers.push(first);
    const ids = Array.from({ length: 30 }, (_, i) => `3372000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(ids.map((id) => post(first.base, inboundText(id, 'Hello'))));
    await first.kill('SIGKILL');
    expect(statuses.every((s) => s === 200)).toBe(true);
    const second = await spawnServer(env, port);
    servers.push(second);
    // A send that had left when the process died waits for its status webhooks (a minute and more) before a
    // resend; one whose request died on its way out is answered after that.
    await waitFor(() => ids.every((id) => fake.delivered(id).length > 0), 100_000, 100);
    const missing = ids.filter((id) => fake.delivered(id).length === 0);
    if (missing.length) {
      await second.kill('SIGKILL');
      const { PGlite } = await import('@electric-sql/pglite');
      const pg = await PGlite.create(path.join(env['DATA_DIR']!, 'pgdata'));
      const dump = {
        inbound: (await pg.query(`select id, state, attempts, last_error, next_attempt_at, sender_key from inbound_messages where sender_key = 'p:' || $1`, [missing[0]])).rows,
        outbox: (await pg.query(`select id, kind, state, attempts, claimed_at, in_doubt_at, next_attempt_at, error_code, status from outbox where to_phone = $1`, [missing[0]])).rows,
        sent: fake.received.filter((r) => String(r.body['to']) === `+${missing[0]}` || r.body['message_id']).length,
        now: new Date(),
      };
      await pg.close();
      expect.fail(JSON.stringify(dump) + second.output().slice(-1500));
    }
    await new Promise((r) => setTimeout(r, 4000)); // past the reconciliation window: a blind resend would show now
    expect(ids.filter((id) => fake.delivered(id).length !== 1)).toEqual([]);
    await second.kill('SIGTERM');
  });
});
