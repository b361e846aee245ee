// buildApp(deps) returns the Fastify app without listening: main.ts listens, tests inject. Each domain is
// an encapsulated plugin. One error handler renders every error as problem+json: routes throw AppError.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import type { Metrics } from '../analytics/metrics.js';
import type { Config } from '../config.js';
import { ping, type Db } from '../db/database.js';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, PROBLEM_CONTENT_TYPE, problemOf } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { bearerOf, registerApi, sameSecret, type ApiRoute, type Authenticator } from './api.js';

export interface AppDeps {
  config: Config;
  db: Db;
  metrics: Metrics;
  /** The process's one logger; requests log through its children. */
  log: Logger;
  /** The domains' plugins, registered in order by the composition root. */
  plugins?: FastifyPluginAsync[];
  /** The staff API under /api: the modules' credentials and route plugins. */
  api?: { authenticators: Authenticator[]; plugins: FastifyPluginAsync[] };
  /** False while the process is still starting its workers: /readyz answers 503 until then. */
  started?: () => boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every /api route with its access rule, as registered (tests enumerate them). */
    apiRoutes: ApiRoute[];
  }
}

/** Renders an AppError; the one place that writes problem+json. */
export function sendProblem(reply: FastifyReply, e: AppError): FastifyReply {
  return reply.code(e.status).type(PROBLEM_CONTENT_TYPE).send(problemOf(e));
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.config.http;
  // Typed with Fastify's base logger: routes only use its interface, and pino's Logger satisfies it.
  const app = Fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log,
    // Request lines would carry query strings (verify tokens) and paths with ids: we log what matters ourselves.
    logController: new LogController({ disableRequestLogging: true }),
    // X-Forwarded-For only from the proxies TRUST_PROXY names: anyone else could pick their own address.
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    // Slow or idle clients must not hold connections (slowloris): the whole request, headers first, within
    // these limits, else 408 and the connection closes. Keep-alive longer than typical proxies (60 s) so they
    // close first; a socket with no traffic at all goes after the longest of them.
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: Math.max(limits.keepAliveTimeoutMs, limits.requestTimeoutMs) + 1_000,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks these timeouts every 30 s by default, so a limit would hold up to 30 s late.
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  });
  // Beyond this, new connections are closed at once: a flood cannot exhaust file descriptors or memory.
  app.server.maxConnections = limits.maxConnections;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      // Where the input is wrong and why, never the input itself (it may be PHI).
      const issues = err.validation.map((v) => ({ in: err.validationContext ?? 'body', path: v.instancePath || '/', message: v.message ?? 'invalid' }));
      return sendProblem(reply, new AppError('validation_failed', 400, 'The request is not valid', { issues }));
    }
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err: { type: err.name, code: err.code } }, 'request failed');
      return sendProblem(reply, err);
    }
    // Fastify's own errors (body limits, content types, malformed bodies) and anything unexpected: a code
    // and a status, never the message (it may quote the input).
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err: { type: err.name, code: err.code } }, 'request failed');
    const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : status === 400 ? 'bad_request' : status >= 500 ? 'internal_error' : 'request_error';
    const title = status === 413 ? 'The body is too large' : status >= 500 ? 'Internal error' : 'Bad request';
    return sendProblem(reply, new AppError(code, status, title));
  });
  app.setNotFoundHandler(() => {
    throw new AppError('not_found', 404, 'Not found');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready for traffic: started (the port opens before the workers do) and the database answers. A load
  // balancer sends webhooks to the instances that are ready; /healthz only says the process is alive.
  app.get('/readyz', async () => {
    if (deps.started && !deps.started()) throw new AppError('starting', 503, 'Starting');
    try {
      await ping(deps.db);
    } catch {
      throw new AppError('database_unreachable', 503, 'Database unreachable');
    }
    return { status: 'ready' };
  });
  app.get('/metrics', async (req, reply) => {
    const token = deps.config.metricsToken;
    if (token) {
      const bearer = bearerOf(req);
      if (!bearer || !sameSecret(bearer, token)) throw new AppError('unauthenticated', 401, 'Authentication required');
    }
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  const apiRoutes: ApiRoute[] = [];
  app.decorate('apiRoutes', apiRoutes);
  await registerApi(app, { config: deps.config, authenticators: deps.api?.authenticators ?? [], plugins: deps.api?.plugins ?? [] }, apiRoutes);
  for (const p of deps.plugins ?? []) await app.register(p);
  return app;
}
