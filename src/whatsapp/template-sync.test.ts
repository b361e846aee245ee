// The template sync against the test Graph API (test/support/fake-graph.ts): rows for every definition in the
// clinic's languages, creation on the WABA within Meta's hourly budget, adoption of an existing template,
// statuses and categories synced over several pages, staff alerts on a rejection, a pause or a new category
// (once), the template webhooks stored by the intake, and the operator alert for a definition changed in code.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createLogger } from '../lib/logger.js';
import { cipher } from '../../test/support/inbound.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startFakeGraph, type FakeGraph } from '../../test/support/fake-graph.js';
import { GraphClient } from './graph-client.js';
import { CreationBudget, TemplateSync, templateStatus } from './template-sync.js';
import { TEMPLATES, type TemplateDefinition } from './templates.js';

const TOKEN = 'sync-token';
const DEFS: readonly TemplateDefinition[] = Object.values(TEMPLATES);
const clock = { now: () => new Date() };
const log = createLogger('silent');

let database: TestDatabase;
let fake: FakeGraph;

const graphFor = (f: FakeGraph, fetchImpl?: typeof fetch) =>
  new GraphClient({ apiUrl: f.url, apiVersion: 'v26.0', accessToken: TOKEN, phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 5000, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
const syncWith = (o: { templates?: readonly TemplateDefinition[]; budget?: CreationBudget; fetch?: typeof fetch } = {}) =>
  new TemplateSync({ db: database.db, graph: graphFor(fake, o.fetch), cipher, clock, log, ...(o.templates ? { templates: o.templates } : {}), ...(o.budget ? { budget: o.budget } : {}) });
const row = (name: string, language: string) => database.db.selectFrom('message_templates').selectAll().where('name', '=', name).where('language', '=', language).executeTakeFirstOrThrow();
const alerts = async () => (await database.db.selectFrom('staff_alerts').select(['kind', 'patient_id', 'codes']).orderBy('id').execute());
const operatorAlerts = () => database.db.selectFrom('operator_alerts').select(['code', 'message']).orderBy('id').execute();
const storeEvent = (field: string, value: unknown) => database.db.insertInto('webhook_other_events').values({ field, payload: cipher.encryptJson(value) }).returning('id').executeTakeFirstOrThrow();

beforeAll(async () => {
  database = await createTestDatabase();
  // The clinic speaks French and English: only those languages are created.
  await database.db.insertInto('clinics').values({ code: 'sync-clinic', name: 'Sync Clinic', default_language: 'fr', languages: ['fr', 'en'], emergency_number: '112' }).execute();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  fake = await startFakeGraph({ appSecret: 's', token: TOKEN, webhook: null, templatePageSize: 5 });
  await sql`truncate message_templates, staff_alerts, operator_alerts, webhook_other_events`.execute(database.db);
});
afterEach(async () => {
  await fake.close();
});

describe('TemplateSync.ensure and sync', () => {
  it('creates every definition in the clinic\'s languages once, then syncs approval, rejection and category changes', async () => {
    const sync = syncWith();
    const first = await sync.ensure();
    expect(first).toMatchObject({ created: DEFS.length * 2, adopted: 0, refused: 0, limited: false });
    expect(fake.templates.map((t) => `${t.name}:${t.language}`).sort()).toEqual(DEFS.flatMap((d) => [`${d.name}:en`, `${d.name}:fr`]).sort());
    const reminderFr = await row('pl_appointment_reminder_v1', 'fr');
    expect(reminderFr).toMatchObject({ status: 'PENDING', meta_language: 'fr', category: 'UTILITY', reason: null });
    expect(reminderFr.meta_id).toBe(fake.templates.find((t) => t.name === 'pl_appointment_reminder_v1' && t.language === 'fr')?.id);
    expect(await database.db.selectFrom('message_templates').select('name').where('language', 'not in', ['fr', 'en']).execute()).toEqual([]);
    expect(await templateStatus(database.db, 'pl_appointment_reminder_v1', 'fr')).toBe('PENDING');
    expect(await sync.unsettled()).toBe(true);

    // Nothing more is created on the next round.
    expect(await sync.ensure()).toMatchObject({ created: 0, adopted: 0 });
    expect(fake.templates).toHaveLength(DEFS.length * 2);

    fake.approveTemplates();
    const approved = await sync.sync();
    // 18 templates listed over pages of 5.
    expect(approved).toMatchObject({ listed: DEFS.length * 2, changed: DEFS.length * 2, alerts: 0 });
    expect(await templateStatus(database.db, 'pl_appointment_reminder_v1', 'fr')).toBe('APPROVED');
    expect(await templateStatus(database.db, 'patientline_one_time_code', 'en')).toBe('APPROVED');
    expect(await templateStatus(database.db, 'pl_appointment_reminder_v1', 'de')).toBe('NOT_CREATED');
    expect(await sync.unsettled()).toBe(false);
    expect((await row('pl_survey_v1', 'en')).synced_at).not.toBeNull();
    expect(await alerts()).toEqual([]);

    fake.setTemplate('pl_appointment_reminder_v1', { status: 'REJECTED', rejectedReason: 'INVALID_FORMAT' }, 'fr');
    fake.setTemplate('pl_survey_v1', { category: 'MARKETING' }, 'en');
    fake.setTemplate('pl_follow_up_v1', { status: 'PAUSED' }, 'en');
    const changed = await sync.sync();
    expect(changed).toMatchObject({ changed: 3, alerts: 3 });
    expect(await row('pl_appointment_reminder_v1', 'fr')).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT' });
    expect(await row('pl_survey_v1', 'en')).toMatchObject({ status: 'APPROVED', category: 'MARKETING' });
    expect(await templateStatus(database.db, 'pl_appointment_reminder_v1', 'fr')).toBe('REJECTED');
    const raised = await alerts();
    expect(raised.every((a) => a.kind === 'other' && a.patient_id === null)).toBe(true);
    expect(raised.map((a) => a.codes).sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''))).toEqual([
      ['template_category:pl_survey_v1:en:UTILITY>MARKETING'],
      ['template_paused:pl_follow_up_v1:en'],
      ['template_rejected:pl_appointment_reminder_v1:fr', 'reason:INVALID_FORMAT'],
    ]);
    // The same state again raises nothing.
    expect(await sync.sync()).toMatchObject({ changed: 0, alerts: 0 });
    expect(await alerts()).toHaveLength(3);
  });

  it('adopts a template that already exists on the WABA instead of creating it, including after "already exists" (2388024)', async () => {
    fake.addTemplate({ name: 'pl_results_ready_v1', language: 'fr', category: 'UTILITY', status: 'APPROVED' });
    fake.addTemplate({ name: 'pl_results_ready_v1', language: 'en', category: 'UTILITY', status: 'APPROVED' });
    // The first full list misses the English one (a list that lags behind the WABA): creating it answers 2388024.
    let lagging = true;
    const fetchLagging: typeof fetch = async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      if (lagging && (init?.method ?? 'GET') === 'GET' && url.pathname.endsWith('/message_templates') && !url.searchParams.has('name')) {
        lagging = false;
        const r = await fetch(input, init);
        const body = (await r.json()) as { data: { name: string; language: string }[] };
        return Response.json({ data: body.data.filter((t) => !(t.name === 'pl_results_ready_v1' && t.language === 'en')) });
      }
      return fetch(input, init);
    };
    const sync = syncWith({ templates: [TEMPLATES.resultsReady], fetch: fetchLagging });
    const r = await sync.ensure();
    expect(r).toMatchObject({ created: 0, adopted: 1, refused: 0 });
    expect(await row('pl_results_ready_v1', 'fr')).toMatchObject({ status: 'APPROVED' });
    expect(await row('pl_results_ready_v1', 'en')).toMatchObject({ status: 'APPROVED', meta_id: fake.templates[1]!.id });
    expect(fake.templates).toHaveLength(2);
  });

  it('keeps to the hourly creation budget and finishes in a later round', async () => {
    const budget = new CreationBudget(5);
    const sync = syncWith({ budget });
    const first = await sync.ensure();
    expect(first).toMatchObject({ created: 5, limited: true });
    expect(fake.templates).toHaveLength(5);
    expect(await sync.ensure()).toMatchObject({ created: 0, limited: true });
    const rest = await syncWith().ensure();
    expect(rest).toMatchObject({ created: DEFS.length * 2 - 5, limited: false });
    expect(await database.db.selectFrom('message_templates').select('name').where('status', '=', 'NOT_CREATED').execute()).toEqual([]);
  });

  it('raises an operator alert for a definition changed under a reviewed name and does not resubmit it', async () => {
    await syncWith({ templates: [TEMPLATES.followUp] }).ensure();
    expect(fake.templates).toHaveLength(2);
    const changed: TemplateDefinition = { ...TEMPLATES.followUp, body: { ...TEMPLATES.followUp.body, fr: `${TEMPLATES.followUp.body.fr} À bientôt.` } };
    const before = (await row('pl_follow_up_v1', 'fr')).definition_hash;
    const sync = syncWith({ templates: [changed] });
    await sync.ensure();
    await sync.ensure();
    expect(fake.templates).toHaveLength(2);
    expect((await row('pl_follow_up_v1', 'fr')).definition_hash).toBe(before);
    const ops = await operatorAlerts();
    expect(ops.map((o) => o.code)).toEqual(['template_changed:pl_follow_up_v1:fr']);
    expect(ops[0]?.message).toMatch(/new name/);
  });

  it('records Meta\'s refusal on the row with an operator alert, and tries again only later', async () => {
    const broken: TemplateDefinition = { ...TEMPLATES.resultsReady, name: 'pl_broken_v1', body: { ...TEMPLATES.resultsReady.body, en: 'Results from {{2}} are ready.' } };
    const sync = syncWith({ templates: [broken] });
    const r = await sync.ensure();
    expect(r).toMatchObject({ created: 1, refused: 1 });
    expect(fake.invalid).toHaveLength(1);
    fake.invalid.splice(0); // refused on purpose
    expect(await row('pl_broken_v1', 'en')).toMatchObject({ status: 'NOT_CREATED' });
    expect((await row('pl_broken_v1', 'en')).reason).toMatch(/^creation refused: \(#100\) .*variables must be numbered/);
    expect((await operatorAlerts()).map((o) => o.code)).toEqual(['template_refused:pl_broken_v1:en']);
    const posts = () => fake.received.filter((x) => x.method === 'POST' && x.path.endsWith('/message_templates')).length;
    const n = posts();
    await sync.ensure();
    expect(posts()).toBe(n);
    await sync.ensure({ retryRefused: true });
    expect(posts()).toBe(n + 1);
    // Refused and pending a fix: not a reason to poll the WABA every 15 s once the other one is approved.
    fake.approveTemplates();
    await sync.sync();
    expect(await sync.unsettled()).toBe(false);
    fake.invalid.splice(0);
  });

  it('creates again a template that disappeared from the WABA', async () => {
    const sync = syncWith({ templates: [TEMPLATES.survey] });
    await sync.ensure();
    fake.templates.splice(0, fake.templates.length, ...fake.templates.filter((t) => t.language !== 'en'));
    const r = await sync.ensure();
    expect(r).toMatchObject({ created: 1 });
    expect(await row('pl_survey_v1', 'en')).toMatchObject({ status: 'PENDING', meta_id: fake.templates.find((t) => t.language === 'en')?.id });
  });
});

describe('template webhooks', () => {
  it('applies status, category and quality webhooks from webhook_other_events once, with staff alerts', async () => {
    const sync = syncWith({ templates: [TEMPLATES.appointmentReminder, TEMPLATES.medicationReminder] });
    await sync.ensure();
    const reminderFr = await row('pl_appointment_reminder_v1', 'fr');
    const medEn = await row('pl_medication_reminder_v1', 'en');
    const approved = await storeEvent('message_template_status_update', { event: 'APPROVED', message_template_id: Number(reminderFr.meta_id), message_template_name: 'pl_appointment_reminder_v1', message_template_language: 'fr', reason: 'NONE' });
    // Without Meta's id, the template is found by name and language.
    await storeEvent('message_template_status_update', { event: 'DISABLED', message_template_name: 'pl_medication_reminder_v1', message_template_language: 'en', reason: null, other_info: { title: 'TEMPLATE_DISABLED_LOW_QUALITY', description: 'Disabled for low quality.' } });
    await storeEvent('template_category_update', { message_template_id: Number(medEn.meta_id), message_template_name: 'pl_medication_reminder_v1', message_template_language: 'en', new_category: 'UTILITY', correct_category: 'MARKETING', category_update_timestamp: 1767225600 });
    await storeEvent('template_category_update', { message_template_id: Number(reminderFr.meta_id), message_template_name: 'pl_appointment_reminder_v1', message_template_language: 'fr', previous_category: 'UTILITY', new_category: 'MARKETING' });
    await storeEvent('message_template_quality_update', { previous_quality_score: 'YELLOW', new_quality_score: 'RED', message_template_id: Number(reminderFr.meta_id), message_template_name: 'pl_appointment_reminder_v1', message_template_language: 'fr' });
    const other = await storeEvent('account_update', { event: 'VERIFIED_ACCOUNT' });

    expect(await sync.processWebhooks()).toBe(5);
    expect(await row('pl_appointment_reminder_v1', 'fr')).toMatchObject({ status: 'APPROVED', category: 'MARKETING' });
    expect(await row('pl_medication_reminder_v1', 'en')).toMatchObject({ status: 'DISABLED', reason: 'TEMPLATE_DISABLED_LOW_QUALITY', category: 'UTILITY' });
    expect((await alerts()).map((a) => a.codes)).toEqual([
      ['template_disabled:pl_medication_reminder_v1:en', 'reason:TEMPLATE_DISABLED_LOW_QUALITY'],
      ['template_category_pending:pl_medication_reminder_v1:en:UTILITY>MARKETING', 'at:2026-01-01T00:00:00.000Z'],
      ['template_category:pl_appointment_reminder_v1:fr:UTILITY>MARKETING'],
      ['template_quality_red:pl_appointment_reminder_v1:fr'],
    ]);
    const events = await database.db.selectFrom('webhook_other_events').select(['id', 'processed_at']).orderBy('id').execute();
    expect(events.filter((e) => e.processed_at !== null).map((e) => e.id)).not.toContain(other.id);
    expect(events.find((e) => e.id === approved.id)?.processed_at).not.toBeNull();
    // Applied once: nothing is left to process.
    expect(await sync.processWebhooks()).toBe(0);
    expect(await alerts()).toHaveLength(4);
  });
});
