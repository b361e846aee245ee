// The WhatsApp domain's public surface: the Cloud API webhook (intake), the sender and its outbox,
// statuses, media. Its module registers the webhook route and, with WORKERS=1, the sender, the status
// applier, the media downloader, the in-doubt reconciliation and the template sync; its API lists the
// message templates and syncs them on demand (/api/templates).
import { loopWorker } from '../jobs/index.js';
import type { AppModule, ModuleContext, Worker } from '../lib/module.js';
import { MediaDownloader } from './media.js';
import { Sender } from './sender.js';
import { applyStatuses } from './statuses.js';
import { templateRoutes } from './template-routes.js';
import { CreationBudget, TemplateSync, templateSyncTick } from './template-sync.js';
import { webhookRoutes } from './webhook-routes.js';

export { GraphClient } from './graph-client.js';
export { chunkAad } from './media-store.js';

/** Names other modules wake through ModuleContext.wake. */
export const SENDER = 'sender';
export const STATUSES = 'statuses';
export const MEDIA = 'media';
/** The conversation module's inbound worker, woken when a webhook stored messages. */
export const INBOUND = 'inbound';
/** The inbox's standby linker (src/conversation/inbox), woken when a webhook stored standby items. */
export const STANDBY = 'standby';
export { type StandbyRow } from './standby.js';
/** The template sync worker (template-sync.ts), woken when a webhook stored other events. */
export const TEMPLATES_SYNC = 'templates';
export { clinicLanguages, definitionHash, inCustomerWindow, listTemplateRows, templateGate, templateStatus, type TemplateGate, TemplateSync, TEMPLATE_WEBHOOK_FIELDS, type TemplateItem } from './template-sync.js';
export { creationRequest, META_LANGUAGE, parameterText, templateMessage, TEMPLATES, TEMPLATE_CATEGORIES, TEMPLATE_STATUSES, type TemplateCategory, type TemplateDefinition, type TemplateKey, type TemplateStatus } from './templates.js';

export function whatsappModule(): AppModule {
  // Meta's 100 creations an hour per WABA, shared by the worker and POST /api/templates/sync.
  const budget = new CreationBudget();
  const templateSync = (ctx: ModuleContext, db: ModuleContext['database']['db']) =>
    new TemplateSync({ db, graph: ctx.graph, cipher: ctx.cipher, clock: ctx.clock, log: ctx.log.child({ worker: TEMPLATES_SYNC }), budget });
  return {
    name: 'whatsapp',
    api(ctx: ModuleContext) {
      return templateRoutes(ctx, templateSync(ctx, ctx.database.db));
    },
    routes(ctx: ModuleContext) {
      let statusWake: NodeJS.Timeout | null = null;
      const plugin = webhookRoutes({
        config: ctx.config,
        db: ctx.database.db,
        cipher: ctx.cipher,
        metrics: ctx.metrics,
        intake: ctx.intake,
        onStored: (w) => {
          if (w.messages) ctx.wake.wake(INBOUND);
          if (w.standby) ctx.wake.wake(STANDBY);
          if (w.otherEvents) ctx.wake.wake(TEMPLATES_SYNC);
          // Statuses are not urgent: let a burst of them gather and apply them in one batch.
          if (w.statuses && !statusWake) statusWake = setTimeout(() => { statusWake = null; ctx.wake.wake(STATUSES); }, 100);
        },
      });
      return async (app) => {
        app.addHook('onClose', async () => {
          if (statusWake) clearTimeout(statusWake);
        });
        await app.register(plugin);
      };
    },
    workers(ctx: ModuleContext): Worker[] {
      const { config, database, cipher, keys, graph, metrics, clock, log, wake, intake } = ctx;
      const before = (worked: number) => intake.calm(worked);
      // Workers use their own connections (a lane after intake on PGlite): webhooks are answered first.
      const db = database.background;
      const sender = new Sender({ db, cipher, keys, graph, metrics, log: log.child({ worker: 'sender' }), clock, mps: config.whatsapp.mps, sendTimeoutMs: config.whatsapp.sendTimeoutMs, reconcileMs: config.whatsapp.reconcileMs, restartWaitMs: config.whatsapp.restartWaitMs, onSettled: () => wake.wake(SENDER), settleDb: database.urgent });
      const media = new MediaDownloader({ db, cipher, keys, graph, log: log.child({ worker: 'media' }), clock });
      return [
        loopWorker({ name: SENDER, pollMs: 250, log, wake, tick: () => sender.loopTick(), after: () => sender.drain() }),
        loopWorker({ name: STATUSES, pollMs: 1000, log, wake, before, tick: async () => {
          // Only a full batch goes on at once; otherwise the loop sleeps until the next burst has gathered (100 ms).
          const r = await applyStatuses(db, { clock, metrics });
          return r.more ? r.claimed : 0;
        } }),
        loopWorker({ name: MEDIA, pollMs: 2000, log, wake, before, tick: () => media.tick() }),
        loopWorker({ name: TEMPLATES_SYNC, pollMs: 2000, log, wake, before, tick: templateSyncTick(templateSync(ctx, db), clock, log.child({ worker: TEMPLATES_SYNC })) }),
        loopWorker({ name: 'reconcile', pollMs: 1000, log, wake, tick: async () => { const n = await sender.reconcile(); if (n) wake.wake(SENDER); return 0; } }),
      ];
    },
  };
}
