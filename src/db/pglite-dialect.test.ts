import { describe, expect, it } from 'vitest';
import { SessionMutex, type Lane } from './pglite-dialect.js';

/** Queues one waiter per lane given while the session is held, then releases it; returns the order served. */
async function served(lanes: Lane[]): Promise<string[]> {
  const mutex = new SessionMutex();
  const first = await mutex.lock('normal');
  const order: string[] = [];
  const waiters = lanes.map((lane, i) =>
    mutex.lock(lane).then((release) => {
      order.push(`${lane}${i}`);
      release();
    }),
  );
  first();
  await Promise.all(waiters);
  return order;
}

describe('SessionMutex lanes', () => {
  it('serves urgent writes first, then intake, and background workers after intake', async () => {
    expect(await served(['background', 'normal', 'urgent', 'normal'])).toEqual(['urgent2', 'normal1', 'normal3', 'background0']);
  });

  it('gives a waiting background worker one turn after every four others, so a burst delays it without stopping it', async () => {
    const lanes: Lane[] = ['background', 'background', ...Array.from({ length: 10 }, (): Lane => 'normal')];
    const order = await served(lanes);
    expect(order).toHaveLength(12);
    expect(order.indexOf('background0')).toBe(4);
    expect(order.indexOf('background1')).toBe(9);
  });

  it('hands the session to a background worker at once when nothing else waits', async () => {
    expect(await served(['background'])).toEqual(['background0']);
  });
});

describe('SessionMutex and the event loop', () => {
  /** Busy for `ms` of CPU, as a PGlite query is: synchronous work behind a promise that resolves at once. */
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      /* spin */
    }
  };

  it('lets timers and sockets run while a long queue of holders drains', async () => {
    const mutex = new SessionMutex(10);
    const first = await mutex.lock('normal');
    let done = 0;
    const holders = Array.from({ length: 100 }, () =>
      mutex.lock('normal').then((release) => {
        busy(1);
        done++;
        release();
      }),
    );
    // Due at once: without a yield it would fire only once all 100 ms of holders had run.
    const doneWhenTimerFired = new Promise<number>((resolve) => setTimeout(() => resolve(done), 0));
    first();
    await Promise.all(holders);
    const seen = await doneWhenTimerFired;
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(60);
  });

  it('still serves lanes in order across a yield: intake that arrives during the break goes before background work', async () => {
    const mutex = new SessionMutex(0);
    const first = await mutex.lock('normal');
    const order: string[] = [];
    const take = (lane: Lane, name: string) =>
      mutex.lock(lane).then((release) => {
        order.push(name);
        release();
      });
    const background = take('background', 'background');
    first(); // yields (budget 0): the hand-over waits for the next turn of the event loop
    const intake = take('normal', 'intake'); // arrives during the break
    await Promise.all([background, intake]);
    expect(order).toEqual(['intake', 'background']);
  });
});
