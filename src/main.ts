// Composition root: config → database → modules → HTTP app → workers. Everything is passed as arguments;
// nothing here is a module-level singleton, so tests can run several instances in one process. Each
// domain's index.ts exports a module (routes, workers, jobs, commands); this file lists them and loops.
import crypto from 'node:crypto';
import os from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Clock as JobClock } from 'pg-boss';
import { createMetrics } from './analytics/metrics.js';
import { loadEncryptionKey } from './compliance/crypto.js';
import type { Crypt } from './compliance/identifiers.js';
import { openCrypt } from './compliance/open-crypt.js';
import { complianceModule, gdprModule } from './compliance/index.js';
import { loadConfig, type Config } from './config.js';
import { conversationModule, type ConversationHandler, type ConversationOptions, type FaqLookup } from './conversation/index.js';
import { inboxModule } from './conversation/inbox/index.js';
import { databaseOptions, migrate, openDatabase, type Database, type Db, type DbOrTx } from './db/database.js';
import { databaseModule } from './db/index.js';
import { createNlu, nluModule, type Nlu } from './nlu/index.js';
import { createFaqLookup, faqModule } from './faq/index.js';
import { buildApp, consoleModule, ensureConsoleBuilt } from './http/index.js';
import { JobQueue, loopWorker } from './jobs/index.js';
import { systemClock, type Clock } from './lib/clock.js';
import { IntakePressure } from './lib/intake-pressure.js';
import { createLogger } from './lib/logger.js';
import { Wakeups, type AppModule, type ModuleContext, type Worker } from './lib/module.js';
import { patientsModule } from './patients/index.js';
import { clinicName, sandboxModule, type SandboxHandle } from './sandbox/index.js';
import { schedulingModule } from './scheduling/index.js';
import { remindersModule } from './reminders/index.js';
import { careplansModule } from './careplans/index.js';
import { applyHeapGrowing } from './lib/heap.js';
import { staffModule } from './staff/index.js';
import { GraphClient, whatsappModule } from './whatsapp/index.js';
import { BEAT_MS, beat, startListening } from './whatsapp/listeners.js';

/** What every module is given. */
export type Services = ModuleContext;

export interface Running {
  app: FastifyInstance;
  services: Services;
  url: string;
  /** The workers this instance started (none with WORKERS=0). */
  workers: string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  handler?: ConversationHandler;
  /** The conversation engine's understanding layer and FAQ (tests pass them; see appModules for the default). */
  conversation?: Omit<ConversationOptions, 'handler'>;
  clock?: Clock;
  /** Receives the running simulator in sandbox mode (tests drive it). */
  sandbox?: SandboxHandle;
  /** Modules besides the standard ones (tests). */
  modules?: AppModule[];
  /** Runs after migrations, before listening. */
  beforeListen?: (s: Services) => Promise<void>;
  listen?: boolean;
  /** An already-open database (tests); otherwise opened from the config. */
  database?: Database;
  /** The job queue's clock (tests pass pg-boss's TestClock). */
  jobClock?: JobClock;
}

export interface ModuleOptions {
  sandbox: boolean;
  handler?: ConversationHandler | undefined;
  conversation?: Omit<ConversationOptions, 'handler'> | undefined;
  /** Gives the understanding layer to /api/nlu/parse, loading it on first use if start-up did not. */
  nluLoader?: (() => Promise<Nlu>) | undefined;
  sandboxHandle?: SandboxHandle | undefined;
}

/** The FAQ as the conversation engine reads it: one cached lookup, viewed through each message's transaction. */
function clinicFaq(db: Db): (tx: DbOrTx) => FaqLookup {
  const faq = createFaqLookup(db);
  return (tx) => faq.using(tx);
}

/** The modules of PatientLine, in registration order (the staff console last: its fallback takes what is left). */
export function appModules(o: ModuleOptions): AppModule[] {
  return [
    databaseModule(),
    serverModule(),
    complianceModule(),
    patientsModule(),
    gdprModule(),
    whatsappModule(),
    conversationModule({ faq: clinicFaq, ...o.conversation, ...(o.handler ? { handler: o.handler } : {}) }),
    inboxModule(),
    schedulingModule(),
    remindersModule(),
    careplansModule(),
    ...(o.nluLoader ? [nluModule(o.nluLoader)] : []),
    faqModule(),
    ...(o.sandbox ? [sandboxModule(o.sandboxHandle)] : []),
    staffModule(),
    consoleModule(),
  ];
}

export async function openServices(config: Config, modules: readonly AppModule[], opts: Pick<StartOptions, 'clock' | 'database' | 'jobClock'> = {}): Promise<Services> {
  const log = createLogger(config.logLevel);
  const database = opts.database ?? (await openDatabase(databaseOptions(config)));
  let jobs: JobQueue;
  try {
    await migrate(database.db);
    jobs = await JobQueue.open({
      database,
      jobs: modules.flatMap((m) => m.jobs ?? []),
      log,
      supervise: config.workers,
      ...(opts.jobClock ? { clock: opts.jobClock } : {}),
    });
  } catch (e) {
    await database.close();
    throw e;
  }
  const { key, generated } = loadEncryptionKey(config.encryptionKey, config.dataDir);
  if (generated) log.warn({ code: 'encryption_key_generated' }, 'ENCRYPTION_KEY is not set: generated a key into DATA_DIR/encryption.key. Back it up; without it the data cannot be read.');
  let crypt: Crypt;
  try {
    crypt = await openCrypt(database.db, key, config.previousEncryptionKeys.map((k) => Buffer.from(k, 'base64')), log);
  } catch (e) {
    await jobs.stop().catch(() => {});
    await database.close();
    throw e;
  }
  const { cipher, keys } = crypt;
  const metrics = createMetrics(database.db);
  const graph = new GraphClient({
    apiUrl: config.whatsapp.apiUrl,
    apiVersion: config.whatsapp.apiVersion,
    accessToken: config.whatsapp.accessToken,
    phoneNumberId: config.whatsapp.phoneNumberId,
    businessAccountId: config.whatsapp.businessAccountId,
    timeoutMs: config.whatsapp.sendTimeoutMs,
  });
  return { config, database, cipher, keys, metrics, graph, clock: opts.clock ?? systemClock, log, jobs, wake: new Wakeups(), intake: new IntakePressure() };
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  // The understanding layer loads (or trains, then caches) its model once per process, before the workers that
  // read patients' messages. Without workers (WORKERS=0: an API or webhook-intake instance) nothing reads
  // them: its ~300 MB and second of start-up are spent only if /api/nlu/parse is called.
  // A load that failed is tried again on the next request rather than remembered.
  let loading: Promise<Nlu> | null = opts.conversation?.nlu ? Promise.resolve(opts.conversation.nlu) : null;
  const nluLoader = () => (loading ??= createNlu().catch((e: unknown) => {
    loading = null;
    throw e;
  }));
  const nlu = opts.conversation?.nlu ?? (config.workers ? await nluLoader() : null);
  const conversation = { ...opts.conversation, nlu };
  const modules = [...appModules({ sandbox: config.sandbox, handler: opts.handler, conversation, nluLoader, sandboxHandle: opts.sandbox }), ...(opts.modules ?? [])];
  const services = await openServices(config, modules, opts);
  const { database, jobs, log } = services;
  const workers: Worker[] = [];
  const listening: Worker[] = [];
  let app: FastifyInstance | null = null;
  let started = false;
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await app?.close();
      await Promise.all([...workers, ...listening].map((w) => w.stop()));
      await jobs.stop();
      services.graph.close();
      await database.close();
    })();
    return stopping;
  };

  try {
    for (const m of modules) await m.init?.(services);
    app = await buildApp({
      config, db: database.db, metrics: services.metrics, log, started: () => started,
      plugins: modules.flatMap((m) => (m.routes ? [m.routes(services)] : [])),
      api: {
        authenticators: modules.flatMap((m) => (m.authenticator ? [m.authenticator(services)] : [])),
        plugins: modules.flatMap((m) => (m.api ? [m.api(services)] : [])),
      },
    });
    if (opts.beforeListen) await opts.beforeListen(services);
    await app.ready();
    // Webhooks can reach this process before any worker starts (they are stored, and processed once the workers
    // are up), and its span of listening opens only once they can: the sender's reconciliation, which starts
    // with the workers, counts a restart as a hole in listening from the moment webhooks could come again
    // (whatsapp/listeners.ts). Opened before listening, the span would credit the time the workers take to
    // start as time Meta could have delivered the statuses of sends that were in doubt, and a loaded machine
    // would resend a message whose statuses were only waiting for the port to open.
    let url = config.publicUrl;
    if (opts.listen !== false) {
      url = await app.listen({ port: config.port, host: config.host });
      const listener = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
      await startListening(database.db, services.clock, listener);
      const beating = loopWorker({ name: 'webhook-listener', pollMs: BEAT_MS, log, wake: services.wake, tick: async () => { await beat(database.db, services.clock, listener); return 0; } });
      // Part of serving webhooks, not a background worker: it runs with WORKERS=0 too.
      listening.push(beating);
      beating.start();
    }
    if (config.workers) {
      await jobs.startWorkers();
      for (const m of modules) {
        for (const w of m.workers?.(services) ?? []) {
          workers.push(w);
          await w.start();
        }
      }
      log.info({ code: 'workers_started', workers: workers.map((w) => w.name), jobs: jobs.names }, 'workers started');
    }
    started = true;
    return { app, services, url, workers: workers.map((w) => w.name), stop };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

/** `patientline start`: what `npm start` runs. */
function serverModule(): AppModule {
  return {
    name: 'server',
    commands: {
      start: {
        summary: 'migrate the database and start the server (and its workers)',
        usage: 'patientline start',
        async run() {
          const cfg = loadConfig(process.env);
          applyHeapGrowing(cfg.heapGrowingPercent);
          await ensureConsoleBuilt();
          const running = await startServer(cfg);
          const base = running.url;
          const row = (label: string, value: string) => `  ${`${label}:`.padEnd(17)} ${value}`;
          const lines = [
            `PatientLine is running on ${base} (${cfg.sandbox ? 'sandbox mode: simulated WhatsApp Cloud API' : 'WhatsApp Cloud API'}, database: ${cfg.databaseUrl ? 'PostgreSQL server' : `embedded in ${cfg.dataDir}`})`,
          ];
          if (cfg.sandbox) {
            const clinic = await clinicName(running.services.database.db);
            const w = cfg.whatsapp;
            lines.push(
              row('patient phone', `${base}/sandbox   ← open it, type "Hello" and press Enter${clinic ? ` (clinic: ${clinic})` : ''}`),
              row('staff console', `${base}/`),
              row('demo login', `${cfg.adminEmail ?? '(none)'} / ${cfg.adminPassword ?? '(none)'}`),
              // What a developer needs to point any Cloud API client library at the simulated Graph API.
              row('Graph API', `${base}/sandbox/graph   ← base URL (as WHATSAPP_API_URL) for any Cloud API client`),
              row('API version', w.apiVersion),
              row('phone number id', w.phoneNumberId),
              row('WABA id', w.businessAccountId),
              row('access token', w.accessToken),
            );
          }
          lines.push(
            row('webhook', `${base}/webhooks/whatsapp`),
            row('health', `${base}/healthz · ${base}/readyz · ${base}/metrics`),
          );
          process.stdout.write(lines.join('\n') + '\n');
          let shuttingDown = false;
          const shutdown = (signal: string) => {
            if (shuttingDown) return;
            shuttingDown = true;
            running.services.log.info({ signal }, 'shutting down');
            running.stop().then(() => process.exit(0), () => process.exit(1));
            setTimeout(() => process.exit(1), 15_000).unref();
          };
          process.on('SIGTERM', () => shutdown('SIGTERM'));
          process.on('SIGINT', () => shutdown('SIGINT'));
          return new Promise<number>(() => {});
        },
      },
    },
  };
}
