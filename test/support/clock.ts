// A clock for tests of a running server: it follows real time (workers, sockets and timers keep working)
// plus an offset a test moves forward, so "six seconds later" costs no waiting. Shaped like src/clock.ts's
// Clock without importing it, so that it stays put when the clock module moves.
export interface AdjustableClock {
  now(): Date;
  /** Moves this clock, and everything that reads it, `ms` into the future. */
  advance(ms: number): void;
}

export function adjustableClock(): AdjustableClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms) {
      if (!(ms >= 0)) throw new Error('a clock only moves forward');
      offset += ms;
    },
  };
}
