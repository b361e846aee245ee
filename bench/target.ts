// One server under test, run in a process of its own so that it never shares an event loop with the load
// generator (bench/run.ts forks it; see bench/target-process.ts). Two kinds:
//   app  — PatientLine itself through startServer (signature, dedupe, encryption, one-statement commit);
//   bare — the floor: Fastify with a raw-body parser and one INSERT … ON CONFLICT DO NOTHING per request
//          into (id text primary key, payload bytea), on a pg.Pool(max 10) or one PGlite instance.
// It answers the parent over IPC: ready (its URL), verify (stored ids against the expected ones), stats, stop.
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { appEnv, parentMessageSchema, targetSpecSchema, type ChildMessage, type TargetSpec } from './protocol.js';

interface Backlog {
  inboundPending: number;
  statusesNew: number;
  statusesHeld: number;
  statusesApplied: number;
  /** Statuses of the seeded outbox rows (messages we sent) not applied yet: must reach 0. */
  statusesOursUnapplied: number;
}

interface Target {
  url: string;
  serverVersion: string;
  storedIds(): Promise<string[]>;
  backlog(): Promise<Backlog>;
  stats(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function startApp(spec: TargetSpec): Promise<Target> {
  const env = appEnv(spec, process.env['BENCH_TARGET_LOG_LEVEL'] ?? 'silent');
  const running = await startServer(loadConfig(env));
  const db = running.services.database.db;
  const version = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
  if (spec.seedOutbox?.rows) {
    // Messages "we sent" (accepted, waiting for their statuses), as the sender leaves them; ids are fixed so the
    // precomputed status bodies can carry their callback data.
    const { rows, wamidPrefix, token } = spec.seedOutbox;
    await sql`insert into outbox (id, recipient_key, to_phone, kind, payload, requires_window, callback_token, state, wamid, status, status_rank, accepted_at, dispatched_at)
      select g, 'bench-' || (g % 1000), '336' || lpad((g % 1000)::text, 9, '0'), 'text', '\\x00'::bytea, true, ${token}, 'sent', ${wamidPrefix} || g, 'accepted', 1, now(), now()
        from generate_series(1, ${rows}::int) g`.execute(db);
    await sql`select setval('outbox_id_seq', ${rows}::bigint)`.execute(db);
  }
  return {
    url: running.url,
    serverVersion: version.rows[0]?.v ?? '?',
    async storedIds() {
      const r = await sql<{ id: string }>`select wamid as id from inbound_messages union all select wamid || '/' || status from status_events`.execute(db);
      return r.rows.map((row) => row.id);
    },
    async backlog() {
      const r = await sql<Backlog>`select
          (select count(*)::int from inbound_messages where state = 'pending') as "inboundPending",
          (select count(*)::int from status_events where applied_at is null and attempts = 0) as "statusesNew",
          (select count(*)::int from status_events where applied_at is null and expired_at is null and attempts > 0) as "statusesHeld",
          (select count(*)::int from status_events where applied_at is not null) as "statusesApplied",
          (select count(*)::int from status_events where applied_at is null and starts_with(wamid, ${spec.seedOutbox?.wamidPrefix ?? '(no seeded rows)'})) as "statusesOursUnapplied"`.execute(db);
      return r.rows[0]!;
    },
    async stats() {
      const out: Record<string, number> = {};
      const inbound = await sql<{ state: string; n: number }>`select state, count(*)::int as n from inbound_messages group by state`.execute(db);
      for (const r of inbound.rows) out[`inbound.${r.state}`] = r.n;
      const outbox = await sql<{ kind: string; state: string; n: number }>`select kind, state, count(*)::int as n from outbox group by kind, state`.execute(db);
      for (const r of outbox.rows) out[`outbox.${r.kind}.${r.state}`] = r.n;
      const statuses = await sql<{ n: number }>`select count(*)::int as n from status_events`.execute(db);
      out['status_events'] = statuses.rows[0]?.n ?? 0;
      // Where a message's time went, from the rows' own timestamps (server clock; now() is a transaction's start).
      const stages = await sql<{ stage: string; p50: number; p99: number }>`
        with t as (
          select m.received_at, m.processed_at, r.created_at as queued_at, r.claimed_at as read_claimed, r.accepted_at as read_accepted,
                 a.claimed_at as reply_claimed, a.accepted_at as reply_accepted
            from inbound_messages m
            join outbox r on r.caused_by = m.id and r.kind = 'read'
            join outbox a on a.caused_by = m.id and a.kind <> 'read'
           where m.state = 'done'),
        d as (
          select '1 stored → processing starts' as stage, extract(epoch from queued_at - received_at) * 1000 as ms from t
          union all select '2 processing transaction', extract(epoch from processed_at - queued_at) * 1000 from t
          union all select '3 processed → reply claimed by the sender', extract(epoch from reply_claimed - processed_at) * 1000 from t
          union all select '4 reply claimed → Graph API answered', extract(epoch from reply_accepted - reply_claimed) * 1000 from t
          union all select '5 (read receipt: processed → Graph API answered)', extract(epoch from read_accepted - processed_at) * 1000 from t)
        select stage, (percentile_cont(0.5) within group (order by ms))::float8 as p50, (percentile_cont(0.99) within group (order by ms))::float8 as p99
          from d group by stage order by stage`.execute(db);
      for (const r of stages.rows) {
        out[`stage ${r.stage} p50 ms`] = Math.round(r.p50);
        out[`stage ${r.stage} p99 ms`] = Math.round(r.p99);
      }
      return out;
    },
    stop: () => running.stop(),
  };
}

/** The bare handler's storage: one INSERT per request, nothing else. */
interface BareStore {
  insert(id: string, payload: Buffer): Promise<void>;
  ids(): Promise<string[]>;
  version(): Promise<string>;
  close(): Promise<void>;
}

const BARE_TABLE = 'create table if not exists bench_bare (id text primary key, payload bytea not null)';
const BARE_INSERT = 'insert into bench_bare (id, payload) values ($1, $2) on conflict (id) do nothing';

async function bareStore(spec: TargetSpec): Promise<BareStore> {
  if (spec.databaseUrl) {
    const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 10 });
    await pool.query(BARE_TABLE);
    return {
      insert: async (id, payload) => void (await pool.query(BARE_INSERT, [id, payload])),
      ids: async () => (await pool.query<{ id: string }>('select id from bench_bare')).rows.map((r) => r.id),
      version: async () => (await pool.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?',
      close: () => pool.end(),
    };
  }
  fs.mkdirSync(spec.dataDir, { recursive: true });
  const pglite = await PGlite.create(path.join(spec.dataDir, 'pgdata'));
  await pglite.exec(BARE_TABLE);
  return {
    insert: async (id, payload) => void (await pglite.query(BARE_INSERT, [id, payload])),
    ids: async () => (await pglite.query<{ id: string }>('select id from bench_bare')).rows.map((r) => r.id),
    version: async () => (await pglite.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? '?',
    close: () => pglite.close(),
  };
}

async function startBare(spec: TargetSpec): Promise<Target> {
  const store = await bareStore(spec);
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 3 * 1024 * 1024 }, (_req, body, done) => done(null, body));
  app.post('/webhooks/whatsapp', async (req, reply) => {
    const id = req.headers['x-bench-id'];
    if (typeof id !== 'string' || !Buffer.isBuffer(req.body)) return reply.code(400).send({ error: 'x-bench-id and a body are required' });
    await store.insert(id, req.body);
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    serverVersion: await store.version(),
    storedIds: () => store.ids(),
    backlog: async () => ({ inboundPending: 0, statusesNew: 0, statusesHeld: 0, statusesApplied: 0, statusesOursUnapplied: 0 }),
    stats: async () => ({}),
    async stop() {
      await app.close();
      await store.close();
    },
  };
}

// BENCH_COUNT_QUERIES=1: count the statements the server sends, by their first words, to see what one
// message costs in round trips. Patches the two query entry points the app uses (pg and PGlite).
/** The windowed profiler (BENCH_CPU_PROF_WINDOW), while one runs. */
let profiler: inspector.Session | null = null;

const queryCounts = new Map<string, number>();
function countQueries(): void {
  const key = (text: unknown) => (typeof text === 'string' ? text : '').replace(/\s+/g, ' ').trim().slice(0, 90);
  const bump = (text: unknown) => queryCounts.set(key(text), (queryCounts.get(key(text)) ?? 0) + 1);
  const counted = <F extends (...args: never[]) => unknown>(f: F): F =>
    new Proxy(f, {
      apply(target, self, args: unknown[]) {
        const first = args[0];
        bump(typeof first === 'object' && first !== null && 'text' in first ? first.text : first);
        return Reflect.apply(target, self, args);
      },
    });
  pg.Client.prototype.query = counted(pg.Client.prototype.query);
  PGlite.prototype.query = counted(PGlite.prototype.query);
}

function send(m: ChildMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const spec = targetSpecSchema.parse(JSON.parse(process.env['BENCH_TARGET'] ?? 'null'));
  if (process.env['BENCH_COUNT_QUERIES']) countQueries();
  if (process.env['BENCH_TARGET_MEMLOG']) {
    const t = setInterval(() => {
      const m = process.memoryUsage();
      const sm = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
      const heapLine = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.endsWith('[heap]'));
      let brk = 0;
      if (heapLine) { const [a, b] = heapLine.split(' ')[0]!.split('-'); brk = (parseInt(b!, 16) - parseInt(a!, 16)) / 1048576; }
      const anon = /Anonymous:\s+(\d+)/.exec(sm)?.[1];
      process.stderr.write(`mem rss ${(m.rss / 1048576).toFixed(0)} heapTotal ${(m.heapTotal / 1048576).toFixed(0)} heapUsed ${(m.heapUsed / 1048576).toFixed(0)} external ${(m.external / 1048576).toFixed(0)} ab ${(m.arrayBuffers / 1048576).toFixed(0)} brk ${brk.toFixed(0)} anon ${(Number(anon) / 1024).toFixed(0)}\n`);
    }, 1000);
    t.unref();
  }
  const target = spec.kind === 'app' ? await startApp(spec) : await startBare(spec);
  const heapProfFile = process.env['BENCH_TARGET_HEAPPROF'];
  let heapProf: inspector.Session | null = null;
  if (heapProfFile) {
    heapProf = new inspector.Session();
    heapProf.connect();
    await heapProf.post('HeapProfiler.enable');
    await heapProf.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env['BENCH_TARGET_HEAPPROF_MINOR'] === '1' });
  }
  process.on('message', (raw) => {
    const m = parentMessageSchema.parse(raw);
    void (async () => {
      if (m.type === 'verify') {
        const stored = await target.storedIds();
        const expected = new Set(m.ids);
        const storedSet = new Set(stored);
        let missing = 0;
        for (const id of expected) if (!storedSet.has(id)) missing++;
        let unexpected = 0;
        for (const id of storedSet) if (!expected.has(id)) unexpected++;
        send({ type: 'verified', rows: stored.length, distinct: storedSet.size, missing, unexpected });
      } else if (m.type === 'stats') {
        const stats = await target.stats();
        for (const [q, n] of queryCounts) stats[`query: ${q}`] = n;
        send({ type: 'stats', stats });
      } else if (m.type === 'backlog') {
        send({ type: 'backlog', ...(await target.backlog()) });
      } else if (m.type === 'profile') {
        if (m.action === 'start') {
          profiler = new inspector.Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
        } else if (profiler) {
          const { profile } = await profiler.post('Profiler.stop');
          if (m.file) fs.writeFileSync(m.file, JSON.stringify(profile));
          profiler.disconnect();
          profiler = null;
        }
        send({ type: 'profiled' });
      } else if (m.type === 'cpu') {
        const u = process.cpuUsage();
        send({ type: 'cpu', ms: (u.user + u.system) / 1000 });
      } else {
        if (heapProf && heapProfFile) {
          const { profile } = await heapProf.post('HeapProfiler.stopSampling');
          fs.writeFileSync(`${heapProfFile}-${process.pid}.heapprofile`, JSON.stringify(profile));
        }
        await target.stop();
        send({ type: 'stopped' });
        // Exit normally so that --cpu-prof writes its profile.
        process.disconnect();
        process.exit(0);
      }
    })().catch((e: unknown) => {
      send({ type: 'failed', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    });
  });
  send({ type: 'ready', url: target.url, serverVersion: target.serverVersion });
}

main().catch((e: unknown) => {
  send({ type: 'failed', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  process.exitCode = 1;
  process.disconnect?.();
});
