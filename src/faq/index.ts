// The FAQ domain (issue 13): staff-edited entries (question, variants, answer, link per topic and language),
// matched on meaning (matcher.ts over text.ts), read by flows through createFaqLookup (FaqLookup of
// src/conversation/flow.ts), edited through /api/faq and the console's FAQ page.
export { createFaqLookup, NLU_CONFIDENT, type ClinicFaq, type FaqLookupOptions, type FaqMatch } from './lookup.js';
export { FaqIndex, MATCH_THRESHOLD, type IndexedEntry, type Match } from './matcher.js';
export { normalise, terms } from './text.js';
export { BUILT_IN_TITLES, BUILT_IN_TOPICS, FAQ_NLU_INTENTS, isBuiltInTopic, topicSchema, topicTitle, type BuiltInTopic } from './topics.js';
