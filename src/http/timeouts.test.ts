// Slow and idle clients against a real listening server, with raw sockets: slow headers, a slow body, a
// silent connection and an idle keep-alive connection are each closed by the server; beyond
// HTTP_MAX_CONNECTIONS a new connection is closed at once. The limits are set small so that the test is
// short; nothing here measures time, only who closed the socket and what had been sent by then.
import crypto from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createMetrics } from '../analytics/metrics.js';
import { createCipher } from '../compliance/crypto.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../lib/logger.js';
import { webhookRoutes } from '../whatsapp/webhook-routes.js';
import { buildApp } from './app.js';

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await db?.close();
});

async function listen(env: Record<string, string>): Promise<number> {
  const config = loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN1', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', LOG_LEVEL: 'silent', ...env });
  const metrics = createMetrics(db.db);
  const webhooks = webhookRoutes({ config, db: db.db, cipher: createCipher(crypto.randomBytes(32)), metrics, onStored: () => {} });
  const app = await buildApp({ config, db: db.db, metrics, log: createLogger('silent'), plugins: [webhooks] });
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

interface Probe {
  socket: net.Socket;
  /** Resolves when the socket closes, with everything the server sent. */
  closed: Promise<string>;
}

function connect(port: number): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<string>((r) => socket.on('close', () => r(received)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Writes one byte per `everyMs` until the socket closes or `max` bytes went; returns how many went. */
async function trickle(p: Probe, max: number, everyMs: number): Promise<number> {
  let sent = 0;
  let open = true;
  void p.closed.then(() => (open = false));
  while (open && sent < max) {
    p.socket.write('x');
    sent++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return sent;
}

describe('HTTP limits against slow clients', () => {
  let port: number;
  beforeAll(async () => {
    port = await listen({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600', HTTP_KEEP_ALIVE_TIMEOUT_MS: '300' });
  });

  it('closes a connection whose headers never finish, with 408', async () => {
    const p = await connect(port);
    p.socket.write('POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n');
    // One header byte every 50 ms: 10,000 of them would take over 8 minutes.
    const sent = await trickle(p, 10_000, 50);
    expect(sent).toBeLessThan(10_000);
    expect(await p.closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body trickles in, with 408, before the body is complete', async () => {
    const p = await connect(port);
    p.socket.write('POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n');
    const sent = await trickle(p, 10_000, 50);
    expect(sent).toBeLessThan(10_000);
    expect(await p.closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that sends nothing', async () => {
    const p = await connect(port);
    // Node answers 408 even to a request that never began.
    expect(await p.closed).toMatch(/^(HTTP\/1\.1 408 [^]*)?$/);
  });

  it('closes an idle keep-alive connection after its response', async () => {
    const p = await connect(port);
    p.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const all = await p.closed;
    expect(all).toMatch(/^HTTP\/1\.1 200/);
    expect(all).toContain('{"status":"ok"}');
  });
});

describe('HTTP_MAX_CONNECTIONS', () => {
  it('closes connections beyond the limit at once and serves again when they go', async () => {
    const port = await listen({ HTTP_MAX_CONNECTIONS: '3', HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '60000' });
    const held = await Promise.all([connect(port), connect(port), connect(port)]);
    for (const h of held) h.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const extra = await connect(port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await extra.closed).toBe('');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    const r = await waitForHealthz(port);
    expect(r).toBe(200);
  });
});

// The server learns of the closed sockets asynchronously: retry a refused probe a few times.
async function waitForHealthz(port: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await connect(port);
    p.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const got = await p.closed;
    if (got.startsWith('HTTP/1.1 200')) return 200;
    await new Promise((r) => setTimeout(r, 20));
  }
  return 0;
}
