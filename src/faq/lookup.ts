// createFaqLookup: the clinic's FAQ as flows read it (FaqLookup, src/conversation/flow.ts), served from
// memory. One snapshot per clinic holds the entries and their match index; it is rebuilt when the clinic's
// FAQ revision (faq_revisions, bumped by a trigger on every change, migration 0015) moves, checked at most
// every `refreshMs`, so several instances sharing one database all see an edit within seconds.
//
// PGlite has one session: a lookup called inside a transaction must read through that transaction
// (`using(tx)`), or it would wait for the session the transaction holds. Calling `refresh()` before the
// transaction keeps the check out of it.
import { sql } from 'kysely';
import type { FaqAnswer, FaqLookup } from '../conversation/flow.js';
import type { DbOrTx } from '../db/database.js';
import { isLanguage, type Language, type NluResult } from '../nlu/types.js';
import { FaqIndex, MATCH_THRESHOLD, type IndexedEntry } from './matcher.js';
import { BUILT_IN_TOPICS, FAQ_NLU_INTENTS, isBuiltInTopic, topicTitle } from './topics.js';

/** A confident FAQ intent from the NLU answers without the meaning match. */
export const NLU_CONFIDENT = 0.7;

export interface FaqLookupOptions {
  /** The clinic; default the oldest one (a PatientLine instance serves one clinic). */
  clinicId?: string;
  /** How often the revision is checked at most (ms); default 3,000. */
  refreshMs?: number;
  /** Milliseconds now (tests). */
  now?: () => number;
}

interface Entry {
  id: string;
  topic: string;
  language: string;
  locationId: string | null;
  question: string;
  variants: string[];
  answer: string;
  link: string | null;
  title: string | null;
}

interface Snapshot {
  clinicId: string | null;
  defaultLanguage: Language;
  revision: string;
  /** The entry patients get per `topic/language`: the main location's own, else the clinic-wide one. */
  effective: Map<string, Entry>;
  index: FaqIndex;
}

export interface FaqMatch extends FaqAnswer {
  score: number;
  /** The entry answered (staff tools show it). */
  id: string;
  language: string;
}

export interface ClinicFaq extends FaqLookup {
  /** Checks the revision now (or when `force`, reloads) through `db` (default: the lookup's own). */
  refresh(opts?: { force?: boolean; db?: DbOrTx }): Promise<void>;
  /** The same lookup reading through `db` (a transaction in progress). */
  using(db: DbOrTx): FaqLookup;
  /** match() with the entry's id and language (POST /api/faq/match). */
  matchEntry(text: string, language: Language, nlu: NluResult | null, db?: DbOrTx): Promise<FaqMatch | null>;
}

const key = (topic: string, language: string) => `${topic}/${language}`;

export function createFaqLookup(db: DbOrTx, opts: FaqLookupOptions = {}): ClinicFaq {
  const refreshMs = opts.refreshMs ?? 3_000;
  const now = opts.now ?? Date.now;
  let snapshot: Snapshot | null = null;
  let checkedAt = -Infinity;
  let inFlight: Promise<void> | null = null;

  async function clinicOf(via: DbOrTx): Promise<{ id: string; defaultLanguage: string } | null> {
    const q = via.selectFrom('clinics').select(['id', 'default_language']);
    const row = await (opts.clinicId ? q.where('id', '=', opts.clinicId) : q.orderBy('created_at').orderBy('id').limit(1)).executeTakeFirst();
    return row ? { id: row.id, defaultLanguage: row.default_language } : null;
  }

  async function revisionOf(via: DbOrTx, clinicId: string): Promise<string> {
    const { rows } = await sql<{ r: string }>`select revision::text as r from faq_revisions where clinic_id = ${clinicId}`.execute(via);
    return rows[0]?.r ?? '0';
  }

  async function load(via: DbOrTx, force: boolean): Promise<void> {
    const clinic = await clinicOf(via);
    if (!clinic) {
      snapshot = { clinicId: null, defaultLanguage: 'en', revision: '', effective: new Map(), index: new FaqIndex([]) };
      return;
    }
    const revision = await revisionOf(via, clinic.id);
    if (!force && snapshot && snapshot.clinicId === clinic.id && snapshot.revision === revision) return;
    const main = await via.selectFrom('locations').select('id').where('clinic_id', '=', clinic.id).where('active', '=', true)
      .orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
    const rows = await via.selectFrom('faq_entries')
      .select(['id', 'intent', 'language', 'location_id', 'question', 'variants', 'answer', 'link', 'title'])
      .where('clinic_id', '=', clinic.id)
      .where((eb) => (main ? eb.or([eb('location_id', 'is', null), eb('location_id', '=', main.id)]) : eb('location_id', 'is', null)))
      .execute();
    const effective = new Map<string, Entry>();
    for (const r of rows) {
      const e: Entry = { id: r.id, topic: r.intent, language: r.language, locationId: r.location_id, question: r.question, variants: r.variants, answer: r.answer, link: r.link, title: r.title };
      const k = key(e.topic, e.language);
      const had = effective.get(k);
      if (!had || (had.locationId === null && e.locationId !== null)) effective.set(k, e);
    }
    const indexed: IndexedEntry[] = [...effective.values()]
      .filter((e): e is Entry & { language: Language } => isLanguage(e.language))
      .map((e) => ({ key: key(e.topic, e.language), topic: e.topic, language: e.language, question: e.question, variants: e.variants }));
    snapshot = {
      clinicId: clinic.id,
      defaultLanguage: isLanguage(clinic.defaultLanguage) ? clinic.defaultLanguage : 'en',
      revision,
      effective,
      index: new FaqIndex(indexed),
    };
  }

  async function refresh(o: { force?: boolean; db?: DbOrTx } = {}): Promise<void> {
    if (inFlight) return inFlight;
    const p = load(o.db ?? db, o.force ?? false).finally(() => {
      checkedAt = now();
      inFlight = null;
    });
    inFlight = p;
    return p;
  }

  async function current(via: DbOrTx): Promise<Snapshot> {
    if (!snapshot || now() - checkedAt >= refreshMs) await refresh({ db: via });
    return snapshot!;
  }

  function entryFor(s: Snapshot, topic: string, language: Language): Entry | null {
    return s.effective.get(key(topic, language)) ?? s.effective.get(key(topic, s.defaultLanguage)) ?? null;
  }

  const asAnswer = (e: Entry): FaqAnswer => ({ topic: e.topic, question: e.question, answer: e.answer, link: e.link });

  async function matchEntry(text: string, language: Language, nlu: NluResult | null, via: DbOrTx = db): Promise<FaqMatch | null> {
    const s = await current(via);
    const hit = (e: Entry | null, score: number): FaqMatch | null =>
      e ? { ...asAnswer(e), score: Math.round(score * 1000) / 1000, id: e.id, language: e.language } : null;
    if (nlu && FAQ_NLU_INTENTS.includes(nlu.intent) && nlu.confidence >= NLU_CONFIDENT) {
      const direct = hit(entryFor(s, nlu.intent, language), nlu.confidence);
      if (direct) return direct;
    }
    const top = s.index.match(text, [language, s.defaultLanguage], MATCH_THRESHOLD);
    return top ? hit(entryFor(s, top.entry.topic, language), top.score) : null;
  }

  function view(via: DbOrTx): FaqLookup {
    return {
      async answer(topic, language) {
        const e = entryFor(await current(via), topic, language);
        return e ? asAnswer(e) : null;
      },
      async match(text, language, nlu) {
        const m = await matchEntry(text, language, nlu, via);
        return m ? { topic: m.topic, question: m.question, answer: m.answer, link: m.link, score: m.score } : null;
      },
      async topics(language) {
        const s = await current(via);
        const topics = new Set<string>();
        for (const e of s.effective.values()) if (e.language === language || e.language === s.defaultLanguage) topics.add(e.topic);
        const builtIn = BUILT_IN_TOPICS.filter((t) => topics.has(t));
        const custom = [...topics].filter((t) => !(BUILT_IN_TOPICS as readonly string[]).includes(t)).sort();
        return [...builtIn, ...custom].map((topic) => {
          const e = entryFor(s, topic, language)!;
          // A built-in topic's own title in another language gives way to the built-in title in this one.
          const own = e.language === language || !isBuiltInTopic(topic) ? e.title : null;
          return { topic, title: topicTitle(topic, language, own, e.question) };
        });
      },
    };
  }

  return { ...view(db), refresh, using: view, matchEntry };
}
