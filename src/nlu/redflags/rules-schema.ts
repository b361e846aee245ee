// The shape of a red-flag rules file (rules/<lang>.yaml), validated with zod when the module loads: a broken
// file stops start-up with the file and the field named.
import { z } from 'zod';
import { LANGUAGES, RED_FLAG_KINDS } from '../types.js';

const phrase = z.string().trim().min(1);
/** One word, no spaces: negation cues and terminators are matched word by word. */
const word = z.string().trim().regex(/^\S+$/, 'one word, without spaces');

/** A pattern: words in order, each within `gap` words of the previous one (see rules/README.md). */
export const patternSchema = z.union([
  phrase,
  z.strictObject({
    pattern: phrase,
    /** The elements may come in any order, all within `within` words. */
    anyOrder: z.boolean().default(false),
    within: z.number().int().min(1).max(30).default(12),
    /** false: a negation cue before it does not cancel it ("no, I can't breathe"). */
    negatable: z.boolean().default(true),
    /** false: the kind's near-misses do not cancel it (a nosebleed that will not stop is still one). */
    except: z.boolean().default(true),
  }),
]);
export type PatternInput = z.infer<typeof patternSchema>;

export const kindRulesSchema = z.strictObject({
  patterns: z.array(patternSchema).min(1),
  /** Near-misses: a match is dropped when one of these is found in the same clause (5 words either side). */
  except: z.array(phrase).default([]),
  /** Past events ("years ago", the language's `history` patterns) in the same clause drop a match. */
  history: z.boolean().default(false),
});

export const rulesFileSchema = z.strictObject({
  language: z.enum(LANGUAGES),
  /** Number words up to twelve, for ages ("six weeks old"). */
  numbers: z.record(z.string(), z.number().int().min(0).max(100)).default({}),
  age: z.strictObject({
    days: z.array(phrase).min(1),
    weeks: z.array(phrase).min(1),
    months: z.array(phrase).min(1),
    /** Words right before a number that make it an age ("aged", "de" in "bébé de 2 mois"). */
    before: z.array(phrase).default([]),
    /** Words right after the unit that make it an age ("old"). */
    after: z.array(phrase).default([]),
  }),
  negation: z.strictObject({
    cues: z.array(word).min(1),
    /** Phrases that begin with a cue but do not negate ("not only", "no doubt"). */
    pseudo: z.array(phrase).default([]),
    /** How many words after the cue it reaches. */
    scope: z.number().int().min(1).max(6).default(3),
    /** Words that end a negation's scope ("but"); punctuation always does. */
    terminators: z.array(word).default([]),
    /** Words that carry a negation on to the next item of a list ("no chest pain *or* shortness of breath"). */
    continuers: z.array(word).default([]),
  }),
  history: z.array(phrase).default([]),
  /** Short forms patients write for a word of the rules (`nn: non`, `nich: nicht`): wherever the rules use
   * the word (patterns, terms, negation cues, history), the short form matches too, exactly. */
  aliases: z.record(word, word).default({}),
  terms: z.record(z.string().regex(/^[a-z_]+$/), z.array(phrase).min(1)),
  kinds: z.partialRecord(z.enum(RED_FLAG_KINDS), kindRulesSchema),
});
export type RulesFile = z.infer<typeof rulesFileSchema>;
