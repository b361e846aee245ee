// The one error handler: whatever a route throws, the client gets problem+json with a stable code, and
// nothing of the input (PHI) leaks into the answer or the log.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createMetrics } from '../analytics/metrics.js';
import { loadConfig } from '../config.js';
import { AppError } from '../lib/errors.js';
import { loggerOptions } from '../lib/logger.js';
import { buildApp } from './app.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

async function app() {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const log = pino({ ...loggerOptions('info') }, sink);
  const a = await buildApp({
    config: loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v' }),
    db: database.db,
    metrics: createMetrics(database.db),
    log,
    plugins: [
      async (app) => {
        app.post('/api/things', async () => {
          throw new AppError('slot_taken', 409, 'The slot was taken', { detail: 'Choose another time', slotId: 's-42' });
        });
        app.get('/api/boom', async () => {
          throw new Error('cannot parse "Jane Doe +33612345678"');
        });
        app.post('/api/json', async (req) => req.body);
        app.get('/api/logged', async (req) => {
          req.log.info({ code: 'request_logged' }, 'a request logs');
          return { ok: true };
        });
      },
    ],
  });
  return { app: a, lines };
}

describe('problem+json', () => {
  it('renders an AppError with its code, status, title, detail and PHI-free details', async () => {
    const { app: a } = await app();
    const res = await a.inject({ method: 'POST', url: '/api/things' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toEqual({
      type: 'https://patientline.dev/problems/slot_taken',
      title: 'The slot was taken',
      status: 409,
      code: 'slot_taken',
      detail: 'Choose another time',
      slotId: 's-42',
    });
    await a.close();
  });

  it('answers an unexpected error 500 internal_error without its message, in the answer or the log', async () => {
    const { app: a, lines } = await app();
    const res = await a.inject({ method: 'GET', url: '/api/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error', status: 500 });
    expect(lines.some((l) => l.includes('request failed'))).toBe(true);
    expect(res.body + lines.join('')).not.toMatch(/Jane|3361/);
    await a.close();
  });

  it('renders Fastify’s own errors and unknown paths the same way', async () => {
    const { app: a } = await app();
    const bad = await a.inject({ method: 'POST', url: '/api/json', headers: { 'content-type': 'application/json' }, payload: '{"name": "Jane' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'bad_request', status: 400 });
    expect(bad.body).not.toContain('Jane');
    const type = await a.inject({ method: 'POST', url: '/api/json', headers: { 'content-type': 'text/x-unknown' }, payload: 'x' });
    expect(type.statusCode).toBe(415);
    expect(type.json()).toMatchObject({ code: 'unsupported_media_type' });
    const missing = await a.inject({ method: 'GET', url: '/nowhere' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect(missing.json()).toMatchObject({ code: 'not_found', status: 404 });
    await a.close();
  });

  it('logs requests through the one logger it was given', async () => {
    const { app: a, lines } = await app();
    // Fastify's request loggers are children of it: the same stream, with a request id.
    await a.inject({ method: 'GET', url: '/api/logged' });
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['code'] === 'request_logged');
    expect(line).toMatchObject({ service: 'patientline', reqId: expect.any(String) });
    await a.close();
  });
});

describe('/metrics', () => {
  it('is open by default and needs the bearer METRICS_TOKEN once one is set', async () => {
    const make = (env: Record<string, string>) => buildApp({
      config: loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', ...env }),
      db: database.db, metrics: createMetrics(database.db), log: pino({ level: 'silent' }),
    });
    const open = await make({});
    expect((await open.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    await open.close();
    const token = 'm'.repeat(24);
    const closed = await make({ METRICS_TOKEN: token });
    const none = await closed.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'unauthenticated' });
    expect((await closed.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-xxxxxxxxxx' } })).statusCode).toBe(401);
    const ok = await closed.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('patientline_');
    await closed.close();
  });
});
