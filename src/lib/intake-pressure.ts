// Intake first: in one process, acknowledging webhooks goes before background work. The webhook route counts
// the requests it is handling; background loops (inbound processing, statuses, media) call calm() before each
// tick, which waits while a burst is being acknowledged (BUSY_AT or more in flight). The wait is bounded by the
// work the loop has just done: a tick of d ms is followed by up to d × (1 − SHARE) / SHARE ms of rest (at least
// MAX_WAIT_MS, at most MAX_HOLD_MS), so under a sustained burst each loop keeps about SHARE of its time and
// intake gets the rest. Replies and status updates slow down but never stop, and the backlog drains once the
// burst ebbs (the first webhook answered below BUSY_AT releases every waiter); at ordinary rates nothing ever
// waits (a webhook is answered in a few milliseconds, so several at once means the process is short of CPU).
// The sender does not wait here: its requests are paced by the shared send schedule and a late one is requeued.
export const BUSY_AT = 4;
export const MAX_WAIT_MS = 50;
/** Share of its time a background loop keeps while intake is busy. */
export const SHARE = 0.25;
/** The longest rest after one tick, however long the tick was. */
export const MAX_HOLD_MS = 1000;

export class IntakePressure {
  private inFlight = 0;
  private waiters: (() => void)[] = [];

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

  /**
   * Resolves at once when intake is not busy; else when it calms down, or at the latest after the rest the
   * loop's last tick (`workedMs`) earns: maxWaitMs, or more after a long tick (see the header).
   */
  calm(workedMs = 0): Promise<void> {
    if (!this.busy) return Promise.resolve();
    const rest = Math.min(MAX_HOLD_MS, Math.max(this.maxWaitMs, (workedMs * (1 - SHARE)) / SHARE));
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
