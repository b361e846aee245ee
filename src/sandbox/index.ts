// Sandbox mode (no WHATSAPP_ACCESS_TOKEN): a simulated WhatsApp Cloud API under /sandbox/graph and the patient
// phone page at /sandbox, listed by the composition root only in sandbox mode. The app talks to the
// simulator over HTTP through its real Graph client and hears back through its real webhook route. Its
// worker (the simulator's webhook dispatcher) runs only with WORKERS=1, like every other worker.
import type { AddressInfo } from 'node:net';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { Cipher } from '../compliance/crypto.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { loopWorker } from '../jobs/index.js';
import { AppError } from '../lib/errors.js';
import { staffSessionOf } from '../staff/index.js';
import type { AppModule, Wakeups } from '../lib/module.js';
import { graphRoutes, notifyApprovals } from './graph-routes.js';
import { MAX_UPLOAD_BYTES } from './media-rules.js';
import { phoneRoutes } from './phone-routes.js';
import { Sandbox } from './sandbox.js';

export { Sandbox, bsuidFor, SANDBOX_DISPLAY_PHONE } from './sandbox.js';
export { validateSend } from './validate.js';

export interface SandboxPluginDeps {
  config: Config;
  database: { db: Db };
  cipher: Cipher;
  clock: Clock;
  log: Logger;
  wake: Wakeups;
}

const DISPATCHER = 'sandbox-webhooks';

/** The sandbox module; `handle` receives the running simulator (tests and the CLI read it). */
export function sandboxModule(handle: SandboxHandle = { sandbox: null }): AppModule {
  return {
    name: 'sandbox',
    routes: (ctx) => sandboxPlugin(ctx, handle),
    workers: (ctx) => [
      loopWorker({
        name: DISPATCHER,
        pollMs: 500,
        log: ctx.log.child({ module: 'sandbox' }),
        wake: ctx.wake,
        tick: async () => {
          const sb = handle.sandbox;
          return sb ? (await notifyApprovals(sb)) + (await sb.dispatcher.tick()) : 0;
        },
      }),
    ],
  };
}

/** The app's own webhook URL, from the address it listens on (PORT=0 gets a port only at listen). */
export function webhookUrlOf(app: FastifyInstance): string | null {
  const addr: AddressInfo | string | null = app.server.address();
  if (addr === null || typeof addr === 'string') return null;
  const host = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/webhooks/whatsapp`;
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/** The demo clinic's name when the scheduling module has seeded one; the sandbox works without it. */
export async function clinicName(db: Db): Promise<string | null> {
  try {
    const exists = await sql<{ t: string | null }>`select to_regclass('clinics')::text as t`.execute(db);
    if (!exists.rows[0]?.t) return null;
    const r = await sql<{ name: string }>`select name from clinics order by created_at limit 1`.execute(db);
    return r.rows[0]?.name ?? null;
  } catch {
    return null;
  }
}

/** Exposed to tests and the CLI: the running sandbox, once the plugin is registered. */
export interface SandboxHandle {
  sandbox: Sandbox | null;
}

export function sandboxPlugin(deps: SandboxPluginDeps, handle: SandboxHandle = { sandbox: null }): FastifyPluginAsync {
  return async (app) => {
    const log = deps.log.child({ module: 'sandbox' });
    const sb = new Sandbox({ config: deps.config, db: deps.database.db, cipher: deps.cipher, clock: deps.clock, log, webhookTarget: () => webhookUrlOf(app) });
    handle.sandbox = sb;
    await sb.ensureDefaults();
    await app.register(fastifyMultipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 } });
    await app.register(graphRoutes(sb), { prefix: '/sandbox/graph' });
    // The phone page shows simulated patients' chats: on an address others can reach, only staff signed in to
    // the console may open it. (/sandbox/graph answers the app itself, with the WhatsApp access token.)
    await app.register(async (phone) => {
      if (!isLoopbackHost(deps.config.host)) {
        phone.addHook('onRequest', async (req, reply) => {
          if (await staffSessionOf(deps, req)) return;
          if (req.method === 'GET' && (req.url === '/sandbox' || req.url.startsWith('/sandbox?') || req.url === '/sandbox/')) return reply.redirect('/', 302);
          throw new AppError('unauthenticated', 401, 'Sign in to the staff console first');
        });
      }
      await phone.register(phoneRoutes(sb, { clinicName: () => clinicName(deps.database.db) }));
    });
    sb.dispatcher.setWake(() => deps.wake.wake(DISPATCHER));
    app.addHook('onClose', async () => {
      sb.dispatcher.stop();
    });
  };
}
