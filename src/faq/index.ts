// The FAQ domain (issue 13): staff-edited entries (question, variants, answer, link per topic and language),
// matched on meaning (matcher.ts over text.ts), read by flows through createFaqLookup (FaqLookup of
// src/conversation/flow.ts), edited through /api/faq and the console's FAQ page.
import type { AppModule } from '../lib/module.js';
import { faqRoutes } from './routes.js';

export { createFaqLookup, NLU_CONFIDENT, type ClinicFaq, type FaqLookupOptions, type FaqMatch } from './lookup.js';
export { FaqIndex, MATCH_THRESHOLD, type IndexedEntry, type Match } from './matcher.js';
export { normalise, terms } from './text.js';
export { BUILT_IN_TITLES, BUILT_IN_TOPICS, FAQ_NLU_INTENTS, isBuiltInTopic, topicSchema, topicTitle, type BuiltInTopic } from './topics.js';
export { FAQ_EDITORS, FAQ_READERS, faqRoutes } from './routes.js';
export { faqInput, faqItem, type FaqInput, type FaqItem } from './schemas.js';

/** The FAQ API under /api/faq. */
export function faqModule(): AppModule {
  return { name: 'faq', api: (ctx) => faqRoutes(ctx) };
}
