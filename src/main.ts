// Composition root: config → database → modules → HTTP app → workers. Everything is passed as arguments;
// nothing here is a module-level singleton, so tests can run several instances in one process.
import crypto from 'node:crypto';
import os from 'node:os';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import pino, { type Logger } from 'pino';
import { createMetrics, type Metrics } from './analytics/metrics.js';
import { systemClock, type Clock } from './clock.js';
import { createCipher, loadEncryptionKey, type Cipher } from './compliance/crypto.js';
import type { Config } from './config.js';
import { placeholderHandler, type ConversationHandler } from './conversation/handler.js';
import { InboundWorker } from './conversation/inbound-worker.js';
import { migrate, openDatabase, type Database } from './db/database.js';
import { buildApp } from './http/app.js';
import { seedDemoIfNeeded } from './scheduling/index.js';
import { startLoop, type Loop } from './jobs/loop.js';
import { loggerOptions } from './logger.js';
import { GraphClient } from './whatsapp/graph-client.js';
import { MediaDownloader } from './whatsapp/media.js';
import { Sender } from './whatsapp/sender.js';
import { BEAT_MS, beat, startListening } from './whatsapp/listeners.js';
import { applyStatuses } from './whatsapp/statuses.js';

export interface Services {
  config: Config;
  database: Database;
  cipher: Cipher;
  metrics: Metrics;
  graph: GraphClient;
  clock: Clock;
  log: Logger;
}

export interface Running {
  app: FastifyInstance;
  services: Services;
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  handler?: ConversationHandler;
  clock?: Clock;
  /** Domain plugins to register besides the core ones (sandbox, API). */
  plugins?: (s: Services) => FastifyPluginAsync[];
  /** Runs after migrations, before listening (demo seed). */
  beforeListen?: (s: Services) => Promise<void>;
  listen?: boolean;
  /** An already-open database (tests); otherwise opened from the config. */
  database?: Database;
}

export async function openServices(config: Config, clock: Clock = systemClock, given?: Database): Promise<Services> {
  const log = pino(loggerOptions(config.logLevel));
  const database = given ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  try {
    await migrate(database.db);
  } catch (e) {
    await database.close();
    throw e;
  }
  const { key, generated } = loadEncryptionKey(config.encryptionKey, config.dataDir);
  if (generated) log.warn({ code: 'encryption_key_generated' }, 'ENCRYPTION_KEY is not set: generated a key into DATA_DIR/encryption.key. Back it up; without it the data cannot be read.');
  const cipher = createCipher(key);
  const metrics = createMetrics(database.db);
  const graph = new GraphClient({
    apiUrl: config.whatsapp.apiUrl,
    apiVersion: config.whatsapp.apiVersion,
    accessToken: config.whatsapp.accessToken,
    phoneNumberId: config.whatsapp.phoneNumberId,
    businessAccountId: config.whatsapp.businessAccountId,
    timeoutMs: config.whatsapp.sendTimeoutMs,
  });
  return { config, database, cipher, metrics, graph, clock, log };
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const services = await openServices(config, opts.clock, opts.database);
  const { database, cipher, metrics, graph, clock, log } = services;
  const db = database.db;
  const loops: Loop[] = [];
  const drains: (() => Promise<void>)[] = [];
  let sendLoop: Loop | null = null;
  let inboundLoop: Loop | null = null;
  let statusLoop: Loop | null = null;
  let mediaLoop: Loop | null = null;
  let statusWake: NodeJS.Timeout | null = null;

  const app = await buildApp({
    config,
    db,
    cipher,
    metrics,
    onWebhookStored: (w) => {
      if (w.messages) inboundLoop?.wake();
      // Statuses are not urgent: let a burst of them gather and apply them in one batch.
      if (w.statuses && !statusWake) statusWake = setTimeout(() => { statusWake = null; statusLoop?.wake(); }, 100);
    },
    plugins: opts.plugins?.(services) ?? [],
  });

  await seedDemoIfNeeded(db, config, log);
  if (opts.beforeListen) await opts.beforeListen(services);

  // This process's span of listening for webhooks opens before its sender may reconcile: a restart is then a
  // hole that in-doubt waits count (whatsapp/listeners.ts).
  const listener = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  if (opts.listen !== false) await startListening(db, clock, listener);

  if (config.workers) {
    const sender = new Sender({ db, cipher, graph, metrics, log: log.child({ worker: 'sender' }), clock, mps: config.whatsapp.mps, sendTimeoutMs: config.whatsapp.sendTimeoutMs, reconcileMs: config.whatsapp.reconcileMs, restartWaitMs: config.whatsapp.restartWaitMs, onSettled: () => sendLoop?.wake(), settleDb: database.urgent });
    drains.push(() => sender.drain());
    const media = new MediaDownloader({ db, cipher, graph, log: log.child({ worker: 'media' }), clock });
    const inbound = new InboundWorker({
      db, cipher, clock, metrics,
      log: log.child({ worker: 'inbound' }),
      handler: opts.handler ?? placeholderHandler,
      concurrency: database.concurrency,
      onReplies: () => sendLoop?.wake(),
      onMedia: () => mediaLoop?.wake(),
      instanceId: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
    });
    inboundLoop = startLoop({ name: 'inbound', pollMs: 250, log, tick: () => inbound.tick() });
    sendLoop = startLoop({ name: 'sender', pollMs: 250, log, tick: () => sender.tick() });
    statusLoop = startLoop({ name: 'statuses', pollMs: 1000, log, tick: async () => (await applyStatuses(db)).applied });
    mediaLoop = startLoop({ name: 'media', pollMs: 2000, log, tick: () => media.tick() });
    const reconcileLoop = startLoop({ name: 'reconcile', pollMs: 1000, log, tick: async () => { const n = await sender.reconcile(); if (n) sendLoop?.wake(); return 0; } });
    loops.push(inboundLoop, sendLoop, statusLoop, mediaLoop, reconcileLoop);
  }

  let url = config.publicUrl;
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host });
    loops.push(startLoop({ name: 'webhook-listener', pollMs: BEAT_MS, log, tick: async () => { await beat(db, clock, listener); return 0; } }));
  }
  let stopping: Promise<void> | null = null;
  return {
    app,
    services,
    url,
    stop() {
      stopping ??= (async () => {
        await app.close();
        if (statusWake) clearTimeout(statusWake);
        await Promise.all(loops.map((l) => l.stop()));
        await Promise.all(drains.map((d) => d()));
        await database.close();
      })();
      return stopping;
    },
  };
}
