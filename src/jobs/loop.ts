// A background loop: runs `tick` again at once while it finds work, otherwise sleeps until woken or until
// the poll interval passes (other instances' work is found by polling). Errors are counted and logged by
// code, never thrown out of the loop.
import type { Logger } from 'pino';

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
    while (!stopped) {
      try {
        woken = false;
        const n = await o.tick();
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

/** What may be logged of an error: its class, code and message (our errors never carry PHI). */
export function errorSummary(e: unknown): { type: string; code?: string; message: string } {
  if (e instanceof Error) {
    const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined;
    // Database errors (SQLSTATE codes) may quote values from the statement: keep only their code.
    const message = code && /^[0-9A-Z]{5}$/.test(code) ? 'database error' : e.message.slice(0, 300);
    return { type: e.name, ...(code ? { code } : {}), message };
  }
  return { type: typeof e, message: 'non-error thrown' };
}
