import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BURST_AT, CALM_MS, IntakePressure } from './intake-pressure.js';

describe('IntakePressure', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it('is bursting from BURST_AT in flight, and no longer CALM_MS after they were answered', async () => {
    const p = new IntakePressure();
    for (let i = 0; i < BURST_AT - 1; i++) p.enter();
    expect(p.bursting).toBe(false);
    p.enter();
    expect(p.bursting).toBe(true);
    for (let i = 0; i < BURST_AT; i++) p.leave();
    // A group commit answers many at once: a moment with none in flight is not the end of a burst.
    expect(p.bursting).toBe(true);
    await vi.advanceTimersByTimeAsync(CALM_MS);
    expect(p.bursting).toBe(false);
  });

  it('never holds background work back while intake is not taking a burst', async () => {
    const p = new IntakePressure(3, 50);
    p.enter();
    p.enter();
    expect(p.bursting).toBe(false);
    expect(await settled(p.calm(100))).toBe(true);
  });

  it('holds background work during a burst, and lets it go CALM_MS after the burst ebbs', async () => {
    const p = new IntakePressure(3, 1000);
    for (let i = 0; i < 3; i++) p.enter();
    const waiting = p.calm();
    expect(await settled(waiting)).toBe(false);
    p.leave();
    await vi.advanceTimersByTimeAsync(CALM_MS - 1);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });

  it('keeps background work waiting through the dips of a burst (every group commit answers many at once)', async () => {
    const p = new IntakePressure(3, 1000);
    for (let i = 0; i < 10; i++) p.enter();
    const waiting = p.calm();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) p.leave();
      await vi.advanceTimersByTimeAsync(CALM_MS / 2);
      expect(await settled(waiting)).toBe(false);
      for (let i = 0; i < 10; i++) p.enter();
      await vi.advanceTimersByTimeAsync(5);
    }
    for (let i = 0; i < 10; i++) p.leave();
    await vi.advanceTimersByTimeAsync(CALM_MS);
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
    await vi.advanceTimersByTimeAsync(CALM_MS);
    expect(p.bursting).toBe(false);
  });

  it('rests background work in proportion to the work just done, so under a sustained burst it keeps about a quarter of the time', async () => {
    const p = new IntakePressure(3, 50);
    for (let i = 0; i < 10; i++) p.enter();
    // A tick of 100 ms earns 300 ms of rest (100 / (100 + 300) = 25 %).
    const waiting = p.calm(100);
    await vi.advanceTimersByTimeAsync(299);
    expect(await settled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
    // Two loops share one hold: the second waits for the first one's rest and then its own.
    const first = p.calm(100);
    const second = p.calm(100);
    await vi.advanceTimersByTimeAsync(299);
    expect(await settled(first)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(first)).toBe(true);
    await vi.advanceTimersByTimeAsync(299);
    expect(await settled(second)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(second)).toBe(true);
    // However long the tick, the rest is bounded, and the burst ebbing ends it CALM_MS later.
    const capped = p.calm(60_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(capped)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(capped)).toBe(true);
    const released = p.calm(60_000);
    for (let i = 0; i < 8; i++) p.leave();
    await vi.advanceTimersByTimeAsync(CALM_MS);
    expect(await settled(released)).toBe(true);
  });
});
