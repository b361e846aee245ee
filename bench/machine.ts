// The whole machine's CPU time from /proc/stat, so a result can say how busy the machine was and how much
// of that was other processes (this machine is shared: other test suites may be running).
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ = 100 on Linux

export interface CpuTotals {
  busyMs: number;
  totalMs: number;
}

export function machineCpu(): CpuTotals | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already inside user
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busyMs: (total - idle) * TICK_MS, totalMs: total * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU used by processes other than ours over a window, in cores (e.g. 0.8 = 80 % of one core). */
export function otherLoadCores(before: CpuTotals | null, after: CpuTotals | null, oursMs: number, elapsedMs: number): number {
  if (!before || !after || elapsedMs <= 0) return Number.NaN;
  return Math.max(0, after.busyMs - before.busyMs - oursMs) / elapsedMs;
}
