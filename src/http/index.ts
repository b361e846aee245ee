// The HTTP shell's own module: the landing page at /. The app itself (health, readiness, metrics, the one
// error handler) is built by buildApp in app.ts.
import type { AppModule } from '../lib/module.js';
import { landingPlugin } from './landing.js';

export { buildApp, sendProblem, type AppDeps } from './app.js';

export function landingModule(): AppModule {
  return {
    name: 'landing',
    routes: (ctx) => landingPlugin({ sandbox: ctx.config.sandbox, adminEmail: ctx.config.adminEmail }),
  };
}
