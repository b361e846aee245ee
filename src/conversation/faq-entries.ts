// The FAQ read straight from faq_entries by topic, for when no FAQ domain is wired (src/faq's
// createFaqLookup matches questions on meaning; this one answers topics only and matches nothing).
import type { DbOrTx } from '../db/database.js';
import type { Language } from '../nlu/types.js';
import type { FaqAnswer, FaqLookup } from './flow.js';

export function faqEntriesLookup(db: DbOrTx): FaqLookup {
  const answer = async (topic: string, language: Language): Promise<FaqAnswer | null> => {
    const rows = await db.selectFrom('faq_entries').innerJoin('clinics', 'clinics.id', 'faq_entries.clinic_id')
      .select(['faq_entries.intent', 'faq_entries.question', 'faq_entries.answer', 'faq_entries.language', 'clinics.default_language'])
      .where('faq_entries.intent', '=', topic).where('faq_entries.location_id', 'is', null)
      .execute();
    const row = rows.find((r) => r.language === language) ?? rows.find((r) => r.language === r.default_language) ?? null;
    return row ? { topic: row.intent, question: row.question, answer: row.answer, link: null } : null;
  };
  return {
    answer,
    match: async () => null,
    async topics(language) {
      const rows = await db.selectFrom('faq_entries').select('intent').distinct().where('language', '=', language).where('location_id', 'is', null).orderBy('intent').execute();
      return rows.map((r) => ({ topic: r.intent, title: r.intent }));
    },
  };
}
