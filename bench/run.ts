// `npm run bench`: the Measures of issue 2, on this machine, each beside a baseline run in the same run.
//   1. Webhook ingest at 50 connections (PGlite and PostgreSQL), PatientLine beside a bare Fastify handler
//      doing one INSERT per request; and (issue 11) the status mix on PostgreSQL with workers on, beside the
//      bare handler, with the time the backlog takes to drain afterwards.
//   2. Webhook-to-reply latency at 50 inbound messages/s, beside the webhook's and the Graph API's own
//      round trips.
//   3. The sender at the cap (bench/sender.ts): WHATSAPP_MPS=100, 1,500 patients writing at once, PostgreSQL,
//      one and two instances: sustained messages/s and the most in any 1 s and 5 s window, as % of the cap.
//   4. (issue 13) The understanding layer (bench/nlu.ts): intent and language accuracy on the dev sets, emergency
//      recall and specificity, the model's start-up time and the latency of one parse beside a trivial baseline.
//   5. (issue 14, bench/slots.ts) Slot search for 20 practitioners over 30 days on PostgreSQL (p50, p99) beside
//      bare selects of the same rows, nearestSlots as the chat flow calls it, and booking throughput under
//      contention (no double booking).
//   6. (issue 15, bench/reminders.ts) Reminders at 1,000/s: BENCH_REMINDERS (default 100,000) reminders due at
//      one instant, WHATSAPP_MPS=1000, PostgreSQL: time until all are accepted by the fake Graph API, the
//      sustained rate, none twice, none missed, the server's peak RSS; beside the reminder worker alone and the
//      sender alone draining as many queued rows.
// Servers under test run in child processes (bench/target.ts); this process is the load generator. Prints
// the machine and a Markdown table (also written to bench/results.md).
//
// Environment: BENCH_DURATION (s, default 20), BENCH_DATABASE_URL (a PostgreSQL server to create scratch
// databases on; default postgres://postgres@127.0.0.1:5432/postgres), BENCH_ONLY=ingest|latency|sender|nlu|slots|reminders (a
// comma-separated list), BENCH_SENDER_MPS (default 100), BENCH_SENDER_PATIENTS (default 1,500, scaled down
// with BENCH_DURATION under 20 s), BENCH_SENDER_INSTANCES (default 1,2: one run per count),
// BENCH_DB=pglite|postgres, BENCH_CPU_PROF=1 (write .cpuprofile files of the servers to bench/profiles/),
// BENCH_CPU_PROF_WINDOW=PATH_PREFIX (profile each ingest server over its measured window only: PATH_PREFIX-<time>.cpuprofile),
// BENCH_INGEST=texts,mix,unknown (which ingest loads: text messages with workers off; the status mix with
// workers on, PostgreSQL only — 80 % statuses, half ours and half another app's, 20 % texts from 1,000
// patients; the same with every status another app's), BENCH_MPS (WHATSAPP_MPS of the app in the latency run; default 1000, plus a row at the app's default), BENCH_LATENCY_RATE
// (inbound messages/s of the latency run, default 50), BENCH_COUNT_QUERIES=1 (log statements per message),
// BENCH_REMINDERS (reminders due at once, default 100,000), BENCH_REMINDERS_MPS (default 1000), BENCH_TABLE_STATS=1
// (each scratch database's rows inserted and updated per table, HOT updates among them, when it is dropped).
// Memory of the servers under test: BENCH_TARGET_MEMLOG=1 (RSS, V8 heap, ArrayBuffers and glibc's [heap] every
// second on stderr), BENCH_TARGET_HEAPPROF=PATH_PREFIX (a sampling heap profile of each server, objects that
// survived to a major GC included: PATH_PREFIX-<pid>.heapprofile, opens in Chrome DevTools),
// BENCH_TARGET_NODE_ARGS (extra node flags for the servers, e.g. --max-semi-space-size=64).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runIngest, type IngestResult } from './ingest.js';
import { runNlu, type NluBench } from './nlu.js';
import { LATENCY_PHONE_NUMBER_ID, runLatency, type LatencyResult } from './latency.js';
import { runSender, SENDER_PHONE_NUMBER_ID, type SenderResult } from './sender.js';
import { REMINDERS_PHONE_NUMBER_ID, remindersChecks, remindersTable, runReminders, type RemindersResult } from './reminders.js';
import { runSlots, slotsChecks, slotsTable, type SlotsResult } from './slots.js';
import { createDeliveryPool, createMixPool, type MixKind } from './payloads.js';
import { startFakeGraph } from '../test/support/fake-graph.js';
import { backendCpu } from './pg-cpu.js';
import type { TargetSpec } from './protocol.js';
import { DEFAULT_WHATSAPP_MPS as DEFAULT_MPS } from '../src/config.js';
import { drainLimitMs, fmt, ingestTable, latencyTable, machineSection, mixChecks, mixTable, senderTable, stagesTable, targetsTable, type Check, type IngestRow, type LatencyRow, type MixRow } from './report.js';
import { repoRoot, startServerProcess, startTarget, type TargetProcess } from './target-process.js';

const env = process.env;
const DURATION_S = Math.max(1, Number(env['BENCH_DURATION'] ?? 20) || 20);
const WARMUP_S = DURATION_S >= 10 ? 3 : 1;
const CONNECTIONS = 50;
const LATENCY_RATE = Number(env['BENCH_LATENCY_RATE'] ?? 50) || 50;
const LATENCY_WARMUP = 25;
const PG_BASE = env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY = (env['BENCH_ONLY'] ?? '').split(',').filter(Boolean);
const runs = (what: 'ingest' | 'latency' | 'sender' | 'nlu' | 'slots' | 'reminders') => ONLY.length === 0 || ONLY.includes(what);
const SENDER_MPS = Number(env['BENCH_SENDER_MPS'] ?? 100) || 100;
const SENDER_PATIENTS = Number(env['BENCH_SENDER_PATIENTS'] ?? 0) || Math.round(1500 * Math.min(1, DURATION_S / 20));
const SENDER_INSTANCES = (env['BENCH_SENDER_INSTANCES'] ?? '1,2').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const REMINDERS = Number(env['BENCH_REMINDERS'] ?? 100_000) || 100_000;
const REMINDERS_MPS = Number(env['BENCH_REMINDERS_MPS'] ?? 1000) || 1000;
const DBS = (env['BENCH_DB'] ?? 'pglite,postgres').split(',');
const CPU_PROF_DIR = env['BENCH_CPU_PROF'] ? path.join(repoRoot, 'bench', 'profiles') : undefined;
const MPS = env['BENCH_MPS'] ? Number(env['BENCH_MPS']) : undefined;
const INGEST = (env['BENCH_INGEST'] ?? 'texts,mix,unknown').split(',');
/** Deliveries computed before the run: enough for this rate over warm-up + duration. */
const POOL_RATE = 8000;

const APP_SECRET = 'bench-app-secret-7c1f0e';
const TOKEN = 'bench-access-token';
const INGEST_PHONE_NUMBER_ID = '106540352242922';

type DbKind = 'pglite' | 'postgres';
const DB_LABEL: Record<DbKind, string> = { pglite: 'PGlite (embedded, on disk)', postgres: 'PostgreSQL server' };

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** Scratch storage: PGlite directories under one temp dir, PostgreSQL databases; all removed at the end. */
class Scratch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patientline-bench-'));
  private readonly databases: string[] = [];
  private n = 0;
  constructor(private readonly base: string) {}
  dataDir(): string {
    return path.join(this.dir, `pglite-${++this.n}`);
  }
  async database(): Promise<{ url: string; name: string }> {
    const name = `pl_bench_${process.pid}_${crypto.randomBytes(3).toString('hex')}_${++this.n}`;
    await adminQuery(this.base, `create database ${name}`);
    this.databases.push(name);
    const u = new URL(this.base);
    u.pathname = `/${name}`;
    return { url: u.toString(), name };
  }
  async cleanup(): Promise<void> {
    for (const name of this.databases.splice(0)) {
      if (env['BENCH_TABLE_STATS']) await logTableStats(this.base, name).catch((e: unknown) => log(`table stats of ${name}: ${String(e)}`));
      await adminQuery(this.base, `drop database if exists ${name} with (force)`).catch((e: unknown) => log(`could not drop ${name}: ${String(e)}`));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** BENCH_TABLE_STATS=1: rows written per table of a scratch database, and how many updates were heap-only (HOT). */
async function logTableStats(base: string, name: string): Promise<void> {
  const u = new URL(base);
  u.pathname = `/${name}`;
  const r = await adminQuery(u.toString(), `select relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_dead_tup from pg_stat_user_tables where n_tup_ins + n_tup_upd > 0 order by n_tup_ins + n_tup_upd desc limit 8`);
  for (const t of r.rows as { relname: string; n_tup_ins: string; n_tup_upd: string; n_tup_hot_upd: string; n_dead_tup: string }[]) {
    log(`${name} ${t.relname}: ${t.n_tup_ins} inserted, ${t.n_tup_upd} updated (${t.n_tup_hot_upd} HOT), ${t.n_dead_tup} dead`);
  }
}

async function adminQuery(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

async function postgresVersion(): Promise<{ version: string } | { skipped: string }> {
  try {
    const r = await adminQuery(PG_BASE, 'select version() as v');
    const v: unknown = r.rows[0]?.v;
    return { version: typeof v === 'string' ? v.replace(/ on .*/, '') : 'PostgreSQL (unknown version)' };
  } catch (e) {
    const u = new URL(PG_BASE);
    u.password = '';
    return { skipped: `no PostgreSQL server answered at ${u.toString()} (${e instanceof Error ? e.message : String(e)})` };
  }
}

function pgliteVersion(): string {
  const file = path.join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8')).version;
  return typeof v === 'string' ? v : '?';
}

/** The commit under test (src/ edits not yet committed are flagged: they are measured too). */
function revision(): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git(['status', '--porcelain', '--', 'src']) !== '';
    return `at commit ${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return '(commit unknown: not a git checkout)';
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  const pgInfo = DBS.includes('postgres') ? await postgresVersion() : { skipped: 'not selected (BENCH_DB)' };
  const kinds: DbKind[] = [];
  if (DBS.includes('pglite')) kinds.push('pglite');
  if (DBS.includes('postgres') && 'version' in pgInfo) kinds.push('postgres');
  const cpus = os.cpus();
  process.stdout.write(
    `Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB; Node.js ${process.version}; ` +
      `${'version' in pgInfo ? pgInfo.version : `PostgreSQL skipped: ${pgInfo.skipped}`}; PGlite ${pgliteVersion()}; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' / ')}\n`,
  );
  if ('skipped' in pgInfo) log(`PostgreSQL rows skipped: ${pgInfo.skipped}`);

  const scratch = new Scratch(PG_BASE);
  const onSignal = () => {
    void scratch.cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const encryptionKey = crypto.randomBytes(32).toString('base64');
  /** A target on fresh storage; `database` names the scratch database on the server, if any. */
  const spec = async (kind: 'app' | 'bare', db: DbKind, extra: Partial<TargetSpec> = {}): Promise<{ spec: TargetSpec; database: string | null }> => {
    const server = db === 'postgres' ? await scratch.database() : null;
    return {
      database: server?.name ?? null,
      spec: {
        kind,
        dataDir: scratch.dataDir(),
        ...(server ? { databaseUrl: server.url } : {}),
        workers: false,
        graphUrl: 'http://127.0.0.1:9',
        token: TOKEN,
        appSecret: APP_SECRET,
        phoneNumberId: INGEST_PHONE_NUMBER_ID,
        encryptionKey,
        ...extra,
      },
    };
  };

  const pgliteServer = { version: '?' };
  const ingestRows: IngestRow[] = [];
  const mixRows: MixRow[] = [];
  const latencyRows: LatencyRow[] = [];
  const senderRows: SenderResult[] = [];
  let slotsResult: SlotsResult | undefined;
  let remindersResult: RemindersResult | undefined;
  const notes: string[] = [];
  try {
    if (runs('ingest') && INGEST.includes('texts')) {
      const poolSize = Math.ceil((DURATION_S + WARMUP_S) * POOL_RATE);
      log(`precomputing ${poolSize} signed webhook bodies…`);
      const pool = createDeliveryPool({ size: poolSize, secret: APP_SECRET, phoneNumberId: INGEST_PHONE_NUMBER_ID, runId: crypto.randomBytes(4).toString('hex') });
      for (const db of kinds) {
        const results: Partial<Record<'bare' | 'app', IngestResult>> = {};
        for (const kind of ['bare', 'app'] as const) {
          const label = `ingest-${db}-${kind}`;
          log(`${label}: starting the server…`);
          const { spec: s, database } = await spec(kind, db);
          const target = await startTarget(label, s, { cpuProfDir: CPU_PROF_DIR });
          if (db === 'pglite') pgliteServer.version = target.serverVersion;
          const dbCpu = database ? () => backendCpu(PG_BASE, database) : undefined;
          try {
            log(`${label}: ${WARMUP_S} s warm-up + ${DURATION_S} s at ${CONNECTIONS} connections…`);
            const r = await runIngest(target, pool, { connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, dbCpu });
            results[kind] = r;
            log(`${label}: ${r.rate.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, errors ${r.errors}, rows ${r.rows}/${r.uniqueIds} (missing ${r.missing}, unexpected ${r.unexpected}, redelivered ${r.redelivered}); CPU µs/req server ${r.cpuUs.server.toFixed(0)}, db ${r.cpuUs.db.toFixed(0)}, generator ${r.cpuUs.generator.toFixed(0)}; other load ${r.otherLoad.toFixed(2)} cores`);
          } finally {
            await target.stop();
          }
        }
        const bare = results.bare;
        for (const kind of ['bare', 'app'] as const) {
          const r = results[kind];
          if (r) ingestRows.push({ db: DB_LABEL[db], isPostgres: db === 'postgres', handler: kind === 'bare' ? 'bare Fastify + 1 INSERT' : 'PatientLine webhook', isApp: kind === 'app', result: r, ratio: bare ? r.rate / bare.rate : Number.NaN });
        }
      }
      if (pool.computedLive > 0) notes.push(`${pool.computedLive} bodies were computed during the runs (the precomputed pool of ${pool.size} was too small).`);
    }

    const mixKinds = (['mix', 'unknown'] as const).filter((k) => INGEST.includes(k));
    if (runs('ingest') && mixKinds.length && !kinds.includes('postgres')) notes.push('The status mix runs on PostgreSQL only: it was skipped.');
    if (runs('ingest') && kinds.includes('postgres')) {
      for (const mix of mixKinds) mixRows.push(...(await runMix(mix, spec)));
    }

    if (runs('latency')) {
      const messages = LATENCY_RATE * DURATION_S;
      // A number that receives 50 messages/s needs Meta's 1,000-mps tier (80 mps counts inbound + outbound,
      // shared/cloud-api.md §10), so the app runs with that cap; one more PostgreSQL row keeps the app's
      // default cap to show what it does at this rate.
      const configs: { db: DbKind; mps: number | undefined }[] = kinds.map((db) => ({ db, mps: MPS ?? 1000 }));
      if (kinds.includes('postgres') && MPS === undefined) configs.push({ db: 'postgres', mps: undefined });
      for (const { db, mps } of configs) {
        const label = `latency-${db}-mps-${mps ?? 'default'}`;
        log(`${label}: ${messages} messages at ${LATENCY_RATE}/s…`);
        const r: LatencyResult = await runLatency({
          appSecret: APP_SECRET,
          token: TOKEN,
          messages,
          ratePerS: LATENCY_RATE,
          warmupMessages: LATENCY_WARMUP,
          replyTimeoutMs: 30_000,
          startApp: async (graphUrl) => {
            const { spec: s, database } = await spec('app', db, { workers: true, graphUrl, phoneNumberId: LATENCY_PHONE_NUMBER_ID, ...(mps ? { mps } : {}) });
            const target = await startTarget(label, s, { cpuProfDir: CPU_PROF_DIR });
            if (db === 'pglite') pgliteServer.version = target.serverVersion;
            return { target, dbCpu: database ? () => backendCpu(PG_BASE, database) : undefined };
          },
        });
        log(`${label}: replied ${r.replied}/${r.messages}, p50 ${r.reply.p50.toFixed(0)} ms, p99 ${r.reply.p99.toFixed(0)} ms, max ${r.reply.max.toFixed(0)} ms; ack p50 ${r.ack.p50.toFixed(1)} ms; graph p50 ${r.graph.p50.toFixed(2)} ms; CPU % of a core: server ${r.cpuPct.server.toFixed(0)}, db ${r.cpuPct.db.toFixed(0)}, bench ${r.cpuPct.generator.toFixed(0)}; other load ${r.otherLoad.toFixed(2)} cores${r.ackErrors ? `; webhook failures ${JSON.stringify(r.ackFailures)}` : ''}`);
        const handled = r.messages + LATENCY_WARMUP;
        for (const [k, v] of Object.entries(r.stats).sort((a, b) => b[1] - a[1])) {
          if (k.startsWith('query: ') && v / handled < 0.05) continue;
          log(`${label}:   ${k.startsWith('query: ') ? `${(v / handled).toFixed(2)} per message  ${k}` : `${k} = ${v}`}`);
        }
        latencyRows.push({ db: DB_LABEL[db], mps: mps ? String(mps) : `${DEFAULT_MPS} (default)`, mpsValue: mps ?? DEFAULT_MPS, result: r });
      }
    }

    if (runs('sender') && kinds.includes('postgres')) {
      for (const instances of SENDER_INSTANCES) {
        const label = `sender-postgres-mps-${SENDER_MPS}-x${instances}`;
        log(`${label}: ${SENDER_PATIENTS} patients writing at once…`);
        const { spec: s } = await spec('app', 'postgres', { workers: true, phoneNumberId: SENDER_PHONE_NUMBER_ID, mps: SENDER_MPS });
        const probe = new pg.Client({ connectionString: s.databaseUrl });
        await probe.connect();
        const r = await runSender({
          appSecret: APP_SECRET,
          token: TOKEN,
          mps: SENDER_MPS,
          patients: SENDER_PATIENTS,
          instances,
          concurrency: CONNECTIONS,
          timeoutMs: 180_000,
          startApps: async (graphUrl, count) => {
            // One database, several instances: the cap is the phone number's, shared through it.
            const targets = [];
            for (let i = 0; i < count; i++) targets.push(await startTarget(`${label}-${i + 1}`, { ...s, graphUrl, dataDir: scratch.dataDir() }, { cpuProfDir: CPU_PROF_DIR }));
            return targets;
          },
          marks: async () => (await probe.query<{ ms: number }>(`select (extract(epoch from dispatched_at) * 1000)::float8 as ms from outbox where dispatched_at is not null`)).rows.map((row) => row.ms),
          backlog: async () => {
            const q = await probe.query<{ n: number }>(`select count(*)::int as n from outbox where state = 'pending' and next_attempt_at <= now()`).catch((e: unknown) => { log(`backlog probe failed: ${String(e)}`); return { rows: [{ n: 0 }] }; });
            return q.rows[0]?.n ?? 0;
          },
        }).finally(() => probe.end());
        log(`${label}: ${r.requests} requests in ${r.busyS.toFixed(1)} s, sustained ${r.sustainedPerS.toFixed(1)}/s (${fmt((100 * r.sustainedPerS) / r.mps, 0)} % of the cap), max 1 s ${r.max1s}, max 5 s ${r.max5s}; answered once ${r.answered}/${r.patients}, duplicated ${r.duplicated}; webhooks acknowledged in ${(r.burstMs / 1000).toFixed(1)} s (${r.webhookErrors} failed); at the cap (≥ 1 s of sends due) ${r.atCapS} s at ${fmt(r.atCapPerS, 1)}/s; by the instances' dispatch marks: sustained ${fmt(r.byMarks.sustainedPerS, 1)}/s, max 1 s ${r.byMarks.max1s}, max 5 s ${r.byMarks.max5s}; given back unsent ${JSON.stringify(r.requeued)}; per second: ${r.perSecond.join(' ')}; most due per second: ${r.dueBySecond.join(' ')}`);
        senderRows.push(r);
      }
    } else if (runs('sender')) {
      notes.push('The sender-at-the-cap rows need a PostgreSQL server (BENCH_DATABASE_URL) and were skipped.');
    }
    if (runs('slots') && kinds.includes('postgres')) {
      const { url } = await scratch.database();
      slotsResult = await runSlots({ databaseUrl: url, bookingSeconds: Math.min(DURATION_S, 10) });
    } else if (runs('slots')) {
      notes.push('The slot search and booking rows need a PostgreSQL server (BENCH_DATABASE_URL) and were skipped.');
    }
    if (runs('reminders') && kinds.includes('postgres')) {
      remindersResult = await runReminders({
        count: REMINDERS, mps: REMINDERS_MPS, appSecret: APP_SECRET, token: TOKEN, encryptionKey, log, baselineOnly: env['BENCH_REMINDERS_PARTS'] === 'baseline',
        database: () => scratch.database(),
        startApp: async (databaseUrl, graphUrl, label) => {
          const { spec: s } = await spec('app', 'pglite', { workers: true, phoneNumberId: REMINDERS_PHONE_NUMBER_ID, mps: REMINDERS_MPS, graphUrl });
          // As deployed (npm start: compiled, no tsx), unless BENCH_REMINDERS_TARGET=tsx (the bench target, for its knobs).
          return env['BENCH_REMINDERS_TARGET'] === 'tsx' ? startTarget(label, { ...s, databaseUrl }, { cpuProfDir: CPU_PROF_DIR }) : startServerProcess(label, { ...s, databaseUrl });
        },
      });
      const x = remindersResult.run;
      log(`reminders: ${x.arrivals} accepted, due → all ${x.totalS.toFixed(1)} s, sustained ${x.sustainedPerS.toFixed(0)}/s, RSS ${x.rssStartMb.toFixed(0)} → max ${x.rssMaxMb.toFixed(0)} MB, CPU % of a core: server ${x.serverCpuPct.toFixed(0)}, database ${x.dbCpuPct.toFixed(0)}; other load ${x.otherLoad.toFixed(2)} cores; states ${JSON.stringify(x.states)}; given back unsent ${JSON.stringify(x.requeued)}; per second: ${x.perSecond.join(' ')}`);
    } else if (runs('reminders')) {
      notes.push('The reminders rows need a PostgreSQL server (BENCH_DATABASE_URL) and were skipped.');
    }
  } finally {
    await scratch.cleanup();
  }

  // Issue 13: the understanding layer, in this process (CPU only, no server).
  let nlu: NluBench | null = null;
  if (runs('nlu')) nlu = await runNlu(log);

  const checks: Check[] = [];
  const pgApp = ingestRows.find((r) => r.isPostgres && r.isApp);
  if (pgApp) {
    const r = pgApp.result;
    checks.push(
      { what: 'PostgreSQL ingest rate', target: '≥ 1,500 webhooks/s', measured: `${fmt(r.rate, 0)}/s`, pass: r.rate >= 1500 },
      { what: 'PostgreSQL ingest p99', target: '≤ 50 ms', measured: `${fmt(r.latency.p99, 1)} ms`, pass: r.latency.p99 <= 50 },
      { what: 'PostgreSQL ingest errors', target: '0', measured: String(r.errors), pass: r.errors === 0 },
      { what: 'PostgreSQL rows = unique ids', target: 'equal, none missing', measured: `${r.rows.toLocaleString('en-US')} / ${r.uniqueIds.toLocaleString('en-US')}`, pass: r.rows === r.uniqueIds && r.missing === 0 && r.unexpected === 0 },
      { what: 'PostgreSQL rate vs bare handler', target: '≥ 0.6×', measured: `${fmt(pgApp.ratio, 2)}×`, pass: pgApp.ratio >= 0.6 },
    );
  }
  checks.push(...mixChecks(mixRows));
  if (slotsResult) checks.push(...slotsChecks(slotsResult));
  if (remindersResult) checks.push(...remindersChecks(remindersResult));
  for (const row of latencyRows) {
    const r = row.result;
    // Replies and read receipts count against the number's cap (inbound + outbound, all types): when the load
    // needs more sends a second than the cap allows, queueing is the cap's doing, and a latency target cannot apply.
    const demand = LATENCY_RATE * r.sendsPerMessage;
    const overCap = demand > row.mpsValue ? `${fmt(demand, 0)} sends/s needed, cap ${row.mpsValue}/s` : undefined;
    checks.push(
      { what: `${row.db}, MPS ${row.mps}: reply p50`, target: '≤ 150 ms', measured: `${fmt(r.reply.p50, 0)} ms`, pass: r.reply.p50 <= 150, notApplicable: overCap },
      { what: `${row.db}, MPS ${row.mps}: reply p99`, target: '≤ 1,000 ms', measured: `${fmt(r.reply.p99, 0)} ms`, pass: r.reply.p99 <= 1000, notApplicable: overCap },
      { what: `${row.db}, MPS ${row.mps}: every message answered`, target: `${r.messages} / ${r.messages}`, measured: `${r.replied} / ${r.messages}`, pass: r.replied === r.messages },
    );
  }

  if (nlu) checks.push(...nlu.checks);
  for (const r of senderRows) {
    const at = `Sender at MPS ${r.mps}, ${r.instances} instance${r.instances > 1 ? 's' : ''}`;
    checks.push(
      { what: `${at}: sustained while ≥ 1 s of sends was due`, target: '≥ 90 % of the cap', measured: `${fmt((100 * r.atCapPerS) / r.mps, 1)} % over ${r.atCapS} s (whole busy period: ${fmt((100 * r.sustainedPerS) / r.mps, 1)} %)`, pass: r.atCapS > 0 && r.atCapPerS >= 0.9 * r.mps },
      { what: `${at}: most in any 1 s`, target: '≤ 150 % of the cap', measured: `${fmt((100 * r.max1s) / r.mps, 0)} %`, pass: r.max1s <= 1.5 * r.mps },
      { what: `${at}: most in any 5 s`, target: '≤ 110 % of the cap', measured: `${fmt((100 * r.max5s) / (5 * r.mps), 1)} %`, pass: r.max5s <= 1.1 * 5 * r.mps },
      { what: `${at}: every patient answered once`, target: `${r.patients} / ${r.patients}`, measured: `${r.answered} / ${r.patients}`, pass: r.answered === r.patients && r.duplicated === 0 },
    );
  }

  const md = [
    machineSection({
      cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
      cores: cpus.length,
      memoryGb: os.totalmem() / 2 ** 30,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      postgres: 'version' in pgInfo ? `${pgInfo.version} (server on the same machine)` : `PostgreSQL skipped: ${pgInfo.skipped}`,
      pglite: `PGlite ${pgliteVersion()} (PostgreSQL ${pgliteServer.version})`,
      loadavg: loadAtStart,
      loadavgEnd: os.loadavg(),
      revision: revision(),
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      durationS: DURATION_S,
      warmupS: WARMUP_S,
    }),
    ingestRows.length ? ingestTable(ingestRows, { connections: CONNECTIONS, durationS: DURATION_S }) : '',
    mixRows.length ? mixTable(mixRows, { connections: CONNECTIONS, durationS: DURATION_S }) : '',
    latencyRows.length ? latencyTable(latencyRows, { rate: LATENCY_RATE }) : '',
    latencyRows.length ? stagesTable(latencyRows) : '',
    senderRows.length ? senderTable(senderRows) : '',
    nlu ? nlu.markdown : '',
    slotsResult ? slotsTable(slotsResult) : '',
    remindersResult ? remindersTable(remindersResult) : '',
    checks.length ? targetsTable(checks) : '',
    'skipped' in pgInfo ? `PostgreSQL rows were skipped: ${pgInfo.skipped}.\n` : '',
    ...notes.map((n) => `${n}\n`),
  ].filter(Boolean).join('\n');
  process.stdout.write(`\n${md}`);
  fs.writeFileSync(path.join(repoRoot, 'bench', 'results.md'), md);
  log('written to bench/results.md');
}

type SpecFor = (kind: 'app' | 'bare', db: DbKind, extra?: Partial<TargetSpec>) => Promise<{ spec: TargetSpec; database: string | null }>;

/**
 * One status-mix load on PostgreSQL, workers on, beside the bare handler: the app holds the outbox rows the
 * known statuses report on, sends its replies to a fake Graph API (no status webhooks back: the load is the
 * generator's), and after the load the backlog (inbound messages not processed, statuses never tried) must drain.
 */
async function runMix(mix: MixKind, spec: SpecFor): Promise<MixRow[]> {
  const poolSize = Math.ceil((DURATION_S + WARMUP_S) * POOL_RATE);
  log(`${mix}: precomputing ${poolSize} signed webhook bodies…`);
  const pool = createMixPool({ size: poolSize, secret: APP_SECRET, phoneNumberId: INGEST_PHONE_NUMBER_ID, runId: crypto.randomBytes(4).toString('hex'), kind: mix });
  const graph = await startFakeGraph({ appSecret: APP_SECRET, token: TOKEN, webhook: null, statuses: false, phoneNumberId: INGEST_PHONE_NUMBER_ID });
  const rows: MixRow[] = [];
  try {
    const results: Partial<Record<'bare' | 'app', { r: IngestResult; drain: MixRow['drain'] }>> = {};
    for (const kind of ['bare', 'app'] as const) {
      const label = `ingest-${mix}-postgres-${kind}`;
      log(`${label}: starting the server…`);
      const { spec: s, database } = await spec(kind, 'postgres', kind === 'app' ? { workers: true, graphUrl: graph.url, seedOutbox: pool.seed } : {});
      const target = await startTarget(label, s, { cpuProfDir: CPU_PROF_DIR });
      try {
        log(`${label}: ${WARMUP_S} s warm-up + ${DURATION_S} s at ${CONNECTIONS} connections…`);
        const r = await runIngest(target, pool, { connections: CONNECTIONS, durationS: DURATION_S, warmupS: WARMUP_S, dbCpu: database ? () => backendCpu(PG_BASE, database) : undefined });
        const drain = kind === 'app' ? await waitForDrain(target, r.endedAt) : null;
        results[kind] = { r, drain };
        if (kind === 'app' && env['BENCH_COUNT_QUERIES']) {
          const stats = await target.stats();
          const requests = r.requests;
          for (const [k, v] of Object.entries(stats).sort((a, b) => b[1] - a[1])) {
            if (k.startsWith('query: ') && v / requests >= 0.02) log(`${label}:   ${(v / requests).toFixed(2)} per request  ${k}`);
          }
        }
        log(`${label}: ${r.rate.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, errors ${r.errors}, rows ${r.rows}/${r.uniqueIds} (missing ${r.missing}, unexpected ${r.unexpected}); CPU µs/req server ${r.cpuUs.server.toFixed(0)}, db ${r.cpuUs.db.toFixed(0)}${drain ? `; backlog at the end ${JSON.stringify(drain.atEnd)}, ${drain.ms === null ? 'NOT drained' : `drained ${(drain.ms / 1000).toFixed(1)} s after the load`}, then ${JSON.stringify(drain.after)}` : ''}`);
      } finally {
        await target.stop();
      }
    }
    const bare = results.bare?.r;
    for (const kind of ['bare', 'app'] as const) {
      const x = results[kind];
      if (x) rows.push({ mix, isApp: kind === 'app', result: x.r, ratio: bare ? x.r.rate / bare.rate : Number.NaN, bareP99: bare?.latency.p99 ?? Number.NaN, drain: x.drain });
    }
  } finally {
    await graph.close();
  }
  return rows;
}

/**
 * Polls the target's backlog until no inbound message is pending, no status is untried and every status of our
 * messages is applied; ms after the load, or null.
 */
async function waitForDrain(target: TargetProcess, endedAt: number): Promise<NonNullable<MixRow['drain']>> {
  const atEnd = await target.backlog();
  const limitMs = drainLimitMs(atEnd.inboundPending);
  let b = atEnd;
  while (b.inboundPending + b.statusesNew + b.statusesOursUnapplied > 0) {
    if (performance.now() - endedAt > limitMs) return { ms: null, limitMs, atEnd, after: b };
    await new Promise((r) => setTimeout(r, 100));
    b = await target.backlog();
  }
  return { ms: Math.max(0, performance.now() - endedAt), limitMs, atEnd, after: b };
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
