// The staff inbox (src/conversation/inbox): what staff see and do when a conversation needs a human. Its
// module registers the /api routes (conversations, thread, actions, alerts, live events) and, with WORKERS=1,
// the standby linker. The composition root lists `inboxModule()` after the conversation module.
import { loopWorker } from '../../jobs/index.js';
import type { AppModule, ModuleContext, Worker } from '../../lib/module.js';
import { STANDBY } from '../../whatsapp/index.js';
import { InboxFeed, pruneFeed } from './feed.js';
import { inboxRoutes } from './routes.js';
import { linkStandby } from './standby-linker.js';

export { InboxFeed, pruneFeed, type InboxEvent } from './feed.js';
export { INBOX_ROLES } from './routes.js';
export { linkStandby } from './standby-linker.js';
export { deliveryOf, listConversations, readThread, WINDOW_MS } from './repo.js';

export interface InboxOptions {
  /** How often each instance polls the change feed while a console listens (default 1 s). */
  pollMs?: number;
  /** Keep-alive comments on idle event streams (default 15 s). */
  keepAliveMs?: number;
}

export function inboxModule(o: InboxOptions = {}): AppModule {
  return {
    name: 'inbox',
    api(ctx: ModuleContext) {
      const feed = new InboxFeed({ db: ctx.database.db, log: ctx.log.child({ component: 'inbox-feed' }), ...(o.pollMs ? { pollMs: o.pollMs } : {}) });
      const routes = inboxRoutes(ctx, { feed, keepAliveMs: o.keepAliveMs ?? 15_000 });
      return async (app) => {
        app.addHook('onClose', async () => feed.close());
        await app.register(routes);
      };
    },
    workers(ctx: ModuleContext): Worker[] {
      const { database, cipher, keys, clock, log, wake } = ctx;
      const deps = { db: database.background, cipher, keys, clock, log: log.child({ worker: STANDBY }) };
      return [
        loopWorker({ name: STANDBY, pollMs: 2000, log, wake, before: (worked) => ctx.intake.calm(worked), tick: () => linkStandby(deps) }),
        // The change feed is written by triggers whether or not a console listens: keep it to minutes.
        loopWorker({ name: 'inbox-feed-prune', pollMs: 60_000, log, wake, tick: async () => { await pruneFeed(database.background); return 0; } }),
      ];
    },
  };
}
