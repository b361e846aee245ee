// buildApp(deps) returns the Fastify app without listening: main.ts listens, tests inject. Each domain is
// an encapsulated plugin.
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../analytics/metrics.js';
import type { Cipher } from '../compliance/crypto.js';
import type { Config } from '../config.js';
import { ping, type Db } from '../db/database.js';
import { loggerOptions } from '../logger.js';
import { webhookRoutes } from '../whatsapp/webhook-routes.js';
import { AppError, problem } from './errors.js';

export interface AppDeps {
  config: Config;
  db: Db;
  cipher: Cipher;
  metrics: Metrics;
  /** Wakes the workers after a webhook is stored. */
  onWebhookStored(what: { messages: number; statuses: number; otherEvents: number }): void;
  /** Extra domain plugins (sandbox, api…) registered by the composition root. */
  plugins?: FastifyPluginAsync[];
  logger?: boolean;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.config.http;
  const app = Fastify({
    logger: deps.logger === false ? false : loggerOptions(deps.config.logLevel),
    // Request lines would carry query strings (verify tokens) and paths with ids: we log what matters ourselves.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true,
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
    if (err instanceof AppError) {
      return reply.code(err.status).type('application/problem+json').send(problem(err.code, err.status, err.message, undefined, err.details));
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err: { type: err.name, code: err.code } }, 'request failed');
    const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : status === 400 ? 'bad_request' : status >= 500 ? 'internal_error' : 'request_error';
    const title = status === 413 ? 'The body is too large' : status >= 500 ? 'Internal error' : 'Bad request';
    return reply.code(status).type('application/problem+json').send(problem(code, status, title));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('application/problem+json').send(problem('not_found', 404, 'Not found')));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await ping(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).type('application/problem+json').send(problem('database_unreachable', 503, 'Database unreachable'));
    }
  });
  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });

  await app.register(webhookRoutes({ config: deps.config, db: deps.db, cipher: deps.cipher, metrics: deps.metrics, onStored: deps.onWebhookStored }));
  for (const p of deps.plugins ?? []) await app.register(p);
  return app;
}
