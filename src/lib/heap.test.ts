// The heap settings of `npm start` (src/lib/heap.ts): package.json's start script passes START_NODE_FLAGS, the
// young generation they ask for is what V8 gives, and HEAP_GROWING_PERCENT bounds how far the old generation
// grows past its live set. Each case runs in a child process: V8 flags are per process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapGrowing, START_NODE_FLAGS } from './heap.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A live set of about 100 MB and a churn of short-lived objects a quarter of them survive for a while; the peak heap. */
const CHURN = `
  const live = []; for (let i = 0; i < 1e6; i++) live.push({ i, s: 'a' + i });
  let peak = 0; const held = [];
  for (let r = 0; r < 150; r++) {
    for (let i = 0; i < 20000; i++) held.push({ r, i, b: 'x'.repeat(20) + i });
    if (held.length > 60000) held.splice(0, 20000);
    peak = Math.max(peak, process.memoryUsage().heapTotal);
  }
  const v8 = await import('node:v8');
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  console.log(JSON.stringify({ peak, young, live: live.length }));`;

function run(flags: readonly string[], percent: number): { peak: number; young: number } {
  const script = `import { applyHeapGrowing } from ${JSON.stringify(path.join(root, 'src/lib/heap.ts'))}; applyHeapGrowing(${percent}); ${CHURN}`;
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { peak: number; young: number };
}

describe('heap settings', () => {
  it('npm start passes START_NODE_FLAGS to node', () => {
    const start = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
    expect(start[0]).toBe('node');
    expect(start.slice(1, start.indexOf('bin/patientline.mjs'))).toEqual([...START_NODE_FLAGS]);
    expect(start.slice(-2)).toEqual(['bin/patientline.mjs', 'start']);
  });

  it('the young generation stays within what the start flags ask for', () => {
    const semi = Number(/^--max-semi-space-size=(\d+)$/.exec(START_NODE_FLAGS[0])?.[1]);
    expect(semi).toBeGreaterThan(0);
    // The new space is two semi-spaces' worth at most (in MB).
    expect(run(START_NODE_FLAGS, 0).young).toBeLessThanOrEqual(2 * semi * 1024 * 1024);
  });

  it('HEAP_GROWING_PERCENT keeps the old generation nearer its live set than V8 does by itself', { timeout: 120_000 }, () => {
    const own = run(START_NODE_FLAGS, 0).peak;
    const bounded = run(START_NODE_FLAGS, 50).peak;
    expect(bounded).toBeLessThan(own * 0.8);
  });

  it('refuses a negative or fractional percent', () => {
    expect(() => applyHeapGrowing(-1)).toThrow(RangeError);
    expect(() => applyHeapGrowing(1.5)).toThrow(RangeError);
  });
});
