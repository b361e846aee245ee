// Two instances on one PostgreSQL server: the sandbox's state lives in the database, so what one instance's
// phone page sends, the other's shows, and live updates reach a page served by either.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { waitFor } from '../../test/support/app.js';
import { serverUrl } from '../../test/support/db.js';
import { startSandboxApp, type SandboxApp } from '../../test/support/sandbox.js';

let a: SandboxApp;
let b: SandboxApp;

beforeAll(async () => {
  // Instances of one deployment share the encryption key, as they share the database.
  const env = { ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64') };
  a = await startSandboxApp(env);
  const url = serverUrl() && 'url' in a.database && typeof a.database.url === 'string' ? a.database.url : null;
  if (!url) throw new Error('this test needs TEST_DATABASE_URL');
  b = await startSandboxApp(env, { database: await openDatabase({ databaseUrl: url }) });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

describe('sandbox on two instances', () => {
  it('shows on one instance what the phone sent through the other, with the bot reply and live updates', async () => {
    const patients = (await (await fetch(`${b.base}/sandbox/api/state`)).json()) as { patients: { id: string; name: string }[] };
    expect(patients.patients.length).toBe(1); // both instances started; one default patient, not two
    const id = patients.patients[0]!.id;
    const events = await fetch(`${b.base}/sandbox/api/patients/${id}/events`);
    const reader = events.body!.getReader();
    let seen = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += Buffer.from(value).toString('utf8');
      }
    })();
    const sent = await fetch(`${a.base}/sandbox/api/patients/${id}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'text', text: 'Hello from A' }) });
    expect(sent.status).toBe(201);
    const chat = await waitFor(async () => {
      const r = (await (await fetch(`${b.base}/sandbox/api/patients/${id}/messages`)).json()) as { messages: { direction: string; type: string }[] };
      return r.messages.some((m) => m.direction === 'out') ? r.messages : null;
    }, 15_000);
    expect(chat?.[0]).toMatchObject({ direction: 'in', type: 'text' });
    await waitFor(() => seen.includes('event: messages') && seen.includes('"direction":"out"'), 10_000);
    expect(seen).toContain('Hello from A');
    expect(seen).toContain('"direction":"out"');
    await reader.cancel();
    await read.catch(() => {});
  });
});
