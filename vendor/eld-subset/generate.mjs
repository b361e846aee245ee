// Writes eld's 'small' n-gram database restricted to PatientLine's six languages (ngrams-small-6.json, beside
// this file). Run from the project root after an eld upgrade: node vendor/eld-subset/generate.mjs
// The same scores as eld/small with setLanguageSubset (eld scores every language of an n-gram, then filters by
// the subset), from a 320 KB JSON file instead of a 1.6 MB JavaScript literal of sixty languages (about 90 MB
// of resident memory and 40 MB of heap in a running server). src/nlu/language.test.ts checks both claims:
// that this file is what this script makes from the installed eld, and that detection agrees.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const LANGUAGES = ['de', 'en', 'es', 'fr', 'it', 'pt'];
const here = path.dirname(fileURLToPath(import.meta.url));
export const OUTPUT = path.join(here, 'ngrams-small-6.json');

/** eld's own files, by path: its package exports only the entries, and the database is not one. */
export function eldFile(root, file) {
  return path.join(root, 'node_modules', 'eld', 'src', file);
}

/** The subset as JSON text, from the eld installed under `root`. */
export async function subsetJson(root) {
  const source = eldFile(root, 'ngrams/small.js');
  const { ngramsData } = await import(pathToFileURL(source).href);
  const ids = Object.keys(ngramsData.languages).map(Number).filter((id) => LANGUAGES.includes(ngramsData.languages[id])).sort((a, b) => a - b);
  if (ids.length !== LANGUAGES.length) throw new Error(`eld's small database lacks some of ${LANGUAGES.join(', ')}`);
  const index = new Map(ids.map((id, k) => [id, k]));
  const ngrams = {};
  for (const [gram, scores] of Object.entries(ngramsData.ngrams)) {
    let kept = null;
    for (const [id, score] of Object.entries(scores)) {
      const k = index.get(Number(id));
      if (k !== undefined) (kept ??= {})[k] = score;
    }
    if (kept) ngrams[gram] = kept;
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'eld', 'package.json'), 'utf8'));
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex');
  return JSON.stringify({
    source: { package: 'eld', version, file: 'src/ngrams/small.js', sha256, licence: 'Apache-2.0' },
    type: ngramsData.type,
    languages: Object.fromEntries(ids.map((id, k) => [k, ngramsData.languages[id]])),
    ngrams,
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = await subsetJson(process.cwd());
  fs.writeFileSync(OUTPUT, json);
  process.stdout.write(`wrote ${OUTPUT} (${json.length} bytes)\n`);
}
