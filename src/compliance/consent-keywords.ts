// STOP and START in every supported language: the words (src/compliance/consent-words/<lang>.json, one file
// per language with its confirmations), how a message is recognised as one of them, and the step the
// conversation engine runs before its handler. A keyword counts only alone in a message: whitespace,
// punctuation and emoji around it are ignored, case and accents too ("Arrêt !" is ARRET), but "stop smoking
// tips" or "I want to cancel my appointment" are ordinary messages. CANCEL/ANNULER/CANCELAR alone are not
// opt-outs here (carriers list CANCEL, but at a clinic it answers an appointment reminder), nor is YES an
// opt-in (it confirms appointments).
import { z } from 'zod';
import type { Tx } from '../db/database.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import { text, type OutboundMessage } from '../whatsapp/outbound.js';
import { recordConsent } from './consent.js';
import de from './consent-words/de.json' with { type: 'json' };
import en from './consent-words/en.json' with { type: 'json' };
import es from './consent-words/es.json' with { type: 'json' };
import fr from './consent-words/fr.json' with { type: 'json' };
import it from './consent-words/it.json' with { type: 'json' };
import pt from './consent-words/pt.json' with { type: 'json' };

export const KEYWORD_TEXT_VERSION = 'whatsapp-keywords-1';
export const DEFAULT_LANGUAGE = 'en';

const wordsSchema = z.object({
  language: z.string().regex(/^[a-z]{2}$/),
  optOut: z.array(z.string().min(1)).min(1),
  optIn: z.array(z.string().min(1)).min(1),
  confirmOptOut: z.string().min(1).max(4096),
  confirmOptIn: z.string().min(1).max(4096),
});
export type ConsentWords = z.output<typeof wordsSchema>;

/** Every language's words and confirmations, validated at load: a broken file fails start, not a STOP. */
export const CONSENT_WORDS: ReadonlyMap<string, ConsentWords> = new Map([en, fr, it, es, pt, de].map((w) => {
  const parsed = wordsSchema.parse(w);
  return [parsed.language, parsed];
}));

/**
 * Lower case, accents off (NFKD: also full-width letters; marks stripped), whitespace, punctuation, symbols and emoji around the word
 * dropped, runs of spaces, dashes and underscores inside it made one space.
 */
export function normaliseKeyword(input: string): string {
  return input
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\p{Extended_Pictographic}\u{FE0F}\u{200D}\u{20E3}\u{1F1E6}-\u{1F1FF}\u{1F3FB}-\u{1F3FF}]/gu, ' ')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '')
    .replace(/[\s_\-\u2010-\u2015]+/gu, ' ');
}

export type KeywordAction = 'opt_out' | 'opt_in';
interface Entry {
  action: KeywordAction;
  /** The languages whose list has this word (several: STOP, PARAR, START). */
  languages: string[];
  /** The word as it is listed, for the event's source ('keyword:ARRET'). */
  canonical: string;
}

const TABLE: ReadonlyMap<string, Entry> = (() => {
  const t = new Map<string, Entry>();
  for (const words of CONSENT_WORDS.values()) {
    for (const [action, list] of [['opt_out', words.optOut], ['opt_in', words.optIn]] as const) {
      for (const w of list) {
        const key = normaliseKeyword(w);
        const found = t.get(key);
        if (found && found.action !== action) throw new Error(`consent word "${w}" is both an opt-out and an opt-in`);
        if (found) {
          if (!found.languages.includes(words.language)) found.languages.push(words.language);
        } else {
          t.set(key, { action, languages: [words.language], canonical: key.toUpperCase() });
        }
      }
    }
  }
  return t;
})();

export interface KeywordMatch {
  action: KeywordAction;
  /** Upper case, accents off: 'STOP', 'ARRET', 'DAR DE BAJA'. */
  keyword: string;
  /** The keyword's language when only one language has it, else null. */
  language: string | null;
}

export function matchKeyword(input: string): KeywordMatch | null {
  if (input.length > 64) return null;
  const e = TABLE.get(normaliseKeyword(input));
  if (!e) return null;
  return { action: e.action, keyword: e.canonical, language: e.languages.length === 1 ? e.languages[0]! : null };
}

/** The text a patient typed or tapped: a text message, a quick-reply button of a template, a reply button. */
function typed(message: InboundMessage): string | null {
  if (message.type === 'text') return message.text;
  if (message.type === 'button') return message.text;
  if (message.type === 'interactive' && (message.reply.kind === 'button_reply' || message.reply.kind === 'list_reply')) return message.reply.title;
  return null;
}

/** The confirmation's language: the keyword's when unique to one, else the patient's, else English. */
export function confirmationLanguage(match: KeywordMatch, patientLanguage: string | null): string {
  if (match.language) return match.language;
  const stored = patientLanguage?.toLowerCase().split(/[-_]/)[0];
  return stored && CONSENT_WORDS.has(stored) ? stored : DEFAULT_LANGUAGE;
}

export interface KeywordStepInput {
  message: InboundMessage;
  patient: { id: string; language: string | null };
  now: Date;
}

/** What a STOP/START message means, without recording it (the conversation engine's pure step), or null. */
export function keywordDecision(message: InboundMessage, patientLanguage: string | null): { action: KeywordAction; granted: boolean; language: string; source: string; reply: string } | null {
  const said = typed(message);
  const match = said === null ? null : matchKeyword(said);
  if (!match) return null;
  const language = confirmationLanguage(match, patientLanguage);
  const words = CONSENT_WORDS.get(language) ?? CONSENT_WORDS.get(DEFAULT_LANGUAGE)!;
  return {
    action: match.action, granted: match.action === 'opt_in', language, source: `keyword:${match.keyword}`,
    reply: match.action === 'opt_out' ? words.confirmOptOut : words.confirmOptIn,
  };
}

/** Records an opt-out of everything business-initiated (granted false) or the opt-in back, from the patient's chat. */
export async function recordChatConsent(tx: Tx, o: { patientId: string; granted: boolean; language: string; source: string; now: Date }): Promise<void> {
  await recordConsent(tx, {
    patientId: o.patientId, purpose: 'all', granted: o.granted, textVersion: KEYWORD_TEXT_VERSION, language: o.language,
    channel: 'whatsapp', recordedBy: null, source: o.source, actor: { type: 'patient', id: o.patientId }, at: o.now,
  });
}

/**
 * The consent step of the conversation engine, before its handler: STOP and START (any language) are
 * recorded and confirmed with exactly one message; the handler must then not answer (`replies` is all
 * there is to send). Returns null for any other message. The confirmation is a reply to the patient's own
 * message: the opt-out it confirms does not refuse it.
 */
export async function consentKeywordStep(tx: Tx, input: KeywordStepInput): Promise<{ replies: OutboundMessage[] } | null> {
  const d = keywordDecision(input.message, input.patient.language);
  if (!d) return null;
  await recordChatConsent(tx, { patientId: input.patient.id, granted: d.granted, language: d.language, source: d.source, now: input.now });
  return { replies: [text(d.reply)] };
}
