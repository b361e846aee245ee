// The Graph client over real sockets: a GET whose connection is closed before any answer is sent again once
// (media info, downloads, template lists: idempotent); a message send is never repeated by the client (its
// outcome is in doubt, and the sender's reconciliation decides).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphClient } from './graph-client.js';

let server: http.Server;
let base = '';
/** Requests seen per path; the first `drop` of each path have their connection destroyed unanswered. */
const seen = new Map<string, number>();
let drop = 1;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    req.resume();
    req.on('end', () => {
      if (n <= drop) return void req.socket.destroy();
      if (path === '/v26.0/MEDIA1') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messaging_product: 'whatsapp', url: `${base}/file/MEDIA1`, mime_type: 'image/jpeg', id: 'MEDIA1' }));
      if (path === '/file/MEDIA1') return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '3' }).end(Buffer.from([1, 2, 3]));
      if (path.endsWith('/messages')) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '+33600000001', wa_id: '33600000001' }], messages: [{ id: 'wamid.X' }] }));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const client = () => new GraphClient({ apiUrl: base, apiVersion: 'v26.0', accessToken: 't', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5_000 });

describe('graph client, connection closed before an answer', () => {
  it('sends a media GET again once, and gets the answer', async () => {
    seen.clear();
    drop = 1;
    const info = await client().mediaInfo('MEDIA1');
    expect(info).toMatchObject({ url: `${base}/file/MEDIA1`, mimeType: 'image/jpeg' });
    const dl = await client().download(info.url, 100);
    const bytes: number[] = [];
    for await (const c of dl.chunks) bytes.push(...c);
    expect(bytes).toEqual([1, 2, 3]);
    expect(Object.fromEntries(seen)).toEqual({ '/v26.0/MEDIA1': 2, '/file/MEDIA1': 2 });
  });

  it('does not try a third time: a GET closed twice fails', async () => {
    seen.clear();
    drop = 2;
    await expect(client().mediaInfo('MEDIA1')).rejects.toThrow();
    expect(seen.get('/v26.0/MEDIA1')).toBe(2);
  });

  it('never sends a message twice itself: the send is in doubt', async () => {
    seen.clear();
    drop = 1;
    const outcome = await client().sendMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'hi' } });
    expect(outcome.kind).toBe('in_doubt');
    expect(seen.get('/v26.0/PN1/messages')).toBe(1);
  });
});

describe('graph client, a send that gets no answer', () => {
  it('is in doubt by timeout once timeoutMs passes', async () => {
    const silent = http.createServer((req) => req.resume()); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const c = new GraphClient({ apiUrl: `http://127.0.0.1:${port}`, apiVersion: 'v26.0', accessToken: 't', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 200 });
      expect(await c.sendMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'x' } })).toEqual({ kind: 'in_doubt', reason: 'timeout' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('graph client, a send opened before it is written', () => {
  it('reserves a connected socket without writing anything, and writes the whole request on send()', async () => {
    seen.clear();
    drop = 0;
    const c = client();
    const open = c.openMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'hi' } });
    expect(await open.ready).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.get('/v26.0/PN1/messages')).toBeUndefined();
    expect(await open.send()).toMatchObject({ kind: 'accepted', wamid: 'wamid.X' });
    expect(seen.get('/v26.0/PN1/messages')).toBe(1);
    // The next send reuses the kept-alive socket, and is ready at once.
    const again = c.openMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'hi' } });
    expect(await again.ready).toBe(true);
    expect(await again.send()).toMatchObject({ kind: 'accepted' });
    expect(seen.get('/v26.0/PN1/messages')).toBe(2);
    c.close();
  });

  it('writes nothing for an abandoned send', async () => {
    seen.clear();
    drop = 0;
    const c = client();
    const open = c.openMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'hi' } });
    expect(await open.ready).toBe(true);
    open.abandon();
    expect(await open.send()).toEqual({ kind: 'not_sent', reason: 'unreachable' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.get('/v26.0/PN1/messages')).toBeUndefined();
    c.close();
  });

  it('knows a send to an unreachable Cloud API never left: not sent, rather than in doubt', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const c = new GraphClient({ apiUrl: `http://127.0.0.1:${port}`, apiVersion: 'v26.0', accessToken: 't', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 2_000 });
    const open = c.openMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'x' } });
    expect(await open.ready).toBe(false);
    expect(await c.sendMessage({ messaging_product: 'whatsapp', to: '+33600000001', type: 'text', text: { body: 'x' } })).toEqual({ kind: 'not_sent', reason: 'unreachable' });
  });
});
