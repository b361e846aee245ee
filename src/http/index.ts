// The HTTP shell's own module: the staff console at / (built from web/console). The app itself (health,
// readiness, metrics, the one error handler) is built by buildApp in app.ts.
import type { AppModule } from '../lib/module.js';
import { consolePlugin } from './console.js';

export { buildApp, sendProblem, type AppDeps } from './app.js';
export { consoleBuildIsStale, ensureConsoleBuilt } from './console-build.js';
export { CONSOLE_CSP, securityHeaders } from './security-headers.js';

export function consoleModule(): AppModule {
  return {
    name: 'console',
    routes: (ctx) => consolePlugin({ https: ctx.config.publicUrl.startsWith('https:') }),
  };
}
