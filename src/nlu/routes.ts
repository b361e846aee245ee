// POST /api/nlu/parse for every staff role: the understanding of one message, for staff tools and for
// evaluation. The text is the caller's: it is neither stored nor logged (Fastify logs the route, not the
// body). Dates resolve in the zone given, else the clinic's first location's, else Europe/Paris.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ANY_ROLE } from '../http/api.js';
import type { ModuleContext } from '../lib/module.js';
import { parseBody, parseResponse } from './schemas.js';
import type { Nlu } from './types.js';

export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** `nlu` gives the model, loading it on the first request where nothing loaded it at start (no workers). */
export function nluRoutes(ctx: ModuleContext, nlu: () => Promise<Nlu>): FastifyPluginAsync {
  const db = ctx.database.db;
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.post('/nlu/parse', {
      config: { access: ANY_ROLE },
      schema: {
        summary: 'Language, intent, red flags and entities of one patient message (nothing is stored)',
        tags: ['nlu'],
        body: parseBody,
        response: { 200: parseResponse },
      },
    }, async (req) => {
      const { text, language, timeZone } = req.body;
      let zone = timeZone;
      if (!zone) {
        const location = await db.selectFrom('locations').select('time_zone').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
        zone = location?.time_zone ?? DEFAULT_TIME_ZONE;
      }
      return (await nlu()).parse(text, { now: ctx.clock.now(), timeZone: zone, ...(language ? { language } : {}) });
    });
  };
}
