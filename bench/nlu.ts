// The understanding layer's Measures (issue 13): intent accuracy per language and per intent and language
// accuracy on src/nlu/data/<lang>/dev.yaml, emergency recall and specificity on the safety branch's
// src/nlu/redflags/dev/<lang>.yaml (when present), the model's start-up time (trained, and from the cache),
// and the latency of one parse beside a baseline in the same process (normalise + an exact lookup of the
// training utterances: what the cheapest "understanding" costs on this machine).
//
// Run by bench/run.ts (BENCH_ONLY=nlu, or the default run), or alone: `npx tsx bench/nlu.ts`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { createNlu } from '../src/nlu/nlu.js';
import { normalizeText } from '../src/nlu/normalize.js';
import { DEFAULT_DATA_DIR, loadDevSet, loadTrainingData } from '../src/nlu/training-data.js';
import { INTENTS, LANGUAGES, type Intent, type Language } from '../src/nlu/types.js';
import { fmt, type Check } from './report.js';

const RED_FLAG_DIR = path.resolve(DEFAULT_DATA_DIR, '../redflags/dev');
const redFlagSet = z.array(z.object({ text: z.string().min(1), emergency: z.boolean(), kind: z.string().optional() }).passthrough());
/** Passes over the dev texts for the latency figures. */
const ROUNDS = 20;
const NOW = new Date('2026-12-01T09:00:00Z');
const ZONE = 'Europe/Paris';

export interface NluBench {
  markdown: string;
  checks: Check[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const pct = (n: number, d: number) => (d ? (100 * n) / d : NaN);

export async function runNlu(log: (line: string) => void = () => {}): Promise<NluBench> {
  let started = performance.now();
  const nlu = await createNlu({ cacheDir: false });
  const trainMs = performance.now() - started;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'patientline-nlu-bench-'));
  let cachedMs = NaN;
  try {
    await createNlu({ cacheDir });
    started = performance.now();
    const again = await createNlu({ cacheDir });
    cachedMs = performance.now() - started;
    if (again.source.kind !== 'cache') log('nlu: the second start did not read the cache');
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  log(`nlu: trained in ${fmt(trainMs, 0)} ms, loaded from the cache in ${fmt(cachedMs, 0)} ms`);

  // Intent and language accuracy.
  const perLanguage: { language: Language; n: number; intent: number; lang: number }[] = [];
  const perIntent = new Map<Intent, { n: number; ok: number }>();
  const confusion: string[] = [];
  const texts: { text: string; language: Language }[] = [];
  for (const language of LANGUAGES) {
    const dev = loadDevSet(language);
    let intent = 0;
    let lang = 0;
    for (const d of dev) {
      texts.push({ text: d.text, language });
      const r = nlu.parse(d.text, { now: NOW, timeZone: ZONE });
      const cell = perIntent.get(d.intent) ?? { n: 0, ok: 0 };
      cell.n += 1;
      if (r.intent === d.intent) {
        intent += 1;
        cell.ok += 1;
      } else confusion.push(`${language}: ${d.intent} → ${r.intent}`);
      perIntent.set(d.intent, cell);
      if (r.language === language) lang += 1;
    }
    perLanguage.push({ language, n: dev.length, intent, lang });
  }

  // Emergencies, on the safety branch's dev sets.
  const flags: { language: Language; positives: number; caught: number; negatives: number; clear: number }[] = [];
  for (const language of LANGUAGES) {
    const file = path.join(RED_FLAG_DIR, `${language}.yaml`);
    if (!fs.existsSync(file)) continue;
    const set = redFlagSet.parse(YAML.parse(fs.readFileSync(file, 'utf8')));
    const row = { language, positives: 0, caught: 0, negatives: 0, clear: 0 };
    for (const item of set) {
      const r = nlu.parse(item.text, { now: NOW, timeZone: ZONE });
      if (item.emergency) {
        row.positives += 1;
        if (r.emergency) row.caught += 1;
      } else {
        row.negatives += 1;
        if (!r.emergency) row.clear += 1;
      }
    }
    flags.push(row);
  }

  // Latency: a full parse (red flags, language, intent, entities), the classifier alone, and the baseline.
  const lookup = new Map<string, Intent>();
  const data = loadTrainingData();
  for (const language of LANGUAGES) for (const u of data.corpus[language]) lookup.set(`${language}\0${normalizeText(u.text, language)}`, u.intent);
  const parseMs: number[] = [];
  const classifyMs: number[] = [];
  const baselineMs: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const t of texts) {
      let a = performance.now();
      sink += nlu.parse(t.text, { now: NOW, timeZone: ZONE }).confidence;
      parseMs.push(performance.now() - a);
      a = performance.now();
      sink += nlu.classify(t.text, t.language).length;
      classifyMs.push(performance.now() - a);
      a = performance.now();
      sink += lookup.get(`${t.language}\0${normalizeText(t.text, t.language)}`) === undefined ? 0 : 1;
      baselineMs.push(performance.now() - a);
    }
  }
  if (Number.isNaN(sink)) log('nlu: a confidence was NaN');
  for (const a of [parseMs, classifyMs, baselineMs]) a.sort((x, y) => x - y);

  const totalN = perLanguage.reduce((s, r) => s + r.n, 0);
  const totalIntent = perLanguage.reduce((s, r) => s + r.intent, 0);
  const totalLang = perLanguage.reduce((s, r) => s + r.lang, 0);
  const positives = flags.reduce((s, r) => s + r.positives, 0);
  const caught = flags.reduce((s, r) => s + r.caught, 0);
  const negatives = flags.reduce((s, r) => s + r.negatives, 0);
  const clear = flags.reduce((s, r) => s + r.clear, 0);
  const p99 = percentile(parseMs, 0.99);

  const lines: string[] = [];
  lines.push('### Understanding (src/nlu): dev sets', '');
  lines.push(`Model: trained at start in ${fmt(trainMs, 0)} ms, read from its cache in ${fmt(cachedMs, 0)} ms (target < 5 s). ${totalN} dev messages (${LANGUAGES.join(', ')}), none a training text.`, '');
  lines.push('| language | messages | intent accuracy | language accuracy |', '| --- | --- | --- | --- |');
  for (const r of perLanguage) lines.push(`| ${r.language} | ${r.n} | ${fmt(pct(r.intent, r.n), 1)} % | ${fmt(pct(r.lang, r.n), 1)} % |`);
  lines.push(`| all | ${totalN} | ${fmt(pct(totalIntent, totalN), 1)} % | ${fmt(pct(totalLang, totalN), 1)} % |`, '');
  lines.push('| intent | messages | accuracy |', '| --- | --- | --- |');
  for (const intent of INTENTS) {
    const c = perIntent.get(intent);
    if (c) lines.push(`| ${intent} | ${c.n} | ${fmt(pct(c.ok, c.n), 1)} % |`);
  }
  lines.push('');
  if (confusion.length) lines.push(`Misread: ${confusion.join('; ')}.`, '');
  if (flags.length) {
    lines.push('| red flags (src/nlu/redflags/dev) | emergencies | caught (recall) | non-emergencies | left alone (specificity) |', '| --- | --- | --- | --- | --- |');
    for (const r of flags) lines.push(`| ${r.language} | ${r.positives} | ${r.caught} (${fmt(pct(r.caught, r.positives), 1)} %) | ${r.negatives} | ${r.clear} (${fmt(pct(r.clear, r.negatives), 1)} %) |`);
    lines.push(`| all | ${positives} | ${caught} (${fmt(pct(caught, positives), 1)} %) | ${negatives} | ${clear} (${fmt(pct(clear, negatives), 1)} %) |`, '');
  } else {
    lines.push('No red-flag dev sets (src/nlu/redflags/dev/<lang>.yaml): emergency recall and specificity not measured.', '');
  }
  lines.push(`| latency per message (${parseMs.length.toLocaleString('en-US')} calls) | p50 | p99 | p99 vs baseline |`, '| --- | --- | --- | --- |');
  const row = (what: string, a: number[]) => `| ${what} | ${fmt(percentile(a, 0.5), 3)} ms | ${fmt(percentile(a, 0.99), 3)} ms | ${fmt(percentile(a, 0.99) / percentile(baselineMs, 0.99), 1)}× |`;
  lines.push(row('parse: red flags, language, intent, entities', parseMs), row('intent classifier alone', classifyMs), row('baseline: normalise + exact lookup', baselineMs), '');

  const checks: Check[] = [];
  for (const r of perLanguage) {
    checks.push({ what: `NLU intent accuracy, ${r.language}`, target: '≥ 90 %', measured: `${fmt(pct(r.intent, r.n), 1)} %`, pass: r.intent >= 0.9 * r.n });
    checks.push({ what: `NLU language accuracy, ${r.language}`, target: '≥ 95 %', measured: `${fmt(pct(r.lang, r.n), 1)} %`, pass: r.lang >= 0.95 * r.n });
  }
  if (flags.length) {
    checks.push({ what: 'Emergency recall', target: '100 %', measured: `${caught} / ${positives}`, pass: caught === positives && positives > 0 });
    checks.push({ what: 'Emergency specificity', target: '≥ 90 %', measured: `${fmt(pct(clear, negatives), 1)} %`, pass: clear >= 0.9 * negatives });
  }
  checks.push({ what: 'NLU parse latency p99', target: '≤ 20 ms', measured: `${fmt(p99, 2)} ms`, pass: p99 <= 20 });
  checks.push({ what: 'NLU model ready at start', target: '< 5 s', measured: `${fmt(trainMs / 1000, 2)} s trained, ${fmt(cachedMs / 1000, 2)} s cached`, pass: trainMs < 5000 });
  return { markdown: `${lines.join('\n')}\n`, checks };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runNlu((line) => process.stderr.write(`[bench] ${line}\n`));
  process.stdout.write(`${r.markdown}\n| check | target | measured | result |\n| --- | --- | --- | --- |\n${r.checks.map((c) => `| ${c.what} | ${c.target} | ${c.measured} | ${c.pass ? 'PASS' : '**MISS**'} |`).join('\n')}\n`);
}
