// The understanding layer's public surface: language, intents, entities and red flags of a patient message
// (createNlu), and POST /api/nlu/parse (nluModule). main.ts builds the model once at start:
//   const nlu = await createNlu();  …  modules: [..., nluModule(async () => nlu)]
// (main.ts loads it at start where workers read patients' messages, else on the first /api/nlu/parse).
import type { AppModule } from '../lib/module.js';
import { nluRoutes } from './routes.js';
import type { CreateNluOptions, LoadedNlu } from './nlu.js';
import type { Nlu } from './types.js';

export * from './types.js';
export { detectRedFlags } from './redflags/index.js';
export type { CreateNluOptions, LoadedNlu } from './nlu.js';
export type { EntityOptions } from './entities/index.js';
export { DEFAULT_TIME_ZONE } from './routes.js';

/**
 * Loads the model (trained, or from its cache). The classifier, the language packs and the date parsers are
 * imported here, on first use: a CLI command that never understands a message does not pay for them.
 */
export async function createNlu(opts?: CreateNluOptions): Promise<LoadedNlu> {
  return (await import('./nlu.js')).createNlu(opts);
}

/** POST /api/nlu/parse, answered by the understanding layer `nlu` gives (called per request; it caches). */
export function nluModule(nlu: () => Promise<Nlu>): AppModule {
  return { name: 'nlu', api: (ctx) => nluRoutes(ctx, nlu) };
}
