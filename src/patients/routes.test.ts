// The patients API with the real modules: desk roles only, search by name word (blind index) or phone,
// paging, a patient's profile, desk edits validated and sealed, every access audited without PHI, and names
// built to attack a console, a database or a spreadsheet staying inert in JSON, CSV and storage.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { startStaffApi, type StaffApi } from '../../test/support/staff-api.js';
import { csvCell } from './csv.js';
import { maskPhone, phoneDigits } from './directory.js';
import { nameWords } from './names.js';
import { touchPatient } from './patients.js';

let database: TestDatabase;
let api: StaffApi;
beforeAll(async () => {
  database = await createTestDatabase();
  api = await startStaffApi(database);
});
afterAll(async () => {
  await api.stop();
});

async function newPatient(fields: { givenName?: string; familyName?: string; dateOfBirth?: string } = {}): Promise<{ id: string; phone: string }> {
  const phone = `3361${crypto.randomInt(1_000_000, 9_999_999)}`;
  const row = await database.db.insertInto('patients').values({ wa_id: phone, bsuid: `FR.${crypto.randomBytes(6).toString('hex')}` }).returning('id').executeTakeFirstOrThrow();
  if (Object.keys(fields).length) {
    const r = await api.app.inject({ method: 'PATCH', url: `/api/patients/${row.id}`, headers: api.as('reception'), payload: fields });
    expect(r.statusCode, r.body).toBe(200);
  }
  return { id: row.id, phone };
}

const get = (url: string, role: 'admin' | 'clinician' | 'reception' | 'analyst' = 'clinician') => api.app.inject({ method: 'GET', url, headers: api.as(role) });

async function auditRows(action: string) {
  return database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
}

describe('patients API', () => {
  it('is for desk roles: analysts get 403, no credentials 401, unknown ids 404', async () => {
    const p = await newPatient({ givenName: 'Role', familyName: 'Check' });
    for (const role of ['admin', 'clinician', 'reception'] as const) {
      expect((await get('/api/patients', role)).statusCode).toBe(200);
      expect((await get(`/api/patients/${p.id}`, role)).statusCode).toBe(200);
    }
    expect((await get('/api/patients', 'analyst')).json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await get(`/api/patients/${p.id}`, 'analyst')).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'PATCH', url: `/api/patients/${p.id}`, headers: api.as('analyst'), payload: { givenName: 'X' } })).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: `/api/patients/${p.id}` })).statusCode).toBe(401);
    expect((await get(`/api/patients/${crypto.randomUUID()}`)).json()).toMatchObject({ status: 404, code: 'not_found' });
    expect((await get('/api/patients/not-an-id')).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'PATCH', url: `/api/patients/${crypto.randomUUID()}`, headers: api.as('admin'), payload: { givenName: 'X' } })).statusCode).toBe(404);
  });

  it('finds patients by a name word, however accented or cased, and by phone number in any notation', async () => {
    const zoe = await newPatient({ givenName: 'Zoë-Anne', familyName: 'Müller' });
    const other = await newPatient({ givenName: 'Zoltan', familyName: 'Muller-Kovacs' });
    const ids = async (q: string) => ((await get(`/api/patients?q=${encodeURIComponent(q)}`)).json() as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await ids('zoe')).toEqual([zoe.id]);
    expect(await ids('ZOË')).toEqual([zoe.id]);
    expect(await ids('anne muller')).toEqual([zoe.id]); // every word must match
    expect((await ids('MULLER')).sort()).toEqual([zoe.id, other.id].sort());
    expect(await ids('zo')).toEqual([]); // words, not prefixes: the index holds keyed hashes of whole words
    const formatted = `+${zoe.phone.slice(0, 2)} ${zoe.phone.slice(2, 3)} ${zoe.phone.slice(3, 5)}-${zoe.phone.slice(5, 7)} ${zoe.phone.slice(7)}`;
    expect(await ids(formatted)).toEqual([zoe.id]);
    expect(await ids(`00${zoe.phone}`)).toEqual([zoe.id]);
    expect(await ids('33600000000')).toEqual([]);
    const item = (await get(`/api/patients?q=zoe`)).json().items[0];
    expect(item).toEqual({
      id: zoe.id, displayName: 'Zoë-Anne Müller', phoneMasked: maskPhone(zoe.phone), language: null,
      createdAt: expect.any(String), lastInboundAt: null, optedOut: false,
    });
    expect(item.phoneMasked).toMatch(/^\+33 6•• •• •• \d\d$/);
    expect(item.phoneMasked).not.toContain(zoe.phone.slice(3, 9));
  });

  it('pages with opaque cursors, newest first, each patient once', async () => {
    const tag = `Pager${crypto.randomBytes(3).toString('hex').replace(/\d/g, 'q')}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await newPatient({ givenName: tag, familyName: `Number${'abcde'[i]}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { items: { id: string }[]; nextCursor: string | null } = (await get(`/api/patients?q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(r.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.items.map((i) => i.id));
      cursor = r.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());
    expect((await get(`/api/patients?cursor=bm9wZQ`)).json()).toMatchObject({ status: 400, code: 'invalid_cursor' });
  });

  it('audits search with the number of results only, views and updates with ids and field names', async () => {
    const p = await newPatient({ givenName: 'Auditée', familyName: 'Verne' });
    const before = (await auditRows('patient.search')).length;
    await get('/api/patients?q=auditee');
    const search = (await auditRows('patient.search')).slice(before);
    expect(search).toHaveLength(1);
    expect(search[0]!.details).toEqual({ results: 1 });
    expect(search[0]!.patient_id).toBeNull();
    await get(`/api/patients/${p.id}`, 'reception');
    const view = (await auditRows('patient.view')).at(-1)!;
    expect(view).toMatchObject({ patient_id: p.id, actor_type: 'token', actor_id: 'tok-reception' });
    const update = (await auditRows('patient.update')).filter((r) => r.patient_id === p.id);
    expect(update.at(-1)!.details).toEqual({ fields: 'familyName,givenName' });
    const all = await sql<{ t: string }>`select row_to_json(a)::text as t from audit_log a`.execute(database.db);
    for (const needle of ['Auditée', 'auditee', 'Verne', p.phone]) expect(all.rows.some((r) => r.t.includes(needle)), needle).toBe(false);
  });

  it('validates desk edits and seals them with the patient\'s key; the name index follows', async () => {
    const p = await newPatient({ givenName: 'Before' });
    const patch = (payload: unknown) => api.app.inject({ method: 'PATCH', url: `/api/patients/${p.id}`, headers: api.as('clinician'), payload: payload as object });
    for (const bad of [{ dateOfBirth: '2001-02-29' }, { dateOfBirth: '1990-13-01' }, { dateOfBirth: '12/03/1990' }, { dateOfBirth: '2999-01-01' },
      { givenName: '' }, { givenName: '   ' }, { givenName: 'x'.repeat(101) }, { givenName: 'a\u0000b' }, { language: 'French!' }, { nickname: 'x' }]) {
      const r = await patch(bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.json().code).toBe('validation_failed');
    }
    const ok = await patch({ givenName: '李小龍', familyName: 'Ωμέγα', dateOfBirth: '2000-02-29', language: 'pt-BR' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ givenName: '李小龍', familyName: 'Ωμέγα', displayName: '李小龍 Ωμέγα', dateOfBirth: '2000-02-29', language: 'pt-BR', consents: { care: null, sensitive: null, surveys: null, campaigns: null } });
    expect((await patch({ givenName: 'x'.repeat(100) })).statusCode).toBe(200);
    const row = await database.db.selectFrom('patients').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow();
    const own = await api.services.keys.forPatient(database.db, p.id);
    expect(own.decrypt(row.family_name!).toString()).toBe('Ωμέγα');
    expect(Buffer.from(row.family_name!).toString('utf8')).not.toContain('Ωμέγα');
    expect(() => api.services.cipher.decrypt(row.date_of_birth!)).toThrow(); // the patient's key, not the app's
    const find = async (q: string) => ((await get(`/api/patients?q=${encodeURIComponent(q)}`)).json() as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await find('ωμεγα')).toEqual([p.id]);
    expect(await find('before')).not.toContain(p.id);
    const detail = (await get(`/api/patients/${p.id}`)).json();
    expect(detail.dateOfBirth).toBe('2000-02-29');
  });

  it('keeps hostile names inert: verbatim in JSON, neutralised in CSV, stored as given', async () => {
    const hostile = ['=HYPERLINK("http://x")', '<img src=x onerror=alert(1)>', "'; DROP TABLE patients;--", '{{7*7}}', '+1+2', '-3', '@SUM(A1)', '\tTab'];
    const made: { id: string; name: string }[] = [];
    for (const name of hostile.slice(0, 4)) made.push({ id: (await newPatient({ givenName: name })).id, name });
    for (const m of made) {
      const r = await get(`/api/patients/${m.id}`);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json().givenName).toBe(m.name);
      const row = await database.db.selectFrom('patients').select('given_name').where('id', '=', m.id).executeTakeFirstOrThrow();
      expect((await api.services.keys.forPatient(database.db, m.id)).decrypt(row.given_name!).toString()).toBe(m.name);
    }
    expect((await database.db.selectFrom('patients').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n).toBeGreaterThan(4); // still there
    expect((await get('/api/patients.csv', 'clinician')).statusCode).toBe(403);
    const r = await get('/api/patients.csv', 'admin');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/attachment/);
    const lines = r.body.split('\r\n');
    expect(lines[0]).toBe('id,displayName,phoneMasked,language,createdAt,lastInboundAt,optedOut');
    const line = (id: string) => lines.find((l) => l.startsWith(id))!;
    expect(line(made[0]!.id)).toContain(`,"'=HYPERLINK(""http://x"")",`);
    expect(line(made[1]!.id)).toContain(',<img src=x onerror=alert(1)>,');
    expect(line(made[2]!.id)).toContain(`,'; DROP TABLE patients;--,`);
    expect(line(made[3]!.id)).toContain(',{{7*7}},');
    expect(hostile.slice(4).map(csvCell)).toEqual(["'+1+2", "'-3", "'@SUM(A1)", "'\tTab"]);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect((await auditRows('patient.list_export')).at(-1)!.details).toMatchObject({ results: expect.any(Number) });
  });

  it('finds a patient by the WhatsApp profile name their messages brought', async () => {
    const row = await database.db.transaction().execute((tx) => touchPatient(tx, { cipher: api.services.cipher, keys: api.services.keys }, { waId: null, bsuid: `FR.${crypto.randomBytes(6).toString('hex')}`, name: 'Éloïse Profilé' }, new Date()));
    const ids = async (q: string) => ((await get(`/api/patients?q=${encodeURIComponent(q)}`)).json() as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await ids('eloise profile')).toEqual([row.patient.id]);
    expect((await get(`/api/patients/${row.patient.id}`)).json()).toMatchObject({ displayName: 'Éloïse Profilé', givenName: null });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json', 'admin')).json();
    for (const p of ['/api/patients', '/api/patients/{id}', '/api/patients/{id}/export', '/api/patients/{id}/erase', '/api/patients.csv']) expect(doc.paths, p).toHaveProperty([p]);
    expect(doc.paths['/api/patients/{id}'].patch.requestBody.content['application/json'].schema.properties).toHaveProperty('dateOfBirth');
  });

  it('normalises names and phone numbers', () => {
    expect(nameWords('  Zoë-Anne  MÜLLER ')).toEqual(['zoe', 'anne', 'muller']);
    expect(nameWords("O'Brien Ǆemal")).toEqual(['o', 'brien', 'dzemal']);
    expect(nameWords('123 !!')).toEqual([]);
    expect(phoneDigits('+33 (6) 12-34-56-01')).toBe('33612345601');
    expect(phoneDigits('zoe')).toBeNull();
    expect(phoneDigits('12')).toBeNull();
    expect(maskPhone('33612345601')).toBe('+33 6•• •• •• 01');
  });
});
