import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IntakePressure } from './intake-pressure.js';

describe('IntakePressure', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it('never holds background work back while intake is not busy', async () => {
    const p = new IntakePressure(3, 50);
    p.enter();
    p.enter();
    expect(p.busy).toBe(false);
    expect(await settled(p.calm())).toBe(true);
  });

  it('holds background work while a burst is acknowledged, and lets it go as soon as the burst ebbs', async () => {
    const p = new IntakePressure(3, 50);
    for (let i = 0; i < 3; i++) p.enter();
    expect(p.busy).toBe(true);
    const waiting = p.calm();
    expect(await settled(waiting)).toBe(false);
    p.leave();
    expect(await settled(waiting)).toBe(true);
  });

  it('holds it for a bounded time only, so replies slow down under a burst but never stop', async () => {
    const p = new IntakePressure(3, 50);
    for (let i = 0; i < 10; i++) p.enter();
    const waiting = p.calm();
    await vi.advanceTimersByTimeAsync(49);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    // A request that ends after the timeout does not resolve a stale waiter twice, nor throw.
    for (let i = 0; i < 10; i++) p.leave();
    expect(p.busy).toBe(false);
  });
});
