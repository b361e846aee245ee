// Message templates end to end: the running app (workers on) creates every template on the test Graph API at
// start, POST /api/templates/sync (admin, audited) brings Meta's approval in at once, GET /api/templates lists
// them for the desk, and a signed `message_template_status_update` webhook rejecting one updates its row and
// alerts staff within seconds (the intake wakes the template worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Authenticator } from '../../src/http/api.js';
import type { AppModule } from '../../src/lib/module.js';
import { TEMPLATES } from '../../src/whatsapp/templates.js';
import { APP_SECRET, startTestApp, TOKEN, waitFor } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startSandboxApp } from '../support/sandbox.js';
import { postWebhook, startFakeGraph, type FakeGraph } from '../support/fake-graph.js';
import { ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from '../support/staff-api.js';

const testAuth: Authenticator = async (req) => {
  const m = /^Bearer role:(\w+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  return { kind: 'token', id: `tok-${m[1]}`, role: z.enum(['admin', 'clinician', 'reception', 'analyst']).parse(m[1]), userId: null };
};
const testAuthModule: AppModule = { name: 'test-auth', authenticator: () => testAuth };
const as = (role: 'admin' | 'clinician' | 'reception' | 'analyst') => ({ authorization: role === 'admin' ? `Bearer ${ADMIN_TOKEN}` : `Bearer role:${role}` });

const ALL = Object.values(TEMPLATES).length * 6;
const itemSchema = z.object({ name: z.string(), language: z.string(), category: z.string(), status: z.string(), reason: z.string().nullable(), metaId: z.string().nullable(), syncedAt: z.string().nullable() });
const listSchema = z.object({ items: z.array(itemSchema) });

let database: TestDatabase;
let fake: FakeGraph;
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN });
  app = await startTestApp(database, fake.url, { ADMIN_API_TOKEN: ADMIN_TOKEN, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }, { modules: [testAuthModule] });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.close();
  await database?.close();
});

describe('message templates', () => {
  it('are created on the WABA at start (no clinic languages: all six) and approved on "sync now"', async () => {
    expect(await waitFor(() => fake.templates.length === ALL, 30_000)).toBe(true);
    expect(fake.templates.every((t) => t.status === 'PENDING')).toBe(true);
    expect(new Set(fake.templates.map((t) => t.language))).toEqual(new Set(['en', 'fr', 'it', 'es', 'pt_PT', 'de']));
    expect(await waitFor(async () => (await database.db.selectFrom('message_templates').select('name').where('status', '=', 'PENDING').execute()).length === ALL, 10_000)).toBe(true);

    fake.approveTemplates();
    const r = await app.app.inject({ method: 'POST', url: '/api/templates/sync', headers: as('admin') });
    expect(r.statusCode).toBe(200);
    const body = listSchema.extend({ created: z.number(), limited: z.boolean() }).parse(r.json());
    expect(body.items).toHaveLength(ALL);
    expect(body.items.every((i) => i.status === 'APPROVED' && i.metaId !== null && i.syncedAt !== null)).toBe(true);
    expect(body.created).toBe(0);
    const audit = await database.db.selectFrom('audit_log').select(['actor_id', 'details']).where('action', '=', 'templates.sync').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ outcome: 'ok', created: 0 });
  });

  it('lists the templates for the desk; only admins sync', async () => {
    const r = await app.app.inject({ method: 'GET', url: '/api/templates', headers: as('reception') });
    expect(r.statusCode).toBe(200);
    const { items } = listSchema.parse(r.json());
    expect(items.find((i) => i.name === 'pl_appointment_reminder_v1' && i.language === 'pt')).toMatchObject({ category: 'UTILITY', status: 'APPROVED', reason: null });
    expect(items.find((i) => i.name === 'patientline_one_time_code' && i.language === 'de')).toMatchObject({ category: 'AUTHENTICATION' });
    expect((await app.app.inject({ method: 'GET', url: '/api/templates', headers: as('analyst') })).statusCode).toBe(403);
    expect((await app.app.inject({ method: 'POST', url: '/api/templates/sync', headers: as('clinician') })).statusCode).toBe(403);
    expect((await app.app.inject({ method: 'GET', url: '/api/templates' })).statusCode).toBe(401);
  });

  it('applies a signed status webhook within seconds and alerts staff of the rejection', async () => {
    const target = fake.templates.find((t) => t.name === 'pl_appointment_reminder_v1' && t.language === 'fr');
    expect(target).toBeDefined();
    // Meta's own state changes with the webhook: a sync of the worker at the same moment agrees with it.
    fake.setTemplate(target!.name, { status: 'REJECTED', rejectedReason: 'INCORRECT_CATEGORY' }, 'fr');
    const status = await postWebhook(app.base, {
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', time: Math.floor(Date.now() / 1000), changes: [{ field: 'message_template_status_update', value: {
        event: 'REJECTED', message_template_id: Number(target!.id), message_template_name: target!.name, message_template_language: 'fr', reason: 'INCORRECT_CATEGORY', message_template_category: 'UTILITY',
      } }] }],
    }, APP_SECRET);
    expect(status).toBe(200);
    const rejected = await waitFor(async () => {
      const row = await database.db.selectFrom('message_templates').select(['status', 'reason']).where('name', '=', target!.name).where('language', '=', 'fr').executeTakeFirstOrThrow();
      return row.status === 'REJECTED' ? row : null;
    }, 10_000);
    expect(rejected).toEqual({ status: 'REJECTED', reason: 'INCORRECT_CATEGORY' });
    const alerts = await database.db.selectFrom('staff_alerts').select(['kind', 'codes']).execute();
    expect(alerts).toEqual([{ kind: 'other', codes: ['template_rejected:pl_appointment_reminder_v1:fr', 'reason:INCORRECT_CATEGORY'] }]);
    const processed = await database.db.selectFrom('webhook_other_events').select('processed_at').where('field', '=', 'message_template_status_update').executeTakeFirstOrThrow();
    expect(processed.processed_at).not.toBeNull();
    fake.expectNoInvalidRequests();
  });
});

describe('message templates in sandbox mode', () => {
  it('are created on the simulated Cloud API and approved by its status webhooks; the one-time code is adopted', async () => {
    const sandbox = await startSandboxApp();
    try {
      const rows = () => sandbox.database.db.selectFrom('message_templates').select(['name', 'language', 'status', 'meta_id']).execute();
      const all = await waitFor(async () => {
        const r = await rows();
        return r.length === ALL && r.every((x) => x.status === 'APPROVED') ? r : null;
      }, 30_000);
      expect(all?.length).toBe(ALL);
      // The sandbox's own review sent message_template_status_update webhooks, applied from webhook_other_events.
      const events = await sandbox.database.db.selectFrom('webhook_other_events').select(['processed_at']).where('field', '=', 'message_template_status_update').execute();
      expect(events.length).toBeGreaterThan(0);
      const graph = `${sandbox.config.whatsapp.apiUrl}/${sandbox.config.whatsapp.apiVersion}/${sandbox.config.whatsapp.businessAccountId}/message_templates?limit=1000`;
      const listed = (await (await fetch(graph, { headers: { authorization: `Bearer ${sandbox.config.whatsapp.accessToken}` } })).json()) as { data: { name: string }[] };
      // Six one-time code templates: the sandbox's own, not created a second time.
      expect(listed.data.filter((t) => t.name === 'patientline_one_time_code')).toHaveLength(6);
    } finally {
      await sandbox.stop();
    }
  }, 60_000);
});
