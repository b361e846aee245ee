// The conversation domain's public surface: the engine that handles stored inbound messages one patient at
// a time, in order (the inbound worker), the pure step that decides the answer (engine.ts, router.ts, the
// flows of src/flows), handoffs and staff alerts. Its module runs the inbound worker.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Db, DbOrTx } from '../db/database.js';
import { emergencyReply, FLOWS } from '../flows/index.js';
import { loopWorker } from '../jobs/index.js';
import type { AppModule, ModuleContext, Worker } from '../lib/module.js';
import type { Nlu } from '../nlu/index.js';
import { INBOUND, MEDIA, SENDER } from '../whatsapp/index.js';
import type { FaqLookup } from './flow.js';
import type { ConversationHandler } from './handler.js';
import { faqEntriesLookup } from './faq-entries.js';
import { InboundWorker } from './inbound-worker.js';
import { WaitlistNotifier } from './waitlist-notifier.js';

export type { ConversationHandler, HandlerInput } from './handler.js';
export { loadConversationState, saveConversationState, loadSession, saveSession, type ConversationState } from './state.js';
export { step, NEW_SESSION, type Session, type EngineContext, type EngineResult, type EmergencyReply } from './engine.js';
export { route, type FlowRegistry } from './router.js';
export { clinicView, loadClinicFacts, type ClinicFacts } from './clinic.js';
export { activeHandoff, openHandoff, touchHandoff, closeHandoff, raiseAlert } from './handoff.js';
export { faqEntriesLookup } from './faq-entries.js';
export type * from './flow.js';

/** The worker that sends waitlist offers (woken after a message freed time). */
export const WAITLIST = 'waitlist-notifier';

export interface ConversationOptions {
  /** A fixed answer instead of the engine (tests about transport and ordering). */
  handler?: ConversationHandler;
  /** The understanding layer (src/nlu's createNlu()); without it free text gets the welcome and the menu. */
  nlu?: Nlu | null;
  /**
   * The FAQ as flows read it: built once from the workers' database, returning the view through a message's
   * transaction (src/faq: `(db) => { const f = createFaqLookup(db); return (tx) => f.using(tx); }`).
   * Default: the entries of faq_entries by topic, with no matching on meaning.
   */
  faq?: (db: Db) => (tx: DbOrTx) => FaqLookup;
}

export function conversationModule(opts: ConversationOptions = {}): AppModule {
  return {
    name: 'conversation',
    workers(ctx: ModuleContext): Worker[] {
      const { database, cipher, keys, clock, metrics, log, wake, jobs } = ctx;
      const faq = (opts.faq ?? ((_db: Db) => faqEntriesLookup))(database.background);
      const inbound = new InboundWorker({
        db: database.background, cipher, keys, clock, metrics,
        log: log.child({ worker: 'inbound' }),
        ...(opts.handler ? { handler: opts.handler } : {}),
        engine: { nlu: opts.nlu ?? null, faq, flows: FLOWS, emergencyReply, jobs, scheduling: { keys, cipher, videoUrlTemplate: ctx.config.videoUrlTemplate } },
        concurrency: database.concurrency,
        laneRun: database.kind === 'postgres' ? 8 : 1,
        intakeBursting: () => ctx.intake.bursting,
        onReplies: () => wake.wake(SENDER),
        onMedia: () => wake.wake(MEDIA),
        instanceId: `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`,
      });
      const notifier = new WaitlistNotifier({ db: database.background, cipher, keys, clock, log: log.child({ worker: WAITLIST }), onQueued: () => wake.wake(SENDER) });
      return [
        loopWorker({ name: INBOUND, pollMs: 250, log, wake, before: (worked) => ctx.intake.calm(worked), tick: () => inbound.tick() }),
        loopWorker({ name: WAITLIST, pollMs: 2000, log, wake, tick: () => notifier.tick() }),
      ];
    },
  };
}
