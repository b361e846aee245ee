// kill -9 between acknowledging a webhook and processing it loses nothing; on restart every stored
// message is answered, once. The fake Graph API retries status webhooks as Meta does, so a send that was
// in flight or in doubt when the process died is reconciled, not repeated. The waits are configured small
// (WHATSAPP_RECONCILE_MS, WHATSAPP_RESTART_WAIT_MS), so a blind resend would come within the test: each
// test waits until the outbox has nothing left in doubt, and only then counts what reached the patients.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dataDirFor, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
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
  const dataDir = await dataDirFor('pl-crash-');
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    ...cloudApiEnv(fake.url),
    WHATSAPP_SEND_TIMEOUT_MS: '1000',
    // Small enough that a blind resend comes within the test, large enough that a loaded machine (the whole
    // suite in parallel) applies the retried statuses before the waits run out.
    WHATSAPP_RECONCILE_MS: '4000',
    WHATSAPP_RESTART_WAIT_MS: '3000',
  };
  if (process.env['TEST_DATABASE_URL']) {
    tdb ??= await createTestDatabase({ poolSize: 2 });
    env['DATABASE_URL'] = tdb.url!;
    env['ENCRYPTION_KEY'] = Buffer.alloc(32, 7).toString('base64');
  }
  return env;
}

const post = (base: string, payload: unknown) => postWebhook(base, payload, APP_SECRET);

/** Outbox rows still pending, sending or in doubt, from the server's /metrics. */
async function unsettled(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^patientline_queue_depth\{queue="outbox"\} (\d+)$/m.exec(text);
  if (!m) throw new Error('no outbox depth in /metrics');
  return Number(m[1]);
}

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
    // As long as the next test allows: the restarted process answers 20 new patients while the suite's other
    // server processes share the machine (CI, PostgreSQL pass: 30 s once ran out).
    const all = await waitFor(() => ids.every((id) => fake.delivered(id).length > 0), 60_000, 100);
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
    // While the first process runs, Meta cannot reach it: the statuses of what it sent come after the restart.
    fake.setWebhook(`http://127.0.0.1:${await freePort()}/webhooks/whatsapp`);
    // Every third reply reaches the patient but its answer never comes: the process dies waiting for it.
    let replies = 0;
    fake.setFaults((b) => (b['status'] === 'read' ? 'ok' : ++replies % 3 === 0 ? 'unanswered' : 'ok'));
    const first = await spawnServer(env, port);
    servers.push(first);
    const ids = Array.from({ length: 30 }, (_, i) => `3372000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(ids.map((id) => post(first.base, inboundText(id, 'Hello'))));
    // Killed while its sender is at work: some replies have left, and one is still waiting for its answer
    // (killed well within WHATSAPP_SEND_TIMEOUT_MS of it: no send of this process has timed out yet).
    const sending = await waitFor(() => fake.received.some((r) => r.fault === 'unanswered'), 30_000, 2);
    await first.kill('SIGKILL');
    expect(sending).toBe(true);
    expect(statuses.every((s) => s === 200)).toBe(true);
    fake.setFaults(() => 'ok');
    fake.setWebhook(`http://127.0.0.1:${port}/webhooks/whatsapp`);
    const second = await spawnServer(env, port);
    servers.push(second);
    // A send that had left when the process died waits for its status webhooks (WHATSAPP_RESTART_WAIT_MS and
    // more) before a resend; one whose request died on its way out is answered after that.
    await waitFor(() => ids.every((id) => fake.delivered(id).length > 0), 60_000, 100);
    const missing = ids.filter((id) => fake.delivered(id).length === 0);
    if (missing.length) {
      await second.kill('SIGKILL');
      const { PGlite } = await import('@electric-sql/pglite');
      const pg = await PGlite.create(path.join(env['DATA_DIR']!, 'pgdata'));
      const dump = {
        // Identities are blind-indexed (0012): the rows that are not settled, rather than the missing phone's.
        inbound: (await pg.query(`select id, state, attempts, last_error, next_attempt_at from inbound_messages where state <> 'done'`)).rows,
        outbox: (await pg.query(`select id, kind, state, attempts, claimed_at, in_doubt_at, next_attempt_at, error_code, status from outbox where state not in ('sent', 'cancelled')`)).rows,
        sent: fake.received.filter((r) => String(r.body['to']) === `+${missing[0]}` || r.body['message_id']).length,
        now: new Date(),
      };
      await pg.close();
      expect.fail(JSON.stringify(dump) + second.output().slice(-1500));
    }
    // Nothing left in doubt: every resend that could come has come.
    expect(await waitFor(async () => (await unsettled(second.base)) === 0, 60_000, 100)).toBe(true);
    expect(ids.filter((id) => fake.delivered(id).length !== 1)).toEqual([]);
    await second.kill('SIGTERM');
  });

  it('does not resend a send that was in doubt when the process was killed, whose statuses come after the restart', { timeout: 180_000 }, async () => {
    const env = await envFor();
    const port = await freePort();
    // Meta cannot reach the app while the sends are in doubt: their statuses are retried, and reach the app
    // only once it is back (the fake Graph API retries every 250 ms).
    fake.setWebhook(`http://127.0.0.1:${await freePort()}/webhooks/whatsapp`);
    fake.setFaults((b) => (b['status'] === 'read' ? 'ok' : 'lost'));
    const first = await spawnServer(env, port);
    servers.push(first);
    const ids = Array.from({ length: 5 }, (_, i) => `3376000${String(i).padStart(4, '0')}`);
    const statuses = await Promise.all(ids.map((id) => post(first.base, inboundText(id, 'Hello'))));
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Every reply reached the patient, but its answer was lost: in doubt.
    const inDoubt = await waitFor(() => (first.output().match(/send in doubt/g) ?? []).length >= ids.length, 30_000, 50);
    expect(inDoubt).toBeTruthy();
    await first.kill('SIGKILL');
    fake.setFaults(() => 'ok');
    // Down for longer than the reconciliation window: counted on the clock alone, the wait would be over.
    await new Promise((r) => setTimeout(r, Number(env['WHATSAPP_RECONCILE_MS'])));
    fake.setWebhook(`http://127.0.0.1:${port}/webhooks/whatsapp`);
    const second = await spawnServer(env, port);
    servers.push(second);
    expect(await waitFor(async () => (await unsettled(second.base)) === 0, 60_000, 100)).toBe(true);
    expect(ids.map((id) => fake.delivered(id).length)).toEqual(ids.map(() => 1));
    await second.kill('SIGTERM');
  });
});
