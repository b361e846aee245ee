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
