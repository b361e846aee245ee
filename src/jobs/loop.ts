// A background loop: runs `tick` again at once while it finds work, otherwise sleeps until woken or until
// the poll interval passes (other instances' work is found by polling). Errors are counted and logged by
// code, never thrown out of the loop.
//
// Why these hand-written loops remain beside the job queue (queue.ts, pg-boss): their work items are rows
// of our own tables, with rules a queue of independent jobs cannot express. Inbound messages are handled
// one patient at a time in arrival order across instances (a claim that skips a patient with an earlier
// message pending); the outbox is paced by the per-number throughput cap and the per-recipient pair limit,
// and a send in doubt is reconciled before anything is resent; statuses are applied set-based in batches.
// A job per message would copy each row into a second table and lose that ordering and pacing. Everything
// scheduled for later (reminders, surveys, retention, template sync, outbound webhooks) goes to the queue.
import { errorSummary, type Logger } from '../lib/logger.js';
import type { Wakeups, Worker } from '../lib/module.js';

export interface Loop {
  wake(): void;
  stop(): Promise<void>;
}

export interface LoopOptions {
  name: string;
  pollMs: number;
  log: Logger;
  /** Returns how much work it did; 0 means "idle: sleep". */
  tick(): Promise<number>;
  /** Awaited before each tick, with how long the last tick took: background loops let webhook intake go first (lib/intake-pressure.ts). */
  before?(workedMs: number): Promise<void>;
  onError?(e: unknown): void;
}

export function startLoop(o: LoopOptions): Loop {
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        return resolve();
      }
      const t = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(t);
        wakeUp = null;
        resolve();
      };
    });
  const run = (async () => {
    let failures = 0;
    let worked = 0;
    while (!stopped) {
      try {
        woken = false;
        if (o.before) await o.before(worked);
        const started = performance.now();
        const n = await o.tick();
        worked = n === 0 ? 0 : performance.now() - started;
        failures = 0;
        if (n === 0 && !stopped) await sleep(o.pollMs);
      } catch (e) {
        failures++;
        o.onError?.(e);
        o.log.error({ loop: o.name, err: errorSummary(e) }, 'background loop tick failed');
        if (!stopped) await sleep(Math.min(o.pollMs * 2 ** Math.min(failures, 6), 30_000));
      }
    }
  })();
  return {
    wake() {
      if (wakeUp) wakeUp();
      else woken = true;
    },
    async stop() {
      stopped = true;
      wakeUp?.();
      await run;
    },
  };
}

/**
 * A loop as a module worker: started by main.ts (only with WORKERS=1), and woken by name through the
 * modules' Wakeups. `after` runs once the loop has stopped (e.g. the sender drains its sends in flight).
 */
export function loopWorker(o: LoopOptions & { wake: Wakeups; after?: () => Promise<void> }): Worker {
  let loop: Loop | null = null;
  return {
    name: o.name,
    start() {
      loop = startLoop(o);
      const l = loop;
      o.wake.on(o.name, () => l.wake());
    },
    async stop() {
      o.wake.off(o.name);
      await loop?.stop();
      await o.after?.();
    },
  };
}
