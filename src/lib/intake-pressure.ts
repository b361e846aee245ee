// Intake first: in one process, acknowledging webhooks goes before background work. The webhook route counts
// the requests it is handling; background loops (inbound processing, statuses, media) call calm() before each
// tick, which waits while a burst is being acknowledged (BUSY_AT or more in flight), for at most MAX_WAIT_MS.
// Under a burst, replies and status updates slow down but never stop; at ordinary rates nothing ever waits
// (a webhook is answered in a few milliseconds, so several at once means the process is short of CPU).
// The sender does not wait here: its requests are paced by the shared send schedule and a late one is requeued.
export const BUSY_AT = 4;
export const MAX_WAIT_MS = 50;

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

  /** Resolves at once when intake is not busy; else when it calms down, or after maxWaitMs at the latest. */
  calm(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, this.maxWaitMs);
      this.waiters.push(done);
    });
  }
}
