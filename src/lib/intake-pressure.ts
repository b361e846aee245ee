// Intake first: in one process, acknowledging webhooks goes before background work. The webhook route counts
// the requests it is handling; background loops (inbound processing, statuses, media) call calm() before each
// tick, which waits while intake takes a burst (BURST_AT or more in flight). The wait is earned by the work
// the loops have just done, together: a tick of d ms moves one shared "hold" d × (1 − SHARE) / SHARE ms
// further (at most MAX_HOLD_MS ahead), every loop waits for it (at least MAX_WAIT_MS), so under a burst
// background work as a whole keeps about SHARE of the time and intake gets the rest. Replies and status
// updates slow down but never stop, and the backlog drains once the burst ebbs: CALM_MS with fewer than
// BURST_AT in flight releases every waiter. Not the first moment below it: webhooks are committed in groups
// and answered together, so under a burst the count drops near zero after every group commit and climbs again
// as the next requests are read (measured under the status mix: every wait ended at such a dip, none at its
// hold, and background work took most of the CPU).
// At ordinary rates nothing waits: at 350 webhooks a second (50 messages, their replies' and read receipts'
// statuses) about four are in flight at any time, and the inbound lanes going on there is what keeps replies
// quick (holding background work from 4 in flight on doubled the reply time at 50 messages a second).
// The sender does not wait here: its requests are paced by the shared send schedule and a late one is requeued.
export const BURST_AT = 16;
/** Intake is taking a burst until this long after it last had BURST_AT in flight. */
export const CALM_MS = 50;
export const MAX_WAIT_MS = 50;
/** Share of the time background work keeps while intake takes a burst. */
export const SHARE = 0.25;
/** The hold never reaches further ahead than this, however long the ticks were. */
export const MAX_HOLD_MS = 1000;

export class IntakePressure {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  /** Until when (Date.now() ms) background work rests while the burst lasts. */
  private holdUntil = 0;
  /** When (Date.now() ms) burstAt were last in flight. */
  private lastBurst = Number.NEGATIVE_INFINITY;
  /** The check that releases the waiters once intake has been calm for CALM_MS. */
  private calmCheck: NodeJS.Timeout | null = null;

  constructor(private readonly burstAt = BURST_AT, private readonly maxWaitMs = MAX_WAIT_MS) {}

  /** A webhook request began. */
  enter(): void {
    this.inFlight++;
    if (this.inFlight >= this.burstAt) this.lastBurst = Date.now();
  }

  /** A webhook request ended (answered or failed). */
  leave(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight < this.burstAt && this.waiters.length) this.checkCalm();
  }

  /** Releases the waiters once intake has been calm for CALM_MS (and checks again later while it has not). */
  private checkCalm(): void {
    if (this.calmCheck) return;
    this.calmCheck = setTimeout(() => {
      this.calmCheck = null;
      if (!this.waiters.length) return;
      if (this.bursting) {
        if (this.inFlight < this.burstAt) this.checkCalm();
        return;
      }
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w();
    }, Math.max(0, this.lastBurst + CALM_MS - Date.now()));
    this.calmCheck.unref?.();
  }

  /** Intake is taking a burst: burstAt webhooks in flight, now or within the last CALM_MS. */
  get bursting(): boolean {
    return this.inFlight >= this.burstAt || Date.now() - this.lastBurst < CALM_MS;
  }

  /**
   * Resolves at once when intake is not taking a burst; else when it calms down, or at the latest at the
   * shared hold, which the caller's last tick (`workedMs`) has just moved further (see the header), and
   * maxWaitMs at least.
   */
  calm(workedMs = 0): Promise<void> {
    if (!this.bursting) return Promise.resolve();
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
