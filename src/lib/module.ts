// The shape every domain exposes from its index.ts: one module, listed by the composition root (main.ts),
// which registers its routes, starts its workers (only with WORKERS=1), registers its job handlers, and
// lets the CLI dispatch its commands. Modules get their dependencies as one plain argument; nothing is
// looked up from a container or a module-level singleton.
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../analytics/metrics.js';
import type { Cipher } from '../compliance/crypto.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Authenticator } from '../http/api.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { JobDefinition, JobQueue } from '../jobs/index.js';
import type { GraphClient } from '../whatsapp/graph-client.js';
import type { Clock } from './clock.js';
import type { IntakePressure } from './intake-pressure.js';
import type { Logger } from './logger.js';

/** What main.ts builds once and hands to every module. */
export interface ModuleContext {
  readonly config: Config;
  readonly database: Database;
  /**
   * Seals data that belongs to no patient yet (raw webhook events) with ENCRYPTION_KEY (opens values sealed
   * with ENCRYPTION_KEYS_PREVIOUS too); its blindIndex is keyed by the system key 'blind-index' (0012).
   */
  readonly cipher: Cipher;
  /** Per-patient data keys: seal a patient's data with `await keys.forPatient(tx, patientId)`. */
  readonly keys: KeyRing;
  readonly metrics: Metrics;
  readonly graph: GraphClient;
  readonly clock: Clock;
  /** The process's one logger: modules log through children of it. */
  readonly log: Logger;
  /** The PostgreSQL job queue: enqueue inside the caller's transaction. */
  readonly jobs: JobQueue;
  /** Wakes another module's worker by name, e.g. after a commit that created work for it. */
  readonly wake: Wakeups;
  /** Webhook requests in flight in this process: background loops wait for a burst to be acknowledged. */
  readonly intake: IntakePressure;
}

/** A background worker: started after the HTTP app is ready, stopped before the database closes. */
export interface Worker {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** An operator command: `patientline <name> [args]`. Returns the exit code. */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

export interface AppModule {
  readonly name: string;
  /** Runs once at start, after migrations and before routes (e.g. the demo seed). */
  init?(ctx: ModuleContext): Promise<void>;
  /** An encapsulated Fastify plugin with this domain's routes. */
  routes?(ctx: ModuleContext): FastifyPluginAsync;
  /**
   * This domain's staff API, registered under /api (src/http/api.ts): zod schemas through the type provider,
   * and every route declares `config: { access: [...roles] }` (or 'public'); a route without it fails start.
   */
  api?(ctx: ModuleContext): FastifyPluginAsync;
  /** Recognises this domain's credentials on /api requests (the staff module: sessions and API tokens). */
  authenticator?(ctx: ModuleContext): Authenticator;
  /** This domain's background workers; main starts them only when WORKERS=1. */
  workers?(ctx: ModuleContext): Worker[];
  /** This domain's kinds of job on the PostgreSQL queue (handlers run only when WORKERS=1). */
  readonly jobs?: readonly JobDefinition[];
  /** Operator commands, dispatched by src/cli.ts; they need no running server. */
  readonly commands?: Readonly<Record<string, Command>>;
}

/**
 * Named wake-ups between workers of different modules (the webhook route wakes the inbound worker, which
 * wakes the sender). A worker registers its wake function under its name; waking a name nobody registered
 * (WORKERS=0) does nothing, since polling still finds the work.
 */
export class Wakeups {
  private readonly fns = new Map<string, () => void>();
  on(name: string, fn: () => void): void {
    this.fns.set(name, fn);
  }
  off(name: string): void {
    this.fns.delete(name);
  }
  wake(name: string): void {
    this.fns.get(name)?.();
  }
}
