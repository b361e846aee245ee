// The red-flag dev sets (dev/<lang>.yaml): `{ text, emergency, kind? }` per message, read by the tests here
// and by the NLU benchmark. Parsed with zod so a malformed entry fails loudly.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RED_FLAG_KINDS, type Language } from '../types.js';
import { DEV_DIR } from './index.js';

export const devEntrySchema = z.strictObject({
  text: z.string().min(1),
  emergency: z.boolean(),
  kind: z.enum(RED_FLAG_KINDS).optional(),
});
export type DevEntry = z.infer<typeof devEntrySchema>;

export function loadDevSet(language: Language): DevEntry[] {
  return z.array(devEntrySchema).parse(parseYaml(fs.readFileSync(path.join(DEV_DIR, `${language}.yaml`), 'utf8')));
}
