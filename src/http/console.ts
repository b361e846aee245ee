// The staff console at /: the built React app (dist/console, see console-build.ts). index.html for / and for
// every client route (SPA fallback: a GET that accepts text/html, outside the server's own prefixes), hashed
// assets under /assets/ with a year-long immutable cache, and the security headers on all of it.
import fs from 'node:fs';
import path from 'node:path';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { CONSOLE_DIST } from './console-build.js';
import { securityHeaders } from './security-headers.js';

/** Paths the server owns: never answered with the console's index.html, so their 404s stay their own. */
export const SERVER_PREFIXES = ['/api', '/sandbox', '/webhooks', '/healthz', '/readyz', '/metrics', '/fhir', '/assets'] as const;

const NOT_BUILT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PatientLine</title></head><body><main><h1>The staff console is not built</h1><p>Run <code>npm start</code>, which builds it.</p></main></body></html>';

/** A client route: a page navigation (Accept: text/html) to a path the server does not own. */
export function isClientRoute(url: string, accept: string | undefined): boolean {
  if (!accept || !accept.includes('text/html')) return false;
  const p = url.split('?')[0] ?? '';
  return !SERVER_PREFIXES.some((s) => p === s || p.startsWith(`${s}/`));
}

// A route constraint rather than a not-found handler: unmatched paths under /api keep the /api scope's own
// answer (401 before anything else), because the fallback route only exists for client routes.
const STRATEGY = 'consoleClientRoute';
type Strategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
type RouteHandler = NonNullable<ReturnType<ReturnType<Strategy['storage']>['get']>>;
const clientRouteStrategy: Strategy = {
  name: STRATEGY,
  mustMatchWhenDerived: false,
  storage() {
    const handlers = new Map<unknown, RouteHandler>();
    return { get: (v) => handlers.get(v) ?? null, set: (v, h) => void handlers.set(v, h) };
  },
  deriveConstraint(req) {
    const accept = req.headers['accept'];
    return isClientRoute(req.url ?? '', Array.isArray(accept) ? accept.join(',') : accept);
  },
};

export interface ConsoleOptions {
  https: boolean;
  /** The built console; dist/console by default. */
  root?: string;
}

export function consolePlugin(opts: ConsoleOptions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const root = opts.root ?? CONSOLE_DIST;
    const indexPath = path.join(root, 'index.html');
    const built = fs.existsSync(indexPath);
    const index = built ? fs.readFileSync(indexPath, 'utf8') : NOT_BUILT;
    await app.register(fastifyHelmet, securityHeaders({ https: opts.https }));
    if (built && fs.existsSync(path.join(root, 'assets'))) {
      await app.register(fastifyStatic, {
        root: path.join(root, 'assets'),
        prefix: '/assets/',
        index: false,
        wildcard: false,
        decorateReply: false,
        // Vite names every asset after a hash of its content: a changed file is a new URL.
        immutable: true,
        maxAge: '365d',
      });
    }
    // The page itself is revalidated every time, so a new build is picked up at once.
    const page = (reply: FastifyReply) => reply.code(built ? 200 : 503).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
    app.get('/', async (_req, reply) => page(reply));
    if (!app.hasConstraintStrategy(STRATEGY)) app.addConstraintStrategy(clientRouteStrategy);
    app.get('/*', { constraints: { [STRATEGY]: true } }, async (_req, reply) => page(reply));
  };
}
