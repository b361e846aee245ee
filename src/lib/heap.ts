// How the server sizes V8's heap. Two settings, both measured with 100,000 reminders due at once (README,
// "Reminders at 1,000/s"):
//
// - The young generation: Node 24 sizes it from the machine's memory (on a 24 GB machine a new space of
//   128 MB, which a busy server fills and keeps). `npm start` passes --max-semi-space-size=8 (a flag V8 reads
//   only when the process starts, so it is in package.json's start script, below: START_NODE_FLAGS): the idle
//   server 270 → 190 MB of RSS, the sender as fast.
// - How far the old generation may grow past what survived the last major collection before the next one:
//   V8 lets a process that allocates fast grow it up to fourfold, garbage that sits in RSS between
//   collections (a reminder flood: +260 MB). HEAP_GROWING_PERCENT (default 50: the next collection at 1.5× the
//   live set) bounds it; V8 reads it at every collection, so it is set here, at start. 0 keeps V8's own rule.
import v8 from 'node:v8';

/** The node flags of `npm start` (package.json's start script; a test checks they agree). */
export const START_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

/** Applies HEAP_GROWING_PERCENT (see above); 0 leaves V8's default. */
export function applyHeapGrowing(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError('heap growing percent must be a non-negative integer');
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
