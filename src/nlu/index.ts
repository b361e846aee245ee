// The understanding layer's public surface: language, intents, entities and red flags of a patient message
// (createNlu), and POST /api/nlu/parse (nluModule). main.ts builds the model once at start:
//   const nlu = await createNlu();  …  modules: [..., nluModule(nlu)]
import type { AppModule } from '../lib/module.js';
import { nluRoutes } from './routes.js';
import type { Nlu } from './types.js';

export * from './types.js';
export { detectRedFlags } from './redflags/index.js';
export { createNlu, MIN_CONFIDENCE, type CreateNluOptions, type LoadedNlu } from './nlu.js';
export { extractEntities, type EntityOptions } from './entities/index.js';
export { foldText, normalizeText } from './normalize.js';
export { DEFAULT_TIME_ZONE } from './routes.js';

/** POST /api/nlu/parse, answered by `nlu`. */
export function nluModule(nlu: Nlu): AppModule {
  return { name: 'nlu', api: (ctx) => nluRoutes(ctx, nlu) };
}
