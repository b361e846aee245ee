import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BURST_AT, BUSY_AT, IntakePressure } from './intake-pressure.js';

describe('IntakePressure', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return done;
  };

  it('tells a burst from a busy stream: busy from BUSY_AT in flight, bursting from BURST_AT, neither once they end', () => {
    const p = new IntakePressure();
    for (let i = 0; i < BUSY_AT; i++) p.enter();
    expect([p.busy, p.bursting]).toEqual([true, false]);
    for (let i = BUSY_AT; i < BURST_AT; i++) p.enter();
    expect([p.busy, p.bursting]).toEqual([true, true]);
    for (let i = 0; i < BURST_AT; i++) p.leave();
    expect([p.busy, p.bursting]).toEqual([false, false]);
  });

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
    // However long the tick, the rest is bounded, and the burst ebbing ends it at once.
    const capped = p.calm(60_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(capped)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(capped)).toBe(true);
    const released = p.calm(60_000);
    for (let i = 0; i < 8; i++) p.leave();
    expect(await settled(released)).toBe(true);
  });
});
