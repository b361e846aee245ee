// Key rotation end to end. Data written under key A (a patient's data key, the blind-index system key, an
// intake payload, a dead letter, another event) is moved to key B by rotate-key while the app runs with
// ENCRYPTION_KEY=B and ENCRYPTION_KEYS_PREVIOUS=A and keeps answering; afterwards the app starts with B alone
// and reads everything, and finds the patient by phone through the same blind index. Then the command
// itself: on the embedded database with the server stopped, on the PostgreSQL server while it runs.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipher } from '../../src/compliance/crypto.js';
import { kekOf } from '../../src/compliance/keys.js';
import { rotateKeys } from '../../src/compliance/rotate-key.js';
import type { Running } from '../../src/main.js';
import { findPatientByPhone, readPatientCard } from '../../src/patients/index.js';
import { APP_SECRET, TOKEN, cloudApiEnv, startTestApp, waitFor } from '../support/app.js';
import { createTestDatabase, dataDirFor, serverUrl, type TestDatabase } from '../support/db.js';
import { inboundText, postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { openInbound } from '../support/identity.js';
import { spawnServer, type ServerProcess } from '../support/process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const A = crypto.randomBytes(32);
const B = crypto.randomBytes(32);
const b64 = (k: Buffer) => k.toString('base64');

let fake: FakeGraph;
const apps: Running[] = [];
const servers: ServerProcess[] = [];
beforeAll(async () => {
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN });
});
afterAll(async () => {
  for (const a of apps) await a.stop().catch(() => {});
  for (const s of servers) await s.kill('SIGKILL');
  await fake?.close();
});

const answered = (phone: string) => fake.received.some((r) => r.path.endsWith('/messages') && r.body['to'] === `+${phone}` && r.body['type'] === 'interactive');
const phone = () => `3367${String(crypto.randomInt(1_000_000, 9_999_999))}`;

/** An app on the test database that leaves it open when it stops: the next app of the test uses it too. */
async function app(database: TestDatabase, env: Record<string, string>): Promise<Running & { base: string }> {
  const a = await startTestApp({ ...database, close: async () => {} }, fake.url, env);
  apps.push(a);
  fake.setWebhook(`${a.base}/webhooks/whatsapp`);
  return a;
}

describe('rotate-key in the running app', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('moves every key and value from A to B while webhooks are answered; B alone then reads everything', async () => {
    const first = phone();
    const before = await app(database, { ENCRYPTION_KEY: b64(A) });
    expect(await postWebhook(before.base, inboundText(first, 'hello', { name: 'Rita Rotation' }), APP_SECRET)).toBe(200);
    expect(await waitFor(() => answered(first), 20_000)).toBe(true);
    // A dead letter and another event: sealed with ENCRYPTION_KEY itself.
    expect(await postWebhook(before.base, { object: 'whatsapp_business_account', entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PN1' }, messages: [{ id: 7 }] } }] }] }, APP_SECRET)).toBe(200);
    expect(await postWebhook(before.base, { object: 'whatsapp_business_account', entry: [{ id: 'WABA1', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }] }, APP_SECRET)).toBe(200);
    await before.stop();

    const during = await app(database, { ENCRYPTION_KEY: b64(B), ENCRYPTION_KEYS_PREVIOUS: b64(A) });
    const patient = await findPatientByPhone(database.db, during.services.cipher, first);
    expect(patient).not.toBeNull(); // the blind-index key is a system key: the same after the change of KEK
    const others = Array.from({ length: 8 }, phone);
    const traffic = Promise.all(others.map(async (p, i) => {
      await new Promise((r) => setTimeout(r, i * 30));
      return postWebhook(during.base, inboundText(p, 'hello during the rotation'), APP_SECRET);
    }));
    const keks = [kekOf(B), kekOf(A)];
    const counts = await rotateKeys(database.db, keks, createCipher(B, { previous: [A] }), { batch: 2 });
    expect(await traffic).toEqual(others.map(() => 200));
    expect(counts.systemKeys).toBe(1);
    expect(counts.dataKeys).toBeGreaterThanOrEqual(1);
    expect(counts.values['webhook_dead_letters.body']).toBe(1);
    expect(counts.values['webhook_other_events.payload']).toBe(1);
    expect(counts.keysLeft).toBe(0);
    expect(await waitFor(() => others.every(answered), 30_000)).toBe(true);
    // Idempotent: a second run finds nothing left under A.
    const again = await rotateKeys(database.db, keks, createCipher(B, { previous: [A] }));
    expect(again.dataKeys + again.systemKeys + Object.values(again.values).reduce((s, n) => s + n, 0)).toBe(0);
    await during.stop();

    const after = await app(database, { ENCRYPTION_KEY: b64(B) });
    expect(await findPatientByPhone(database.db, after.services.cipher, `+${first}`)).toEqual(patient);
    expect(await readPatientCard(database.db, after.services, patient!.id)).toMatchObject({ profileName: 'Rita Rotation', maskedPhone: expect.stringMatching(/^\+33•+\d\d$/) });
    for (const row of await database.db.selectFrom('inbound_messages').select(['payload', 'patient_id']).execute()) {
      expect(await openInbound(database.db, after.services, row)).toHaveProperty('message');
    }
    for (const row of await database.db.selectFrom('webhook_dead_letters').select('body').execute()) expect(() => after.services.cipher.decrypt(row.body)).not.toThrow();
    for (const row of await database.db.selectFrom('webhook_other_events').select('payload').execute()) expect(() => after.services.cipher.decrypt(row.payload)).not.toThrow();
    for (const row of await database.db.selectFrom('outbox').select(['payload', 'patient_id']).execute()) {
      await expect(after.services.keys.forPatient(database.db, row.patient_id!).then((c) => c.decryptJson(row.payload))).resolves.toBeTruthy();
    }
    // And the patient of before is answered again, under their re-wrapped data key.
    const n = fake.received.length;
    expect(await postWebhook(after.base, inboundText(first, 'hello again'), APP_SECRET)).toBe(200);
    expect(await waitFor(() => fake.received.slice(n).some((r) => r.body['to'] === `+${first}` && r.body['type'] === 'interactive'), 20_000)).toBe(true);
  }, 120_000);
});

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...args], {
    cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npx patientline rotate-key', () => {
  it('explains itself with --help', () => {
    const r = cli(['rotate-key', '--help'], {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: patientline rotate-key/);
    expect(r.out).toMatch(/ENCRYPTION_KEYS_PREVIOUS/);
  });

  it(serverUrl() ? 'rotates while the server runs and answers' : 'rotates the embedded database with the server stopped', async () => {
    const database = serverUrl() ? await createTestDatabase() : null;
    try {
      const dataDir = await dataDirFor('pl-rotate-');
      const base = {
        DATA_DIR: dataDir, ...cloudApiEnv(fake.url, { businessAccount: true }), SEED_DEMO: '0', ...(database?.url ? { DATABASE_URL: database.url } : {}),
      };
      const who = phone();
      const one = await spawnServer({ ...base, ENCRYPTION_KEY: b64(A) });
      servers.push(one);
      fake.setWebhook(`${one.base}/webhooks/whatsapp`);
      expect(await postWebhook(one.base, inboundText(who, 'hello', { name: 'Cli Rotation' }), APP_SECRET)).toBe(200);
      // A just-started process's first reply, on a machine shared with the suite's other servers (30 s once ran out).
      expect(await waitFor(() => answered(who), 60_000)).toBe(true);
      await one.kill('SIGTERM');
      const rotating = { ...base, ENCRYPTION_KEY: b64(B), ENCRYPTION_KEYS_PREVIOUS: b64(A) };
      // On the server the new key is rolled out first, then rotate-key runs beside it; PGlite has one process.
      const two = database ? await spawnServer(rotating) : null;
      if (two) {
        servers.push(two);
        fake.setWebhook(`${two.base}/webhooks/whatsapp`);
      }
      const r = cli(['rotate-key'], rotating);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^re-wrapped 1 data keys and 1 system keys; re-sealed \d+ values/);
      const again = cli(['rotate-key'], rotating);
      expect(again.out).toMatch(/^re-wrapped 0 data keys and 0 system keys; re-sealed 0 values/);
      await two?.kill('SIGTERM');
      const three = await spawnServer({ ...base, ENCRYPTION_KEY: b64(B) });
      servers.push(three);
      fake.setWebhook(`${three.base}/webhooks/whatsapp`);
      const n = fake.received.length;
      expect(await postWebhook(three.base, inboundText(who, 'hello again'), APP_SECRET)).toBe(200);
      expect(await waitFor(() => fake.received.slice(n).some((x) => x.body['to'] === `+${who}` && x.body['type'] === 'interactive'), 30_000)).toBe(true);
      await three.kill('SIGTERM');
    } finally {
      await database?.close();
    }
  }, 180_000);
});
