// /api/faq through the real app on a real database holding the demo clinic: roles (admin and clinician edit,
// reception and analysts read), listing by topic and language with cursors, validation at the boundary
// (answer ≤ 4,096, a variant ≤ 500, ≤ 30 variants, https links, a title for custom topics), conflicts,
// updated_by, the audit trail, and POST /api/faq/match seeing an edit at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { seedDemoClinic } from '../scheduling/demo-clinic.js';

let database: TestDatabase;
let api: StaffApi;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedDemoClinic(database.db, { reset: false, now: new Date('2026-06-01T10:00:00Z') });
  api = await startStaffApi(database);
});
afterAll(async () => {
  await api.stop();
  await database.close();
});

type Role = 'admin' | 'clinician' | 'reception' | 'analyst';
const call = (role: Role, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  api.app.inject({ method, url, headers: api.as(role), ...(payload === undefined ? {} : { payload: payload as object }) });

const flu = {
  topic: 'flu-vaccine', language: 'en', title: 'Flu vaccine', question: 'Do you give the flu vaccine?',
  variants: ['flu shot', 'flu jab', 'influenza vaccination'], answer: 'Yes: from October, Monday to Friday, without an appointment.',
  link: 'https://example.org/flu',
};

async function audit(action: string) {
  return database.db.selectFrom('audit_log').select(['action', 'actor_id', 'target', 'details']).where('action', '=', action).execute();
}

describe('/api/faq', () => {
  it('lists the demo FAQ by topic and language, with cursors', async () => {
    const hours = await call('reception', 'GET', '/api/faq?topic=opening_hours');
    expect(hours.statusCode).toBe(200);
    expect(hours.json().items.map((i: { language: string }) => i.language).sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'pt']);
    const fr = await call('analyst', 'GET', '/api/faq?topic=opening_hours&language=fr');
    const item = fr.json().items[0];
    expect(item).toMatchObject({ topic: 'opening_hours', language: 'fr', locationId: null, question: "Quels sont vos horaires d'ouverture ?", link: null, updatedBy: 'system:seed' });
    expect(item.variants).toContain('horaires svp');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('admin', 'GET', `/api/faq?language=en&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      seen.push(...r.json().items.map((i: { topic: string }) => i.topic));
      cursor = r.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['accessibility', 'cancellation_policy', 'insurance', 'location', 'opening_hours', 'payment', 'what_to_bring']);
    expect((await call('admin', 'GET', '/api/faq?cursor=bogus')).statusCode).toBe(400);
  });

  it('lets admins and clinicians edit, and reception and analysts only read', async () => {
    for (const role of ['reception', 'analyst'] as const) {
      expect((await call(role, 'POST', '/api/faq', flu)).statusCode).toBe(403);
    }
    const created = await call('clinician', 'POST', '/api/faq', flu);
    expect(created.statusCode).toBe(201);
    const item = created.json();
    expect(item).toMatchObject({ ...flu, locationId: null, updatedBy: 'tok-clinician' });
    for (const role of ['reception', 'analyst'] as const) {
      expect((await call(role, 'PUT', `/api/faq/${item.id}`, { ...flu, answer: 'No.' })).statusCode).toBe(403);
      expect((await call(role, 'DELETE', `/api/faq/${item.id}`)).statusCode).toBe(403);
      expect((await call(role, 'GET', `/api/faq/${item.id}`)).json()).toMatchObject({ answer: flu.answer });
    }
    expect((await call('clinician', 'POST', '/api/faq', flu)).statusCode).toBe(409);
    expect(await audit('faq.create')).toEqual([expect.objectContaining({ actor_id: 'tok-clinician', target: `faq:${item.id}`, details: { topic: 'flu-vaccine', language: 'en' } })]);

    const put = await call('admin', 'PUT', `/api/faq/${item.id}`, { ...flu, answer: 'Yes, from October: walk in any weekday morning.' });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ answer: 'Yes, from October: walk in any weekday morning.', updatedBy: 'admin-api-token' });
    expect((await call('reception', 'GET', `/api/faq/${item.id}`)).json().answer).toBe('Yes, from October: walk in any weekday morning.');
    expect(await audit('faq.update')).toHaveLength(1);

    // Moving it onto a topic and language that already has an answer conflicts.
    expect((await call('admin', 'PUT', `/api/faq/${item.id}`, { ...flu, topic: 'payment', title: null })).statusCode).toBe(409);

    expect((await call('clinician', 'DELETE', `/api/faq/${item.id}`)).statusCode).toBe(204);
    expect((await call('clinician', 'GET', `/api/faq/${item.id}`)).statusCode).toBe(404);
    expect((await call('clinician', 'DELETE', `/api/faq/${item.id}`)).statusCode).toBe(404);
    expect(await audit('faq.delete')).toEqual([expect.objectContaining({ actor_id: 'tok-clinician', target: `faq:${item.id}` })]);
  });

  it('refuses what does not fit: long answers and variants, too many variants, plain http links, untitled custom topics', async () => {
    const bad = [
      { ...flu, answer: 'x'.repeat(4097) },
      { ...flu, variants: ['x'.repeat(501)] },
      { ...flu, variants: Array.from({ length: 31 }, (_, i) => `way ${i}`) },
      { ...flu, variants: ['flu shot', 'Flu shot'] },
      { ...flu, link: 'http://example.org/flu' },
      { ...flu, link: 'javascript:alert(1)' },
      { ...flu, title: null },
      { ...flu, title: 'A title far too long for a list row' },
      { ...flu, topic: 'Flu Vaccine!' },
      { ...flu, language: 'nl' },
      { ...flu, question: '   ' },
      { ...flu, locationId: '7d8f1f9e-2c4b-4c7a-9a51-3c1b2f0e9d11' },
      { ...flu, extra: true },
    ];
    for (const body of bad) {
      const r = await call('admin', 'POST', '/api/faq', body);
      expect(r.statusCode, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    const ok = await call('admin', 'POST', '/api/faq', { ...flu, answer: 'x'.repeat(4096), variants: Array.from({ length: 30 }, (_, i) => `way ${i}`) });
    expect(ok.statusCode).toBe(201);
    expect((await call('admin', 'DELETE', `/api/faq/${ok.json().id}`)).statusCode).toBe(204);
  });

  it('POST /api/faq/match answers what patients would get, and sees an edit at once', async () => {
    const before = await call('reception', 'POST', '/api/faq/match', { text: 'on peut payer en especes ?', language: 'fr' });
    expect(before.statusCode).toBe(200);
    const m = before.json().match;
    expect(m).toMatchObject({ topic: 'payment', language: 'fr', question: 'Comment puis-je payer ?' });
    expect(m.score).toBeGreaterThanOrEqual(before.json().threshold);

    const entry = (await call('admin', 'GET', '/api/faq?topic=payment&language=fr')).json().items[0];
    const { id, updatedAt, updatedBy, ...rest } = entry;
    expect((await call('clinician', 'PUT', `/api/faq/${id}`, { ...rest, answer: 'Carte, espèces ou virement.' })).statusCode).toBe(200);
    const after = await call('analyst', 'POST', '/api/faq/match', { text: 'on peut payer en especes ?', language: 'fr' });
    expect(after.json().match).toMatchObject({ id, answer: 'Carte, espèces ou virement.' });

    expect((await call('reception', 'POST', '/api/faq/match', { text: "j'ai de la fièvre depuis hier", language: 'fr' })).json().match).toBeNull();
    expect((await call('reception', 'POST', '/api/faq/match', { text: '', language: 'fr' })).statusCode).toBe(400);
  });

  it('answers 401 without credentials', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/api/faq' })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'POST', url: '/api/faq/match', payload: { text: 'x', language: 'en' } })).statusCode).toBe(401);
  });
});
