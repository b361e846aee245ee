// Reminders survive kill -9: appointments are booked through the staff API of a real server process with
// their reminders due within the next minute; the process is killed (SIGKILL) before they are due; a new
// process started after their due time sends each of them once, as the approved template, and none twice.
// (The claim, the outbox row and the reminder's "sent" commit together: there is no moment at which a
// crash could leave a reminder sent but unmarked, or marked but not queued.)
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/nlu/types.js';
import { TEMPLATES } from '../../src/whatsapp/templates.js';
import { APP_SECRET, TOKEN, cloudApiEnv, waitFor } from '../support/app.js';
import { createTestDatabase, dataDirFor, type TestDatabase } from '../support/db.js';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { freePort, spawnServer, type ServerProcess } from '../support/process.js';

const ADMIN = 'reminders-crash-admin-token-0123456789abcd';
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
  const env: Record<string, string> = {
    DATA_DIR: await dataDirFor('pl-rcrash-'),
    ...cloudApiEnv(fake.url, { businessAccount: true }),
    ADMIN_API_TOKEN: ADMIN,
    SEED_DEMO: '1',
    ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
  };
  if (process.env['TEST_DATABASE_URL']) {
    tdb ??= await createTestDatabase({ poolSize: 2 });
    env['DATABASE_URL'] = tdb.url!;
  }
  return env;
}

const call = async <T>(base: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> => {
  const r = await fetch(`${base}/api${url}`, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: (await r.json()) as T };
};

describe('kill -9 and reminders', () => {
  it('a reminder due while the process was dead is sent once after the restart', { timeout: 240_000 }, async () => {
    const env = await envFor();
    const port = await freePort();
    const first = await spawnServer(env, port);
    servers.push(first);
    // The template sync created the reminder template on the WABA at start; it is approved there.
    await waitFor(() => (fake.templates.filter((t) => t.name === TEMPLATES.appointmentReminder.name).length === LANGUAGES.length ? true : null), 60_000, 100);
    fake.approveTemplates();

    const services = (await call<{ items: { id: string; code: string }[] }>(first.base, 'GET', '/services')).json.items;
    const general = services.find((s) => s.code === 'general-consultation')!.id;
    const from = new Date(Date.now() + 2 * 3_600_000);
    const free = (await call<{ items: { practitionerId: string; start: string }[] }>(first.base, 'GET', `/slots?serviceId=${general}&from=${from.toISOString()}&to=${new Date(from.getTime() + 14 * 86_400_000).toISOString()}&limit=200`)).json.items;
    // Two appointments at the same time with the two doctors: one offset puts both reminders 8 to 68 s from now (the
    // settings, two reads and the kill take well under a second of that; a margin below a minute shortens the wait).
    const start = free.find((x, k) => free.some((y, l) => l !== k && y.start === x.start))!.start;
    const slots = free.filter((x) => x.start === start).slice(0, 2);
    expect(slots).toHaveLength(2);
    const phones: string[] = [];
    const booked: { id: string; start: string }[] = [];
    for (const s of slots) {
      const phone = `3377${crypto.randomInt(1_000_000, 9_999_999)}`;
      phones.push(phone);
      const r = await call<{ id: string }>(first.base, 'POST', '/appointments', { serviceId: general, practitionerId: s.practitionerId, start: s.start, patient: { phone: `+${phone}`, name: 'Crash Patient', whatsappOptIn: true } });
      expect(r.status).toBe(201);
      booked.push({ id: r.json.id, start: s.start });
    }
    const offset = Math.floor((Date.parse(start) - Date.now() - 8_000) / 60_000);
    const put = await call(first.base, 'PUT', '/settings/reminders', { appointmentOffsetsMinutes: [offset], quietHours: null });
    expect(put.status).toBe(200);
    const due = await Promise.all(booked.map(async (b) => {
      const a = (await call<{ reminders: { dueAt: string; state: string; offsetMinutes: number }[] }>(first.base, 'GET', `/appointments/${b.id}`)).json;
      expect(a.reminders).toHaveLength(1);
      expect(a.reminders[0]!.state).toBe('scheduled');
      return Date.parse(a.reminders[0]!.dueAt);
    }));
    expect(Math.min(...due)).toBeGreaterThan(Date.now());

    await first.kill('SIGKILL');
    // Dead through every due time.
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...due) - Date.now()) + 1000));
    expect(fake.delivered().filter((d) => d.body['type'] === 'template')).toHaveLength(0);

    const second = await spawnServer(env, port);
    servers.push(second);
    const sent = await waitFor(() => (phones.every((p) => fake.delivered(p).some((d) => d.body['type'] === 'template')) ? true : null), 90_000, 200);
    expect(sent).toBe(true);
    for (const b of booked) {
      const a = (await call<{ reminders: { state: string }[] }>(second.base, 'GET', `/appointments/${b.id}`)).json;
      expect(a.reminders.map((x) => x.state)).toEqual(['sent']);
    }
    // Once each, also after a while.
    await new Promise((r) => setTimeout(r, 6000));
    expect(phones.map((p) => fake.delivered(p).filter((d) => d.body['type'] === 'template').length)).toEqual(phones.map(() => 1));
    await second.kill('SIGTERM');
  });
});
