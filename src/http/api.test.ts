// The /api scope: authentication before validation, one access rule per route (a route without one fails
// start), roles, CSRF on cookie sessions, the OpenAPI document generated from the zod schemas.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createMetrics } from '../analytics/metrics.js';
import { loadConfig } from '../config.js';
import { appModules } from '../main.js';
import { buildApp } from './app.js';
import type { Authenticator } from './api.js';

const ADMIN_TOKEN = 'a'.repeat(44);
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** A test credential: `Bearer role:<role>` or the cookie `s=<role>` (a session with CSRF token `t-<role>`). */
const testAuth: Authenticator = async (req) => {
  const m = /^Bearer role:(\w+)$/.exec(req.headers.authorization ?? '');
  if (m) return { kind: 'token', id: `tok-${m[1]}`, role: z.enum(['admin', 'clinician', 'reception', 'analyst']).parse(m[1]), userId: null };
  const c = /(?:^|;\s*)s=(\w+)/.exec(req.headers.cookie ?? '');
  if (c) return { kind: 'user', id: `u-${c[1]}`, role: z.enum(['admin', 'clinician', 'reception', 'analyst']).parse(c[1]), userId: `u-${c[1]}`, session: { id: 's1', csrfToken: `t-${c[1]}` } };
  return null;
};

const routes: FastifyPluginAsync = async (app) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.post('/things/:id', {
    config: { access: ['admin', 'clinician'] },
    schema: { params: z.object({ id: z.uuid() }), body: z.object({ name: z.string().min(1) }), response: { 200: z.object({ id: z.string(), name: z.string() }) } },
  }, async (req) => ({ id: req.params.id, name: req.body.name }));
  api.post('/login', { config: { access: 'public' }, schema: { body: z.object({ email: z.email() }) } }, async () => ({ ok: true }));
};

async function app(plugins: FastifyPluginAsync[] = [routes]) {
  return buildApp({
    config: loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', ADMIN_API_TOKEN: ADMIN_TOKEN }),
    db: database.db, metrics: createMetrics(database.db), log: pino({ level: 'silent' }),
    api: { authenticators: [testAuth], plugins },
  });
}

const ID = '7d8f1f9e-2c4b-4c7a-9a51-3c1b2f0e9d11';

describe('/api', () => {
  it('answers 401 without credentials, before validating anything, on known and unknown paths', async () => {
    const a = await app();
    for (const [method, url, payload] of [
      ['POST', `/api/things/${ID}`, { name: 'x' }], ['POST', '/api/things/not-a-uuid', '{{{'], ['GET', '/api/things/x'],
      ['GET', '/api/patients'], ['DELETE', '/api/nothing/here?x=1'], ['GET', '/api/openapi.json'], ['GET', '/api/docs'],
    ] as const) {
      const r = await a.inject({ method, url, ...(payload ? { payload, headers: { 'content-type': 'application/json' } } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
    }
    // A wrong bearer token is no credential either.
    expect((await a.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    await a.close();
  });

  it('lets the public route through without credentials, validated', async () => {
    const a = await app();
    expect((await a.inject({ method: 'POST', url: '/api/login', payload: { email: 'a@b.co' } })).statusCode).toBe(200);
    const bad = await a.inject({ method: 'POST', url: '/api/login', payload: { email: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed' });
    expect(JSON.stringify(bad.json())).not.toContain('nope');
    await a.close();
  });

  it('enforces the route\'s roles: 403 for others, then validation for the allowed', async () => {
    const a = await app();
    const call = (role: string, payload: unknown, id = ID) => a.inject({ method: 'POST', url: `/api/things/${id}`, payload: payload as object, headers: { authorization: `Bearer role:${role}` } });
    expect((await call('analyst', { name: 'x' })).statusCode).toBe(403);
    expect((await call('reception', { name: 'x' })).json()).toMatchObject({ code: 'forbidden' });
    expect((await call('analyst', { nom: 1 }, 'bad')).statusCode).toBe(403); // the role is checked before the input
    expect((await call('clinician', { name: 'x' })).json()).toEqual({ id: ID, name: 'x' });
    expect((await call('clinician', { name: '' })).statusCode).toBe(400);
    const admin = await a.inject({ method: 'POST', url: `/api/things/${ID}`, payload: { name: 'y' }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.statusCode).toBe(200);
    const unknown = await a.inject({ method: 'GET', url: '/api/nothing', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(unknown.statusCode).toBe(404);
    await a.close();
  });

  it('requires the CSRF token on state-changing requests of a cookie session', async () => {
    const a = await app();
    const post = (headers: Record<string, string>) => a.inject({ method: 'POST', url: `/api/things/${ID}`, payload: { name: 'x' }, headers: { cookie: 's=admin', ...headers } });
    expect((await post({})).json()).toMatchObject({ status: 403, code: 'csrf_invalid' });
    expect((await post({ 'x-csrf-token': 't-clinician' })).statusCode).toBe(403);
    expect((await post({ 'x-csrf-token': 't-admin' })).statusCode).toBe(200);
    // GETs need none; bearer tokens need none (no ambient credential a forged page could use).
    expect((await a.inject({ method: 'GET', url: '/api/openapi.json', headers: { cookie: 's=analyst' } })).statusCode).toBe(200);
    await a.close();
  });

  it('fails to start when a route declares no access rule', async () => {
    await expect(app([async (api) => { api.get('/forgot', async () => ({})); }])).rejects.toThrow(/declares no access rule/);
  });

  it('serves an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const a = await app();
    const doc = (await a.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/things/{id}'].post.requestBody.content['application/json'].schema.properties.name).toMatchObject({ type: 'string', minLength: 1 });
    const docs = await a.inject({ method: 'GET', url: '/api/docs/', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    await a.close();
  });
});

describe('the application\'s /api routes', () => {
  it('every route of every module declares who may call it, and only login-type routes are public', async () => {
    const config = loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-api-')), LOG_LEVEL: 'silent' });
    const { openServices } = await import('../main.js');
    const modules = appModules({ sandbox: false });
    const services = await openServices(config, modules, { database });
    const a = await buildApp({
      config, db: database.db, metrics: services.metrics, log: pino({ level: 'silent' }),
      api: { authenticators: modules.flatMap((m) => (m.authenticator ? [m.authenticator(services)] : [])), plugins: modules.flatMap((m) => (m.api ? [m.api(services)] : [])) },
    });
    await a.ready();
    expect(a.apiRoutes.length).toBeGreaterThan(3);
    for (const r of a.apiRoutes) expect(r.access, `${r.method} ${r.url}`).toBeDefined();
    const publicRoutes = a.apiRoutes.filter((r) => r.access === 'public').map((r) => r.url);
    for (const url of publicRoutes) expect(url).toMatch(/^\/api\/auth\//);
    // And each non-public one refuses a caller without credentials.
    for (const r of a.apiRoutes.filter((x) => x.access !== 'public' && x.method !== 'HEAD')) {
      const res = await a.inject({ method: r.method as 'GET', url: r.url.replace(/:(\w+)/g, ID).replace('*', 'x') });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
    }
    await a.close();
    await services.jobs.stop();
  });
});
