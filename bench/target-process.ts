// Parent side of a server under test: forks bench/target.ts with tsx and talks to it over IPC.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { START_NODE_FLAGS } from '../src/lib/heap.js';
import { appEnv, childMessageSchema, type ChildMessage, type ParentMessage, type TargetSpec } from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');

export interface TargetProcess {
  url: string;
  serverVersion: string;
  pid: number;
  verify(ids: string[]): Promise<{ rows: number; distinct: number; missing: number; unexpected: number }>;
  stats(): Promise<Record<string, number>>;
  backlog(): Promise<{ inboundPending: number; statusesNew: number; statusesHeld: number; statusesApplied: number; statusesOursUnapplied: number }>;
  /** CPU time the target process has used so far (user + system), ms. */
  cpuMs(): Promise<number>;
  /** Starts a CPU profile of the target, or stops it and writes it to `file` (BENCH_CPU_PROF_WINDOW). */
  profile(action: 'start' | 'stop', file?: string): Promise<void>;
  stop(): Promise<void>;
}

function unexpected(label: string, want: string, got: ChildMessage): Error {
  return new Error(`${label}: expected '${want}' from the target, got '${got.type}'`);
}

export async function startTarget(label: string, spec: TargetSpec, opts: { cpuProfDir?: string | undefined } = {}): Promise<TargetProcess> {
  const execArgv = ['--import', 'tsx', ...(process.env['BENCH_TARGET_NODE_ARGS'] ?? '').split(' ').filter(Boolean)];
  // One folder per target: tsx's loader runs in a worker thread that writes a profile of its own.
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(opts.cpuProfDir, label)}`);
  const child: ChildProcess = fork(path.join(here, 'target.ts'), [], {
    cwd: repoRoot,
    execArgv,
    env: { ...process.env, BENCH_TARGET: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters: ((m: ChildMessage | Error) => void)[] = [];
  child.on('message', (raw) => {
    const parsed = childMessageSchema.safeParse(raw);
    const w = waiters.shift();
    if (w) w(parsed.success ? parsed.data : new Error(`${label}: unexpected message from the target`));
  });
  child.on('exit', (code, signal) => {
    for (const w of waiters.splice(0)) w(new Error(`${label}: target exited (${signal ?? code})`));
  });
  const next = (what: string, timeoutMs: number): Promise<ChildMessage> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${label}: no '${what}' from the target within ${timeoutMs} ms`)), timeoutMs);
      waiters.push((m) => {
        clearTimeout(t);
        if (m instanceof Error) return reject(m);
        if (m.type === 'failed') return reject(new Error(`${label}: ${m.error}`));
        resolve(m);
      });
    });
  const ask = (m: ParentMessage, what: string, timeoutMs = 120_000): Promise<ChildMessage> => {
    const r = next(what, timeoutMs);
    child.send(m);
    return r;
  };
  let ready: ChildMessage;
  try {
    ready = await next('ready', 180_000);
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw e;
  }
  if (ready.type !== 'ready') throw unexpected(label, 'ready', ready);
  return {
    url: ready.url,
    serverVersion: ready.serverVersion,
    pid: child.pid ?? -1,
    async verify(ids) {
      const m = await ask({ type: 'verify', ids }, 'verified');
      if (m.type !== 'verified') throw unexpected(label, 'verified', m);
      return { rows: m.rows, distinct: m.distinct, missing: m.missing, unexpected: m.unexpected };
    },
    async stats() {
      const m = await ask({ type: 'stats' }, 'stats');
      if (m.type !== 'stats') throw unexpected(label, 'stats', m);
      return m.stats;
    },
    async backlog() {
      const m = await ask({ type: 'backlog' }, 'backlog');
      if (m.type !== 'backlog') throw unexpected(label, 'backlog', m);
      return { inboundPending: m.inboundPending, statusesNew: m.statusesNew, statusesHeld: m.statusesHeld, statusesApplied: m.statusesApplied, statusesOursUnapplied: m.statusesOursUnapplied };
    },
    async profile(action: 'start' | 'stop', file?: string) {
      const m = await ask({ type: 'profile', action, ...(file ? { file } : {}) }, 'profiled');
      if (m.type !== 'profiled') throw unexpected(label, 'profiled', m);
    },
    async cpuMs() {
      const m = await ask({ type: 'cpu' }, 'cpu');
      if (m.type !== 'cpu') throw unexpected(label, 'cpu', m);
      return m.ms;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        await ask({ type: 'stop' }, 'stopped', 60_000);
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** User + system CPU of a process from /proc (clock ticks of 10 ms, Linux's USER_HZ), ms. */
function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * PatientLine as it is deployed: `npm start` (bin/patientline.mjs start, compiled JavaScript, no tsx), configured by
 * its environment. What the bench can ask of it is what it serves over HTTP and what /proc tells of its process:
 * the memory measures (the reminders run) use this, so that tsx's loader is not counted as the server's.
 */
export async function startServerProcess(label: string, spec: TargetSpec): Promise<TargetProcess> {
  const port = await freePort();
  const env = { ...process.env, ...appEnv(spec, process.env['BENCH_TARGET_LOG_LEVEL'] ?? 'warn'), PORT: String(port) };
  // The node flags of `npm start` (src/lib/heap.ts; a test checks package.json passes the same), then the bench's own.
  const child = spawn(process.execPath, [...START_NODE_FLAGS, ...(process.env['BENCH_TARGET_NODE_ARGS'] ?? '').split(' ').filter(Boolean), path.join(repoRoot, 'bin', 'patientline.mjs'), 'start'], {
    cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 240_000; // a first start compiles dist/ (about 30 s)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label}: npm start exited (${child.exitCode})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label}: not ready within 240 s`);
    }
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const unsupported = (what: string) => () => Promise.reject(new Error(`${label}: ${what} needs the bench target (bench/target.ts)`));
  return {
    url,
    serverVersion: '?',
    pid: child.pid ?? -1,
    verify: unsupported('verify'),
    stats: unsupported('stats'),
    backlog: unsupported('backlog'),
    profile: unsupported('profile'),
    cpuMs: async () => procCpuMs(child.pid ?? -1),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(t);
    },
  };
}
