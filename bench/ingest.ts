// Webhook ingest under load: autocannon (programmatic) at N connections against one server under test,
// each request the next precomputed delivery (unique wamid, ~5 % redeliveries). Afterwards, deliveries
// still in flight when autocannon stopped are redelivered (as Meta retries an unanswered webhook), so that
// every sent id must end up stored exactly once: rows = unique ids is then an exact check.
import fs from 'node:fs';
import path from 'node:path';
import autocannon, { type Request as CannonRequest } from 'autocannon';
import type { DeliveryPool } from './payloads.js';
import { machineCpu, otherLoadCores } from './machine.js';
import { cpuDelta } from './pg-cpu.js';
import { Samples, type Summary } from './stats.js';
import type { TargetProcess } from './target-process.js';

export const WEBHOOK_PATH = '/webhooks/whatsapp';

export interface IngestResult {
  /** 2xx answers per second over the measured window. */
  rate: number;
  latency: Summary;
  requests: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** non-2xx + socket errors (timeouts included). */
  errors: number;
  durationS: number;
  rows: number;
  uniqueIds: number;
  missing: number;
  unexpected: number;
  /** Deliveries in flight at a cut-off, sent again after the run. */
  redelivered: number;
  duplicatesSent: number;
  /** CPU per answered request over the measured window, µs: the server process, its database backends
   *  (PostgreSQL server only; PGlite runs inside the server process), and this load generator. */
  cpuUs: { server: number; db: number; generator: number };
  /** CPU the rest of the machine used meanwhile, in cores. */
  otherLoad: number;
  /** performance.now() when the measured load ended (before redelivery and the row check). */
  endedAt: number;
}

export interface IngestOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  /** Cumulative CPU ms of the database backends, per backend (PostgreSQL server only). */
  dbCpu?: (() => Promise<Map<number, number>>) | undefined;
}

export async function runIngest(target: TargetProcess, pool: DeliveryPool, o: IngestOptions): Promise<IngestResult> {
  let cursor = 0;
  const acked: number[] = [];
  const request: CannonRequest = {
    method: 'POST',
    path: WEBHOOK_PATH,
    setupRequest(req, context) {
      const i = cursor++;
      const d = pool.get(i);
      context['i'] = i;
      return {
        ...req,
        body: d.body,
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': d.signature, 'x-bench-id': d.id },
      };
    },
    onResponse(status, _body, context) {
      const i = context['i'];
      if (status >= 200 && status < 300 && typeof i === 'number') acked.push(i);
    },
  };
  const url = `${target.url}${WEBHOOK_PATH}`;
  if (o.warmupS > 0) await autocannon({ url, connections: o.connections, duration: o.warmupS, requests: [request] });

  const latencies = new Samples();
  const first = cursor;
  const windowProfile = process.env['BENCH_CPU_PROF_WINDOW'];
  if (windowProfile) await target.profile('start');
  const serverCpu0 = await target.cpuMs();
  const dbCpu0 = await o.dbCpu?.();
  const generatorCpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const t0 = performance.now();
  const run = autocannon({ url, connections: o.connections, duration: o.durationS, requests: [request] });
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await run;
  const endedAt = performance.now();
  const elapsedMs = endedAt - t0;
  const machine1 = machineCpu();
  const generatorCpu = process.cpuUsage(generatorCpu0);
  const generatorCpuMs = (generatorCpu.user + generatorCpu.system) / 1000;
  const serverCpuMs = (await target.cpuMs()) - serverCpu0;
  if (windowProfile) {
    fs.mkdirSync(path.dirname(windowProfile), { recursive: true });
    await target.profile('stop', `${windowProfile}-${Date.now()}.cpuprofile`);
  }
  const dbCpu1 = await o.dbCpu?.();
  const dbCpuMs = dbCpu0 && dbCpu1 ? cpuDelta(dbCpu0, dbCpu1) : Number.NaN;
  const otherLoad = otherLoadCores(machine0, machine1, serverCpuMs + (Number.isNaN(dbCpuMs) ? 0 : dbCpuMs) + generatorCpuMs, elapsedMs);
  const sentInRun = cursor - first;

  // Redeliver what autocannon left unanswered (in flight at a cut-off, or lost to a socket error).
  const answered = new Uint8Array(cursor);
  for (const i of acked) answered[i] = 1;
  let redelivered = 0;
  for (let i = 0; i < cursor; i++) {
    if (answered[i]) continue;
    const d = pool.get(i);
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(url, { method: 'POST', body: d.body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': d.signature, 'x-bench-id': d.id } });
      await r.arrayBuffer();
      if (r.ok) break;
      if (attempt >= 5) throw new Error(`redelivery of ${d.id} answered ${r.status}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    redelivered++;
  }

  const ids = new Set<string>();
  let sent = 0;
  for (let i = 0; i < cursor; i++) {
    ids.add(pool.get(i).id);
    sent++;
  }
  const check = await target.verify([...ids]);
  const ok = result['2xx'];
  const perRequestUs = (ms: number) => (ms * 1000) / Math.max(1, ok);
  return {
    rate: ok / result.duration,
    latency: latencies.summary(),
    requests: sentInRun,
    non2xx: result.non2xx,
    socketErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    errors: result.non2xx + result.errors,
    durationS: result.duration,
    rows: check.rows,
    uniqueIds: ids.size,
    missing: check.missing,
    unexpected: check.unexpected,
    redelivered,
    duplicatesSent: sent - ids.size,
    cpuUs: { server: perRequestUs(serverCpuMs), db: perRequestUs(dbCpuMs), generator: perRequestUs(generatorCpuMs) },
    otherLoad,
    endedAt,
  };
}
