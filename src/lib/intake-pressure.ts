// Intake first: in one process, acknowledging webhooks goes before background work. The webhook route counts
// the requests it is handling; background loops (inbound processing, statuses, media) call calm() before each
// tick, which waits while a burst is being acknowledged (BUSY_AT or more in flight). The wait is earned by the
// work the loops have just done, together: a tick of d ms moves one shared "hold" d × (1 − SHARE) / SHARE ms
// further (at most MAX_HOLD_MS ahead), every loop waits for it (at least MAX_WAIT_MS), so under a sustained
// burst background work as a whole keeps about SHARE of the time and intake gets the rest. Replies and status updates slow down but never stop, and the backlog drains once the
// burst ebbs (the first webhook answered below BUSY_AT releases every waiter); at ordinary rates nothing ever
// waits (a webhook is answered in a few milliseconds, so several at once means the process is short of CPU).
// The sender does not wait here: its requests are paced by the shared send schedule and a late one is requeued.
export const BUSY_AT = 4;
export const MAX_WAIT_MS = 50;
/** Share of the time background work keeps while intake is busy. */
export const SHARE = 0.25;
/**
 * In flight from here on, intake is taking a burst rather than a busy stream: at 350 webhooks a second (50
 * messages, their replies' and read receipts' statuses) about four are in flight at any time, and the inbound
 * lanes going on there is what keeps replies quick.
 */
export const BURST_AT = 16;
/** The hold never reaches further ahead than this, however long the ticks were. */
export const MAX_HOLD_MS = 1000;

export class IntakePressure {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  /** Until when (Date.now() ms) background work rests while intake stays busy. */
  private holdUntil = 0;

  constructor(private readonly busyAt = BUSY_AT, private readonly maxWaitMs = MAX_WAIT_MS) {}

  /** A webhook request began. */
  enter(): void {
    this.inFlight++;
  }

  /** A webhook request ended (answered or failed). */
  leave(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight < this.busyAt && this.waiters.length) {
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w();
    }
  }

  get busy(): boolean {
    return this.inFlight >= this.busyAt;
  }

  /** A burst well beyond busy (BURST_AT webhooks in flight): background work that batches stops batching. */
  get bursting(): boolean {
    return this.inFlight >= BURST_AT;
  }

  /**
   * Resolves at once when intake is not busy; else when it calms down, or at the latest at the shared hold,
   * which the caller's last tick (`workedMs`) has just moved further (see the header), and maxWaitMs at least.
   */
  calm(workedMs = 0): Promise<void> {
    if (!this.busy) return Promise.resolve();
    const now = Date.now();
    this.holdUntil = Math.min(now + MAX_HOLD_MS, Math.max(this.holdUntil, now) + (workedMs * (1 - SHARE)) / SHARE);
    const rest = Math.max(this.maxWaitMs, this.holdUntil - now);
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, rest);
      this.waiters.push(done);
    });
  }
}
