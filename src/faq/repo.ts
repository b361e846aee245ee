// faq_entries for the staff API: the clinic's entries listed by topic and language, read, created, replaced
// and deleted. Writers record who changed what (updated_by) and the trigger of migration 0015 bumps the
// clinic's FAQ revision, which every instance's lookup watches.
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { FaqInput, FaqItem } from './schemas.js';

const COLUMNS = ['id', 'intent', 'language', 'location_id', 'question', 'variants', 'answer', 'link', 'title', 'updated_at', 'updated_by'] as const;

type Row = { id: string; intent: string; language: string; location_id: string | null; question: string; variants: string[]; answer: string; link: string | null; title: string | null; updated_at: Date; updated_by: string | null };

export const toItem = (r: Row): FaqItem => ({
  id: r.id, topic: r.intent, language: r.language, locationId: r.location_id, question: r.question, variants: r.variants,
  answer: r.answer, link: r.link, title: r.title, updatedAt: new Date(r.updated_at).toISOString(), updatedBy: r.updated_by,
});

/** The clinic this instance serves: the oldest one (as the sandbox and the lookup take it). */
export async function clinicId(db: DbOrTx): Promise<string | null> {
  const r = await db.selectFrom('clinics').select('id').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
  return r?.id ?? null;
}

export interface ListCursor {
  t: string;
  l: string;
  id: string;
}

export async function listEntries(db: DbOrTx, clinic: string, q: { topic?: string | undefined; language?: string | undefined; after?: ListCursor | undefined; limit: number }): Promise<Row[]> {
  let query = db.selectFrom('faq_entries').select(COLUMNS).where('clinic_id', '=', clinic);
  if (q.topic) query = query.where('intent', '=', q.topic);
  if (q.language) query = query.where('language', '=', q.language);
  if (q.after) {
    const a = q.after;
    query = query.where(sql<boolean>`(intent, language, id) > (${a.t}, ${a.l}, ${a.id}::uuid)`);
  }
  return query.orderBy('intent').orderBy('language').orderBy('id').limit(q.limit).execute();
}

export async function getEntry(db: DbOrTx, clinic: string, id: string): Promise<Row | undefined> {
  return db.selectFrom('faq_entries').select(COLUMNS).where('clinic_id', '=', clinic).where('id', '=', id).executeTakeFirst();
}

const values = (v: FaqInput, by: string) => ({
  intent: v.topic, language: v.language, location_id: v.locationId, question: v.question, variants: v.variants,
  answer: v.answer, link: v.link, title: v.title, updated_by: by,
});

/** Inserts an entry; undefined when the clinic already has one for this topic, language and location. */
export async function createEntry(db: DbOrTx, clinic: string, v: FaqInput, by: string): Promise<Row | undefined> {
  return db.insertInto('faq_entries').values({ clinic_id: clinic, ...values(v, by) })
    .onConflict((oc) => oc.constraint('faq_entries_one_answer').doNothing())
    .returning(COLUMNS).executeTakeFirst();
}

export async function replaceEntry(db: DbOrTx, clinic: string, id: string, v: FaqInput, by: string): Promise<Row | undefined> {
  return db.updateTable('faq_entries').set({ ...values(v, by), updated_at: sql`now()` })
    .where('clinic_id', '=', clinic).where('id', '=', id).returning(COLUMNS).executeTakeFirst();
}

export async function deleteEntry(db: DbOrTx, clinic: string, id: string): Promise<Row | undefined> {
  return db.deleteFrom('faq_entries').where('clinic_id', '=', clinic).where('id', '=', id).returning(COLUMNS).executeTakeFirst();
}

/** Whether a location belongs to the clinic (a foreign key would say so too, as a less helpful 500). */
export async function locationInClinic(db: DbOrTx, clinic: string, locationId: string): Promise<boolean> {
  return (await db.selectFrom('locations').select('id').where('clinic_id', '=', clinic).where('id', '=', locationId).executeTakeFirst()) !== undefined;
}
