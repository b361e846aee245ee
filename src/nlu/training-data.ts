// The versioned training and dev files under src/nlu/data/<lang>/ (train.yaml: intent → utterances;
// dev.yaml: a list of { text, intent }), validated with zod when read, and a hash of the training files that
// keys the model cache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { INTENTS, type Intent, type Language } from './types.js';

/** src/nlu/data, from src/nlu (tsx, vitest) and from dist/nlu (the build) alike. */
export const DEFAULT_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/nlu/data');

const intentSchema = z.enum(INTENTS);
const trainSchema = z.partialRecord(intentSchema, z.array(z.string().min(1).max(4096)).default([]));
const devSchema = z.array(z.object({ text: z.string().min(1).max(4096), intent: intentSchema }).strict());

export interface Utterance {
  text: string;
  intent: Intent;
}
export type Corpus = Record<Language, Utterance[]>;

export interface TrainingData {
  corpus: Corpus;
  /** sha256 of every training file's bytes, in language order: the model cache's key. */
  hash: string;
}

function parseYaml(file: string): unknown {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

/** One value per language, built by `fn`. */
export function perLanguage<T>(fn: (language: Language) => T): Record<Language, T> {
  return { en: fn('en'), fr: fn('fr'), it: fn('it'), es: fn('es'), pt: fn('pt'), de: fn('de') };
}

export function loadTrainingData(dir: string = DEFAULT_DATA_DIR): TrainingData {
  const hash = crypto.createHash('sha256');
  const corpus = perLanguage((language) => {
    const file = path.join(dir, language, 'train.yaml');
    const bytes = fs.readFileSync(file);
    hash.update(`${language}\0`).update(bytes).update('\0');
    const parsed = trainSchema.safeParse(YAML.parse(bytes.toString('utf8')));
    if (!parsed.success) throw new Error(`${file}: not a map of intent → utterances (${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
    const list: Utterance[] = [];
    for (const intent of INTENTS) for (const text of parsed.data[intent] ?? []) list.push({ text, intent });
    return list;
  });
  return { corpus, hash: hash.digest('hex') };
}

export function loadDevSet(language: Language, dir: string = DEFAULT_DATA_DIR): Utterance[] {
  const file = path.join(dir, language, 'dev.yaml');
  const parsed = devSchema.safeParse(parseYaml(file));
  if (!parsed.success) throw new Error(`${file}: not a list of { text, intent } (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return parsed.data;
}
