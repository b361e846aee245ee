// Red-flag emergency detection: runs first on every inbound text, in every supported language, before
// consent, flows or a human handoff. The rules are data a clinician can read (rules/<lang>.yaml, see
// rules/README.md), validated when this module loads: a broken file stops start-up. Every language's rules
// are checked on every message whatever its language, so a mixed-language message or a wrong language
// detection cannot hide an emergency.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { LANGUAGES, type Language, type RedFlag, type RedFlagKind, RED_FLAG_KINDS } from '../types.js';
import { Message, RulesError, Vocabulary, compileLanguage, detect, type CompiledLanguage } from './matcher.js';
import { rulesFileSchema } from './rules-schema.js';

// The same path from src/nlu/redflags (tests, tsx) and dist/nlu/redflags (the build): the YAML stays in src.
const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RULES_DIR = path.join(PROJECT, 'src', 'nlu', 'redflags', 'rules');
export const DEV_DIR = path.join(PROJECT, 'src', 'nlu', 'redflags', 'dev');

/** Parses and validates one rules file's text; throws RulesError naming the language and the field. */
export function compileRules(yamlText: string, label: string): CompiledLanguage {
  let raw: unknown;
  try {
    raw = parseYaml(yamlText);
  } catch (e) {
    throw new RulesError(label, `not valid YAML: ${(e as Error).message}`);
  }
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RulesError(label, `${issue.path.join('.') || '(file)'}: ${issue.message}`);
  }
  if (parsed.data.language !== label) throw new RulesError(label, `the file says language ${parsed.data.language}`);
  return compileLanguage(parsed.data);
}

function loadAll(): CompiledLanguage[] {
  return LANGUAGES.map((lang) => compileRules(fs.readFileSync(path.join(RULES_DIR, `${lang}.yaml`), 'utf8'), lang));
}

const COMPILED = loadAll();
const VOCABULARY = new Vocabulary(COMPILED);

/** Hard cap on what is read: WhatsApp text messages are at most 4,096 characters. */
const MAX_CHARS = 8192;

/**
 * The red flags in a message, at most one per kind, in RED_FLAG_KINDS order. All six languages' rules are
 * always checked. `language` (the detected or preferred one) puts that language's rules first and lets its
 * negations ("sin", "keine") cancel another language's match of the same words.
 */
export function detectRedFlags(text: string, language?: Language): RedFlag[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const message = new Message(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text, VOCABULARY);
  if (message.tokens.length === 0) return [];
  const found = new Map<RedFlagKind, RedFlag>();
  const order = language === undefined ? COMPILED : [...COMPILED].sort((a, b) => Number(b.language === language) - Number(a.language === language));
  const own = language === undefined ? undefined : COMPILED.find((c) => c.language === language);
  for (const lang of order) detect(message, lang, found, own);
  return RED_FLAG_KINDS.flatMap((k) => {
    const f = found.get(k);
    return f === undefined ? [] : [f];
  });
}

export { RulesError } from './matcher.js';
/** The tokeniser and typo test the rules use, for other rule-driven matching (the triage flow's words). */
export { collapse, normaliseWords, withinOneEdit, FUZZY_MIN } from './text.js';
