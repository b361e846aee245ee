// Test access to Meta's OpenAPI spec, vendored in vendor/meta-openapi with its licence and provenance (webhook,
// send and error examples used as fixtures we did not write).
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

const SPEC_PATH = fileURLToPath(new URL('../vendor/meta-openapi/business-messaging-api_v23.0.yaml', import.meta.url));
/** sha256 of the vendored copy (vendor/meta-openapi/README.md): a fixture edited by hand is no longer Meta's. */
const SPEC_SHA256 = 'c7148d5e2aeff32f2effc3d3557795d7eddd07abf8b017c9e40e86bb3312c116';

let cached: unknown;
export function metaSpec(): unknown {
  if (cached === undefined) {
    const bytes = readFileSync(SPEC_PATH);
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    if (sha !== SPEC_SHA256) throw new Error(`vendored Meta spec changed: sha256 ${sha}, expected ${SPEC_SHA256}`);
    cached = parse(bytes.toString('utf8'));
  }
  return cached;
}

const pathsSchema = z.object({ paths: z.record(z.string(), z.unknown()) });
const postExamplesSchema = z.object({
  post: z.object({
    requestBody: z.object({
      content: z.object({
        'application/json': z.object({
          examples: z.record(z.string(), z.object({ value: z.record(z.string(), z.unknown()) })),
        }),
      }),
    }),
  }),
});

function examplesAt(path: string): SpecExample[] {
  const post = postExamplesSchema.parse(pathsSchema.parse(metaSpec()).paths[path]).post;
  return Object.entries(post.requestBody.content['application/json'].examples).map(([name, e]) => ({ name, value: e.value }));
}

export type SpecExample = { name: string; value: Record<string, unknown> };

/** The 16 request-body examples of `POST /whatsapp/webhooks`. */
export function webhookExamples(): SpecExample[] {
  return examplesAt('/whatsapp/webhooks');
}

/** The 50 request-body examples of `POST /{Version}/{Phone-Number-ID}/messages`. */
export function sendExamples(): SpecExample[] {
  return examplesAt('/{Version}/{Phone-Number-ID}/messages');
}

/** Every `{ error: { code, … } }` object anywhere in the spec (response examples), with where it was found. */
export function errorBodies(): { at: string; body: { error: Record<string, unknown> } }[] {
  const found: { at: string; body: { error: Record<string, unknown> } }[] = [];
  const errorBody = z.object({ error: z.record(z.string(), z.unknown()).refine((e) => 'code' in e) });
  const walk = (node: unknown, at: string): void => {
    if (node === null || typeof node !== 'object') return;
    const asError = errorBody.safeParse(node);
    if (asError.success) found.push({ at, body: asError.data });
    for (const [key, child] of Object.entries(node)) walk(child, `${at}.${key}`);
  };
  walk(metaSpec(), '$');
  return found;
}
