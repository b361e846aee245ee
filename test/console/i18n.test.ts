// The console's message catalogue: fr is complete (every key of en), every language has only keys that en
// has, placeholders match; what de, es, it and pt still lack is printed (they fall back to English).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = path.resolve('web/console/src/i18n');
const COMPLETE = ['fr'];
const PARTIAL = ['de', 'es', 'it', 'pt'];

type Tree = { [k: string]: string | Tree };

function load(lang: string): Tree {
  return JSON.parse(fs.readFileSync(path.join(DIR, `${lang}.json`), 'utf8'));
}

function flatten(t: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
const en = flatten(load('en'));

/** The keys of `lang` missing against en. */
export function missing(lang: string): string[] {
  const l = flatten(load(lang));
  return [...en.keys()].filter((k) => !l.has(k));
}

describe('console message catalogue', () => {
  it('has every language the picker offers, and a sizeable English catalogue', () => {
    for (const l of ['en', ...COMPLETE, ...PARTIAL]) expect(fs.existsSync(path.join(DIR, `${l}.json`)), l).toBe(true);
    expect(en.size).toBeGreaterThan(100);
  });

  it.each(COMPLETE)('%s has every key of en', (lang) => {
    expect(missing(lang)).toEqual([]);
  });

  it.each([...COMPLETE, ...PARTIAL])('%s has no key that en lacks, and the same placeholders', (lang) => {
    const l = flatten(load(lang));
    expect([...l.keys()].filter((k) => !en.has(k))).toEqual([]);
    for (const [k, v] of l) expect(placeholders(v), `${lang} ${k}`).toEqual(placeholders(en.get(k) ?? ''));
  });

  it('has every key that the console code names literally', () => {
    const src = path.resolve('web/console/src');
    const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const used = new Set<string>();
    for (const f of files) {
      const code = fs.readFileSync(path.join(src, f), 'utf8');
      for (const m of code.matchAll(/\bt\(\s*'([\w.]+)'|titleKey: '([\w.]+)'/g)) used.add(m[1] ?? m[2] ?? '');
    }
    expect(used.size).toBeGreaterThan(80);
    expect([...used].filter((k) => !en.has(k))).toEqual([]);
  });

  it('lists what the partial languages still lack (they fall back to English)', () => {
    const report = PARTIAL.map((lang) => ({ lang, missing: missing(lang) }));
    for (const { lang, missing: keys } of report) {
      process.stdout.write(`console i18n: ${lang} lacks ${keys.length} of ${en.size} keys (English shown instead)${keys.length ? `: ${keys.join(', ')}` : ''}\n`);
    }
    // The partial ones at least translate the frame: navigation and login.
    for (const { lang, missing: keys } of report) expect(keys.filter((k) => k.startsWith('nav.') && k !== 'nav.accountOf'), lang).toEqual([]);
  });
});
