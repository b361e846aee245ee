// Who a reply is addressed to, end to end: a patient whose phone (as WhatsApp sent it) is not a usable E.164
// number but who has a BSUID is answered through `recipient`; with neither usable, the reply fails unsent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { APP_SECRET, TOKEN, startTestApp, waitFor } from '../support/app.js';
import { textFrom } from '../support/inbound.js';
import type { Running } from '../../src/main.js';
import { ofPatient } from '../support/identity.js';

let db: TestDatabase;
let fake: FakeGraph;
let app: Running & { base: string };

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, statuses: false });
  app = await startTestApp(db, fake.url);
});

afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await db?.close();
});

const replyState = async (bsuid: string) =>
  (await db.db.selectFrom('outbox').select('state').where(ofPatient(app.services.cipher, { bsuid })).where('kind', '!=', 'read').executeTakeFirst())?.state;
const sends = () => fake.received.filter((r) => r.path.endsWith('/messages') && r.body['status'] !== 'read');

describe('reply addressing', () => {
  it.each(['0612345678', '12345', '+00336123456'])('a malformed phone %s beside a BSUID: the reply goes to the BSUID', async (phone) => {
    const bsuid = `US.${Math.floor(Math.random() * 1e12)}`;
    const before = sends().length;
    expect(await postWebhook(app.base, textFrom({ phone, bsuid }, 'hello').payload, APP_SECRET)).toBe(200);
    expect(await waitFor(() => sends().length > before)).toBe(true);
    const body = sends().at(-1)!.body;
    expect(body['recipient']).toBe(bsuid);
    expect('to' in body).toBe(false);
    expect(await waitFor(async () => (await replyState(bsuid)) === 'sent')).toBe(true);
  });

  it('neither usable: the reply is failed and never sent', async () => {
    const bsuid = 'not a BSUID';
    const before = sends().length;
    expect(await postWebhook(app.base, textFrom({ phone: '0612', bsuid }, 'hello').payload, APP_SECRET)).toBe(200);
    expect(await waitFor(async () => (await replyState(bsuid)) === 'failed')).toBe(true);
    expect(sends().length).toBe(before);
  });

  it('a usable phone wins over the BSUID', async () => {
    const before = sends().length;
    expect(await postWebhook(app.base, textFrom({ phone: '33612340001', bsuid: 'US.4242' }, 'hello').payload, APP_SECRET)).toBe(200);
    expect(await waitFor(() => sends().length > before)).toBe(true);
    const body = sends().at(-1)!.body;
    expect(body['to']).toBe('+33612340001');
    expect('recipient' in body).toBe(false);
  });
});
