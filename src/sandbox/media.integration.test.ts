// Media through the sandbox's Graph API as client libraries send it. Uploads take their parameters from the
// form or the query string. A send with a `link` to a local service fails with a 131053 status webhook and the
// service is never called; a link to the app's own origin is fetched and delivered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/app.js';
import { startSandboxApp, type SandboxApp } from '../../test/support/sandbox.js';
import { touchInbound } from './repo.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6a4a50000000049454e44ae426082', 'hex');

let app: SandboxApp;
let graph: string;
let auth: Record<string, string>;
let canary: http.Server;
let canaryPort = 0;
let canaryCalls = 0;
let phone = '';

beforeAll(async () => {
  canary = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  canary.on('connection', () => canaryCalls++);
  await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
  canaryPort = (canary.address() as AddressInfo).port;
  app = await startSandboxApp();
  graph = `${app.base}/sandbox/graph/${app.config.whatsapp.apiVersion}`;
  auth = { authorization: `Bearer ${app.config.whatsapp.accessToken}` };
  const res = await fetch(`${app.base}/sandbox/api/patients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ana Lima', phone: '+351 912 000 777', language: 'pt' }) });
  const patient = (await res.json()) as { id: string; phone: string };
  phone = patient.phone;
  await touchInbound(app.sandbox.db, patient.id, new Date());
});
afterAll(async () => {
  await app?.stop();
  canary.closeAllConnections();
  await new Promise<void>((r) => canary.close(() => r()));
});

async function sendImage(link: string): Promise<string> {
  const res = await fetch(`${graph}/${app.config.whatsapp.phoneNumberId}/messages`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', to: phone, type: 'image', image: { link } }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: { id: string }[] }).messages[0]!.id;
}
const statusOf = (wamid: string, status: string) =>
  waitFor(() => app.database.db.selectFrom('status_events').select(['status', 'error_code']).where('wamid', '=', wamid).where('status', '=', status).executeTakeFirst(), 10_000);

describe('sandbox: media sent by link', () => {
  it.each([
    () => `http://127.0.0.1:${canaryPort}/scan.png`,
    () => `http://localhost:${canaryPort}/scan.png`,
    () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  ])('fails the message with 131053 and never calls a local service (%#)', async (link) => {
    const wamid = await sendImage(link());
    expect(await statusOf(wamid, 'failed')).toStrictEqual({ status: 'failed', error_code: 131053 });
    expect(canaryCalls).toBe(0);
  });

  it('fetches a link on the app\'s own origin and delivers it', async () => {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    const up = await fetch(`${graph}/${app.config.whatsapp.phoneNumberId}/media`, { method: 'POST', headers: auth, body: form });
    const { id } = (await up.json()) as { id: string };
    const wamid = await sendImage(`${app.base}/sandbox/api/media/${id}`);
    expect(await statusOf(wamid, 'delivered')).toStrictEqual({ status: 'delivered', error_code: null });
  });
});

describe('sandbox: media upload parameters', () => {
  const upload = async (query: string, fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'dot.png');
    const res = await fetch(`${graph}/${app.config.whatsapp.phoneNumberId}/media${query}`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: number; error_data: { details: string } } } };
  };

  it.each([
    ['messaging_product in the query string (whatsapp-api-js)', '?messaging_product=whatsapp', { type: 'image/png' }],
    ['every parameter in the query string', '?messaging_product=whatsapp&type=image%2Fpng', {}],
    ['every parameter in the form', '', { messaging_product: 'whatsapp', type: 'image/png' }],
  ])('accepts %s', async (_name, query, fields) => {
    const r = await upload(query, fields);
    expect(r.status).toBe(200);
    expect(r.body.id).toMatch(/^\d+$/);
    const info = (await (await fetch(`${graph}/${r.body.id}`, { headers: auth })).json()) as { mime_type: string; file_size: number };
    expect(info).toMatchObject({ mime_type: 'image/png', file_size: PNG.length });
  });

  it.each([
    ['no messaging_product anywhere', '', { type: 'image/png' }],
    ['another messaging_product in the query string', '?messaging_product=instagram', {}],
    ['a form field that overrides a good query string', '?messaging_product=whatsapp', { messaging_product: 'sms' }],
  ])('refuses %s', async (_name, query, fields) => {
    const r = await upload(query, fields);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 100, error_data: { details: 'Param messaging_product must be "whatsapp"' } });
  });
});
