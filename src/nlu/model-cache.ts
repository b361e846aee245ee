// The trained intent model, cached as JSON under a name that carries the hash of the training files: a
// change to any train.yaml makes a new name, so a stale model is never read. The cache is derived data
// (retrained from the versioned files whenever it is missing or unreadable), which is why the default place
// is the OS temp folder and not DATA_DIR: nothing of a clinic's is in it, and losing it costs one training.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IntentModel } from './intents.js';
import type { TrainingData } from './training-data.js';

export interface ModelSource {
  kind: 'trained' | 'cache';
  ms: number;
  /** The cache file read or written, if any. */
  file?: string;
}

/** Bumped when the model's JSON or the features it is trained on change shape. */
const MODEL_FORMAT = 'v2';

export function cacheFile(dir: string, hash: string): string {
  return path.join(dir, `patientline-nlu-${MODEL_FORMAT}-${hash.slice(0, 32)}.json`);
}

export async function loadModel(data: TrainingData, cacheDir: string | false = os.tmpdir()): Promise<{ model: IntentModel; source: ModelSource }> {
  const started = performance.now();
  const file = cacheDir === false ? undefined : cacheFile(cacheDir, data.hash);
  if (file && fs.existsSync(file)) {
    try {
      const model = IntentModel.fromJSON(JSON.parse(await fs.promises.readFile(file, 'utf8')));
      return { model, source: { kind: 'cache', ms: performance.now() - started, file } };
    } catch {
      // A torn or foreign file: train and overwrite it.
    }
  }
  const model = IntentModel.train(data.corpus);
  if (file) {
    try {
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
      await fs.promises.writeFile(tmp, JSON.stringify(model.toJSON()));
      await fs.promises.rename(tmp, file);
    } catch {
      // A read-only temp folder only means training again next start.
    }
  }
  return { model, source: { kind: 'trained', ms: performance.now() - started, ...(file ? { file } : {}) } };
}
