// GET/POST /api/patients/:id/consents and GET /api/patients/:id/verification: roles, unknown patients,
// desk consent recorded with the staff user (recorded_by and the audit actor), the list shape.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createMetrics } from '../analytics/metrics.js';
import { loadConfig } from '../config.js';
import type { Authenticator } from '../http/api.js';
import { buildApp } from '../http/app.js';
import { systemClock } from '../lib/clock.js';
import { consentRoutes } from './consent-routes.js';
import { currentConsents } from './consent.js';

const ADMIN_TOKEN = 'c'.repeat(44);
const role = z.enum(['admin', 'clinician', 'reception', 'analyst']);
/** `Bearer user:<role>`: a console user u-<role> with that role. */
const testAuth: Authenticator = async (req) => {
  const m = /^Bearer user:(\w+)$/.exec(req.headers.authorization ?? '');
  return m ? { kind: 'user', id: `u-${m[1]}`, role: role.parse(m[1]), userId: `u-${m[1]}` } : null;
};

let database: TestDatabase;
let patientId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  patientId = (await database.db.insertInto('patients').values({ wa_id: '33612340000' }).returning('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => {
  await database.close();
});

async function app() {
  return buildApp({
    config: loadConfig({ WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', ADMIN_API_TOKEN: ADMIN_TOKEN }),
    db: database.db, metrics: createMetrics(database.db), log: pino({ level: 'silent' }),
    api: { authenticators: [testAuth], plugins: [consentRoutes(database.db, systemClock)] },
  });
}

const as = (r: string) => ({ authorization: `Bearer user:${r}` });
const UNKNOWN = '0b9c9a51-7a0e-4e0c-9d55-1e7f4f1a2b3c';
const body = { purpose: 'surveys', granted: true, textVersion: 'desk-form-2026-01', language: 'fr' };

describe('/api/patients/:id/consents', () => {
  it('records desk consent with the staff user, in recordedBy and as the audit actor', async () => {
    const a = await app();
    const r = await a.inject({ method: 'POST', url: `/api/patients/${patientId}/consents`, headers: as('reception'), payload: body });
    expect(r.statusCode).toBe(201);
    const event = r.json();
    expect(event).toMatchObject({ purpose: 'surveys', granted: true, textVersion: 'desk-form-2026-01', language: 'fr', channel: 'desk', recordedBy: 'u-reception' });
    expect(event.id).toMatch(/^\d+$/);
    expect(Date.parse(event.at)).not.toBeNaN();
    const audit = await database.db.selectFrom('audit_log').select(['actor_type', 'actor_id', 'action', 'target', 'details', 'patient_id'])
      .where('action', '=', 'consent.grant').where('patient_id', '=', patientId).execute();
    expect(audit).toEqual([{ actor_type: 'staff', actor_id: 'u-reception', action: 'consent.grant', target: `consent:${event.id}`, details: { purpose: 'surveys', channel: 'desk' }, patient_id: patientId }]);
    expect((await currentConsents(database.db, patientId)).surveys).toMatchObject({ granted: true, channel: 'desk' });

    // Withdrawing later appends; the history keeps both, newest first, in the list shape.
    const w = await a.inject({ method: 'POST', url: `/api/patients/${patientId}/consents`, headers: as('clinician'), payload: { ...body, granted: false } });
    expect(w.statusCode).toBe(201);
    const list = await a.inject({ method: 'GET', url: `/api/patients/${patientId}/consents?limit=1`, headers: as('admin') });
    expect(list.statusCode).toBe(200);
    const page1 = list.json();
    expect(page1.items).toEqual([{ ...w.json() }]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = (await a.inject({ method: 'GET', url: `/api/patients/${patientId}/consents?limit=1&cursor=${page1.nextCursor}`, headers: as('admin') })).json();
    expect(page2).toEqual({ items: [event], nextCursor: null });
    expect((await currentConsents(database.db, patientId)).surveys).toMatchObject({ granted: false });
    await a.close();
  });

  it('lets admin, clinician and reception in; analysts get 403; no credentials 401', async () => {
    const a = await app();
    for (const r of ['admin', 'clinician', 'reception']) {
      expect((await a.inject({ method: 'GET', url: `/api/patients/${patientId}/consents`, headers: as(r) })).statusCode, r).toBe(200);
      expect((await a.inject({ method: 'GET', url: `/api/patients/${patientId}/verification`, headers: as(r) })).statusCode, r).toBe(200);
    }
    for (const [method, url] of [['GET', `/api/patients/${patientId}/consents`], ['POST', `/api/patients/${patientId}/consents`], ['GET', `/api/patients/${patientId}/verification`], ['GET', `/api/patients/${UNKNOWN}/consents`]] as const) {
      const r = await a.inject({ method, url, headers: as('analyst'), ...(method === 'POST' ? { payload: body } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json()).toMatchObject({ code: 'forbidden' });
      expect((await a.inject({ method, url, ...(method === 'POST' ? { payload: body } : {}) })).statusCode).toBe(401);
    }
    await a.close();
  });

  it('answers 404 for an unknown patient to every role allowed, and validates the body', async () => {
    const a = await app();
    for (const r of ['admin', 'clinician', 'reception']) {
      for (const [method, url] of [['GET', `/api/patients/${UNKNOWN}/consents`], ['POST', `/api/patients/${UNKNOWN}/consents`], ['GET', `/api/patients/${UNKNOWN}/verification`], ['GET', '/api/patients/not-a-uuid/consents']] as const) {
        const res = await a.inject({ method, url, headers: as(r), ...(method === 'POST' ? { payload: body } : {}) });
        expect(res.statusCode, `${r} ${method} ${url}`).toBe(404);
        expect(res.json()).toMatchObject({ code: 'not_found' });
      }
    }
    for (const bad of [{ ...body, purpose: 'all' }, { ...body, granted: 'yes' }, { ...body, textVersion: '' }, { purpose: 'care', granted: true }, { ...body, extra: 1 }]) {
      const res = await a.inject({ method: 'POST', url: `/api/patients/${patientId}/consents`, headers: as('admin'), payload: bad });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
    await a.close();
  });

  it('ADMIN_API_TOKEN records desk consent with no staff user behind it', async () => {
    const a = await app();
    const r = await a.inject({ method: 'POST', url: `/api/patients/${patientId}/consents`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { ...body, purpose: 'campaigns' } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ channel: 'desk', recordedBy: null, purpose: 'campaigns' });
    await a.close();
  });

  it('GET /verification answers the state', async () => {
    const a = await app();
    const r = await a.inject({ method: 'GET', url: `/api/patients/${patientId}/verification`, headers: as('clinician') });
    expect(r.json()).toEqual({ verified: false, until: null, locked: false });
    await a.close();
  });
});
