// Time is injected so that windows, backoffs and reminders can be tested on pinned instants.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
