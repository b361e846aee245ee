// createFaqLookup on a real database (PGlite, or the server of TEST_DATABASE_URL) holding the demo clinic:
// answers per language with the default-language fallback, a location's own answer over the clinic-wide
// one, matching on meaning and through a confident NLU intent, topics with list titles, custom topics, the
// revision-based cache (another writer's edit is seen after the refresh interval, not before), and reads
// through a transaction in progress.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import type { NluResult } from '../nlu/types.js';
import { faq as migration0015 } from '../db/migrations/0015-faq.js';
import { seedDemoClinic } from '../scheduling/demo-clinic.js';
import { DEMO_FAQ } from '../scheduling/demo-faq.js';
import { createFaqLookup } from './lookup.js';
import { MATCH_THRESHOLD } from './matcher.js';

let database: TestDatabase;
let clinicId: string;
let locationId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const r = await seedDemoClinic(database.db, { reset: false, now: new Date('2026-06-01T10:00:00Z') });
  if (!r.seeded) throw new Error('expected a seed');
  clinicId = r.clinicId;
  locationId = (await database.db.selectFrom('locations').select('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => database.close());

const nlu = (intent: NluResult['intent'], confidence: number): NluResult => ({
  language: 'en', languageConfidence: 1, intent, confidence, alternatives: [], emergency: false, redFlags: [], entities: {},
});

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('createFaqLookup', () => {
  it('answers a topic in the language, falling back to the clinic default language', async () => {
    const faq = createFaqLookup(database.db);
    const fr = await faq.answer('opening_hours', 'fr');
    expect(fr?.question).toBe("Quels sont vos horaires d'ouverture ?");
    expect(fr?.answer).toContain('8h00–12h30');
    await database.db.deleteFrom('faq_entries').where('intent', '=', 'payment').where('language', '=', 'de').execute();
    await faq.refresh();
    expect((await faq.answer('payment', 'de'))?.question).toBe('How can I pay?');
    expect(await faq.answer('no-such-topic', 'en')).toBeNull();
  });

  it('matches on meaning in the patient language, and answers a confident NLU intent directly', async () => {
    const faq = createFaqLookup(database.db);
    const m = await faq.match('vous etes ouvert le samedi matin ?', 'fr', null);
    expect(m).toMatchObject({ topic: 'opening_hours', question: "Quels sont vos horaires d'ouverture ?" });
    expect(m!.score).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
    expect(m!.score).toBeLessThanOrEqual(1);
    expect(await faq.match("j'ai mal à la gorge depuis hier", 'fr', null)).toBeNull();
    // An intent the NLU is sure of wins even when the words alone would not match.
    expect(await faq.match('hmm, that thing about money', 'en', nlu('payment', 0.93))).toMatchObject({ topic: 'payment', score: 0.93 });
    // A weak intent leaves it to the matcher.
    expect(await faq.match('hmm, that thing about money', 'en', nlu('payment', 0.3))).toBeNull();
  });

  it("prefers the main location's own answer to the clinic-wide one", async () => {
    await database.db.insertInto('faq_entries').values({ clinic_id: clinicId, location_id: locationId, intent: 'location', language: 'en', question: 'Where is this site?', answer: 'Our site: 42 rue du Faubourg Saint-Martin, door code 4242.', updated_by: 'staff-1' }).execute();
    const faq = createFaqLookup(database.db);
    expect((await faq.answer('location', 'en'))?.answer).toContain('door code 4242');
    expect((await faq.answer('location', 'fr'))?.answer).toContain('42 rue du Faubourg');
    await database.db.deleteFrom('faq_entries').where('location_id', '=', locationId).execute();
  });

  it('lists topics with titles that fit a list row, custom topics after the built-in ones', async () => {
    await database.db.insertInto('faq_entries').values({
      clinic_id: clinicId, intent: 'flu-vaccine', language: 'en', title: 'Flu vaccine', question: 'Do you give the flu vaccine?',
      variants: ['flu shot', 'flu jab'], answer: 'Yes, from October, without an appointment.', link: 'https://example.org/flu', updated_by: 'staff-1',
    }).execute();
    const faq = createFaqLookup(database.db);
    const en = await faq.topics('en');
    expect(en.map((t) => t.topic)).toEqual(['opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy', 'flu-vaccine']);
    expect(en[0]).toEqual({ topic: 'opening_hours', title: 'Opening hours' });
    expect(en.at(-1)).toEqual({ topic: 'flu-vaccine', title: 'Flu vaccine' });
    const de = await faq.topics('de');
    expect(de.find((t) => t.topic === 'opening_hours')?.title).toBe('Öffnungszeiten');
    for (const l of ['en', 'fr', 'it', 'es', 'pt', 'de'] as const) for (const t of await faq.topics(l)) expect([...t.title].length).toBeLessThanOrEqual(24);
    expect(await faq.match('can i get a flu jab', 'en', null)).toMatchObject({ topic: 'flu-vaccine', link: 'https://example.org/flu' });
    // In another language, the custom topic answers in the default language.
    expect(await faq.answer('flu-vaccine', 'it')).toMatchObject({ question: 'Do you give the flu vaccine?' });
  });

  it('sees another writer’s edit after the refresh interval, from the revision, and not before', async () => {
    const c = clock();
    const faq = createFaqLookup(database.db, { refreshMs: 3_000, now: c.now });
    expect((await faq.answer('insurance', 'en'))?.answer).toContain('Carte Vitale');
    // Another instance edits the entry (any writer: the trigger bumps the revision).
    await database.db.updateTable('faq_entries').set({ answer: 'We take every insurance.' }).where('intent', '=', 'insurance').where('language', '=', 'en').execute();
    c.advance(1_000);
    expect((await faq.answer('insurance', 'en'))?.answer).toContain('Carte Vitale');
    c.advance(2_500);
    expect((await faq.answer('insurance', 'en'))?.answer).toBe('We take every insurance.');
    // A delete is a change too.
    await database.db.deleteFrom('faq_entries').where('intent', '=', 'flu-vaccine').execute();
    c.advance(3_000);
    expect(await faq.answer('flu-vaccine', 'en')).toBeNull();
  });

  it('reads through a transaction in progress (PGlite has one session)', async () => {
    const faq = createFaqLookup(database.db, { refreshMs: 0 });
    const inTx = await database.db.transaction().execute(async (tx) => {
      await tx.updateTable('faq_entries').set({ answer: 'Pay at the desk.' }).where('intent', '=', 'payment').where('language', '=', 'en').execute();
      return faq.using(tx).answer('payment', 'en');
    });
    expect(inTx?.answer).toBe('Pay at the desk.');
  });
});

describe('migration 0015', () => {
  it('keeps the seven topics, allows slugs with a title, and checks variants and links', async () => {
    const db = database.db;
    const base = { clinic_id: clinicId, language: 'fr', question: 'Q ?', answer: 'R.' };
    const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e as { code?: string }).code);
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking' }).execute())).toBe('23514'); // a custom topic needs a title
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'Parking!', title: 'Parking' }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'x'.repeat(25) }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'Parking', link: 'http://example.org' }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'Parking', variants: Array.from({ length: 31 }, (_, i) => `v${i}`) }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'Parking', variants: ['x'.repeat(501)] }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'Parking', variants: ['  '] }).execute())).toBe('23514');
    expect(await code(db.insertInto('faq_entries').values({ ...base, intent: 'parking', title: 'Parking', variants: ['garer la voiture'], link: 'https://example.org/p' }).execute())).toBe('ok');
  });

  it("rehashes the seed ledger, so that a clinic seeded before 0015 gets the demo variants on the next seed and staff edits stay", async () => {
    const db = database.db;
    // A clinic seeded before 0015: no variants, and the ledger's hash over the columns of then.
    await db.updateTable('faq_entries').set({ variants: [] }).where('intent', 'in', ['accessibility', 'what_to_bring']).where('language', '=', 'it').execute();
    await sql`update clinic_seed_rows s set content_hash = md5(jsonb_build_array(f.location_id, f.intent, f.language, f.question, f.answer, f.updated_by)::text)
      from faq_entries f where s.table_name = 'faq_entries' and s.row_id = f.id and f.language = 'it' and f.intent in ('accessibility', 'what_to_bring')`.execute(db);
    // Staff had edited one of them since.
    await db.updateTable('faq_entries').set({ answer: 'Il nostro testo.', updated_by: 'staff-1' }).where('intent', '=', 'what_to_bring').where('language', '=', 'it').execute();
    await sql.raw(migration0015.at(-1)!).execute(db);
    await seedDemoClinic(db, { reset: false, now: new Date('2026-06-01T10:00:00Z') });
    const rows = await db.selectFrom('faq_entries').select(['intent', 'variants', 'answer']).where('language', '=', 'it').where('intent', 'in', ['accessibility', 'what_to_bring']).orderBy('intent').execute();
    const demo = DEMO_FAQ.find((f) => f.intent === 'accessibility' && f.language === 'it')!;
    expect(rows).toEqual([
      { intent: 'accessibility', variants: demo.variants, answer: demo.answer },
      { intent: 'what_to_bring', variants: [], answer: 'Il nostro testo.' },
    ]);
  });
});
