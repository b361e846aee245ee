// PGlite has no lock of its own on its data directory: two processes on one directory silently lose
// committed writes. This lock file refuses a second process while the first is alive, and takes over
// the lock of a process that died (kill -9 leaves the file behind).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class DataDirLockedError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`DATA_DIR ${dir} is in use by another PatientLine process (pid ${pid}); stop it or choose another DATA_DIR`);
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e instanceof Error && 'code' in e && e.code === 'EPERM';
  }
  // A process killed with -9 whose parent died too may stay a zombie until init reaps it (in containers,
  // sometimes never): it answers kill(pid, 0) but holds nothing. Linux says so in /proc/<pid>/stat.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux): trust kill(pid, 0)
  }
}

/** Takes the lock; returns the release function. */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'patientline.lock');
  const me = JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, me, { flag: 'wx', mode: 0o600 });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8') === me) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        holder = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof holder;
      } catch {
        /* half-written or garbage: treat as stale */
      }
      const pid = typeof holder.pid === 'number' ? holder.pid : 0;
      const sameHost = holder.host === undefined || holder.host === os.hostname();
      if (pid > 0 && pid !== process.pid && (!sameHost || alive(pid))) throw new DataDirLockedError(dir, pid);
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock on ${dir}`);
}
