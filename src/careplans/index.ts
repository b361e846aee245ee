// Care plans (issue 15): medication reminders on an RFC 5545 schedule with Taken / Snooze 30 min, follow-up
// reminders that lead into booking, and vitals prompts whose free-text answers become FHIR-shaped
// observations (out-of-range readings alert staff). The staff API (routes.ts), the worker that materialises
// and sends occurrences (worker.ts), and the port the care-plans flow answers through (port.ts).
import { loopWorker } from '../jobs/index.js';
import type { AppModule } from '../lib/module.js';
import { SENDER } from '../whatsapp/index.js';
import { CAREPLANS, carePlanRoutes } from './routes.js';
import { CarePlanWorker } from './worker.js';

export { CAREPLANS } from './routes.js';
export { carePlansPort } from './port.js';
export { checkSchedule, occurrences, type PlanSchedule } from './schedule.js';

export function careplansModule(): AppModule {
  return {
    name: 'careplans',
    api: carePlanRoutes,
    workers(ctx) {
      const worker = new CarePlanWorker({
        db: ctx.database.background, cipher: ctx.cipher, keys: ctx.keys, clock: ctx.clock, log: ctx.log.child({ worker: CAREPLANS }), onQueued: () => ctx.wake.wake(SENDER),
      });
      return [loopWorker({ name: CAREPLANS, pollMs: 5000, log: ctx.log, wake: ctx.wake, tick: () => worker.tick() })];
    },
  };
}
