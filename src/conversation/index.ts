// The conversation domain's public surface: the engine that handles stored inbound messages one patient at
// a time, in order, and what decides the answer (the handler). Its module runs the inbound worker.
import crypto from 'node:crypto';
import os from 'node:os';
import { loopWorker } from '../jobs/index.js';
import type { AppModule, ModuleContext, Worker } from '../lib/module.js';
import { INBOUND, MEDIA, SENDER } from '../whatsapp/index.js';
import { placeholderHandler, type ConversationHandler } from './handler.js';
import { InboundWorker } from './inbound-worker.js';

export { placeholderHandler, type ConversationHandler, type HandlerInput } from './handler.js';
export { loadConversationState, saveConversationState, type ConversationState } from './state.js';

export function conversationModule(opts: { handler?: ConversationHandler } = {}): AppModule {
  return {
    name: 'conversation',
    workers(ctx: ModuleContext): Worker[] {
      const { database, cipher, keys, clock, metrics, log, wake } = ctx;
      const inbound = new InboundWorker({
        db: database.background, cipher, keys, clock, metrics,
        log: log.child({ worker: 'inbound' }),
        handler: opts.handler ?? placeholderHandler,
        concurrency: database.concurrency,
        onReplies: () => wake.wake(SENDER),
        onMedia: () => wake.wake(MEDIA),
        instanceId: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
      });
      return [loopWorker({ name: INBOUND, pollMs: 250, log, wake, before: () => ctx.intake.calm(), tick: () => inbound.tick() })];
    },
  };
}
