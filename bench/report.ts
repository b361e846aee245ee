// The Markdown the benchmark prints (and writes to bench/results.md), ready to paste into README.md.
import type { IngestResult } from './ingest.js';
import type { LatencyResult } from './latency.js';
import type { SenderResult } from './sender.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  pglite: string;
  loadavg: number[];
  loadavgEnd: number[];
  /** The commit measured, and whether src/ had uncommitted changes. */
  revision: string;
  date: string;
  durationS: number;
  warmupS: number;
}

export interface IngestRow {
  db: string;
  isPostgres: boolean;
  handler: string;
  isApp: boolean;
  result: IngestResult;
  /** This row's rate / the bare handler's rate on the same database. */
  ratio: number;
}

export interface LatencyRow {
  db: string;
  /** WHATSAPP_MPS the app ran with. */
  mps: string;
  mpsValue: number;
  result: LatencyResult;
}

export interface Check {
  what: string;
  target: string;
  measured: string;
  pass: boolean;
  /** Set when the target cannot apply to this row (why): reported, neither passed nor missed. */
  notApplicable?: string;
}

export function fmt(n: number, digits: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function machineSection(m: Machine): string {
  return [
    '### Machine',
    '',
    `- CPU: ${m.cpu}, ${m.cores} cores; ${fmt(m.memoryGb, 0)} GB RAM; ${m.os}`,
    `- Node.js ${m.node}; ${m.postgres}; ${m.pglite}`,
    `- PatientLine ${m.revision}.`,
    `- Load generator (autocannon 9, programmatic) and fake Graph API in one process, the server under test in another, same machine.`,
    `- Run ${m.date}, ${m.durationS} s per measurement after ${m.warmupS} s of warm-up; load average (1/5/15 min) at start ${m.loadavg.map((l) => l.toFixed(2)).join(' / ')}, at end ${m.loadavgEnd.map((l) => l.toFixed(2)).join(' / ')}.`,
    '',
  ].join('\n');
}

export function ingestTable(rows: IngestRow[], o: { connections: number; durationS: number }): string {
  const lines = [
    '### Webhook ingest',
    '',
    `${o.connections} connections for ${o.durationS} s. Each request: a signed 2,048-byte Cloud API text-message webhook with a new wamid`,
    "(5 % are byte-identical redeliveries of a recent one); PatientLine verifies the signature, parses, encrypts and",
    'commits (one statement, deduped by wamid) before the 200, workers off. The bare handler on the same database',
    'takes the same requests and does one `INSERT … ON CONFLICT DO NOTHING` of (id, body) (pg.Pool max 10, or one',
    'PGlite). Errors = non-2xx + socket errors + timeouts. Rows are checked after the run against every unique id',
    'sent (requests cut off in flight are redelivered first, as Meta would). CPU per request: the server process,',
    "its PostgreSQL backends (PGlite runs inside the server) and the load generator. Other load: CPU used meanwhile",
    'by other processes on the machine, in cores (of 2).',
    '',
    '| database | handler | req/s | p50 ms | p99 ms | errors | rows / unique ids | × bare | CPU µs/req server · DB · generator | other load |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const x = r.result;
    const rowsOk = x.rows === x.uniqueIds && x.missing === 0 && x.unexpected === 0;
    lines.push(
      `| ${r.db} | ${r.handler} | ${fmt(x.rate, 0)} | ${fmt(x.latency.p50, 1)} | ${fmt(x.latency.p99, 1)} | ${x.errors} | ${x.rows.toLocaleString('en-US')} / ${x.uniqueIds.toLocaleString('en-US')}${rowsOk ? '' : ` (missing ${x.missing}, unexpected ${x.unexpected})`} | ${r.isApp ? `${fmt(r.ratio, 2)}×` : '1.00×'} | ${fmt(x.cpuUs.server, 0)} · ${fmt(x.cpuUs.db, 0)} · ${fmt(x.cpuUs.generator, 0)} | ${fmt(x.otherLoad, 2)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function latencyTable(rows: LatencyRow[], o: { rate: number }): string {
  const lines = [
    '### Webhook-to-reply latency',
    '',
    `${o.rate} inbound text messages/s, each from a new patient, workers on; time from sending the webhook to the reply`,
    'POST reaching the fake Graph API (which answers at once and posts sent/delivered/read status webhooks back).',
    'Baselines in the same run at the same rate: the webhook round trip (200 once committed) and a direct POST to the',
    'fake Graph API. × floor = reply p50 / (webhook p50 + Graph p50), the latency with zero queueing between them.',
    'CPU: % of one core used by the server and its PostgreSQL backends; other load as above.',
    '',
    '| database | WHATSAPP_MPS | replied | p50 ms | p99 ms | max ms | webhook 200 p50 / p99 ms | Graph POST p50 / p99 ms | × floor (p50) | CPU % server · DB | other load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const x = r.result;
    lines.push(
      `| ${r.db} | ${r.mps} | ${x.replied} / ${x.messages} | ${fmt(x.reply.p50, 0)} | ${fmt(x.reply.p99, 0)} | ${fmt(x.reply.max, 0)} | ${fmt(x.ack.p50, 1)} / ${fmt(x.ack.p99, 1)}${x.ackErrors ? ` (${x.ackErrors} failed: ${Object.entries(x.ackFailures).map(([k, v]) => `${v} × ${k}`).join(', ')})` : ''} | ${fmt(x.graph.p50, 2)} / ${fmt(x.graph.p99, 2)} | ${fmt(x.reply.p50 / x.floorP50, 1)}× | ${fmt(x.cpuPct.server, 0)} · ${fmt(x.cpuPct.db, 0)} | ${fmt(x.otherLoad, 2)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Where each reply's time went, from the server's own row timestamps (stats keys 'stage … p50 ms'). */
export function stagesTable(rows: LatencyRow[]): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.result.stats)))]
    .map((k) => /^stage (.*) p50 ms$/.exec(k)?.[1])
    .filter((k): k is string => k !== undefined)
    .sort();
  if (names.length === 0) return '';
  const lines = [
    'Where the reply time goes, p50 / p99 ms per stage, from the server\'s row timestamps (`received_at`, the',
    "processing transaction's start and end, the outbox rows' `claimed_at` / `accepted_at`). The webhook's own",
    'round trip comes before stage 1; the reply reaches the fake Graph API within stage 4.',
    '',
    `| stage | ${rows.map((r) => `${r.db}, MPS ${r.mps}`).join(' | ')} |`,
    `| --- | ${rows.map(() => '---:').join(' | ')} |`,
  ];
  for (const n of names) {
    const cell = (r: LatencyRow) => {
      const p50 = r.result.stats[`stage ${n} p50 ms`];
      const p99 = r.result.stats[`stage ${n} p99 ms`];
      return p50 === undefined || p99 === undefined ? '—' : `${fmt(p50, 0)} / ${fmt(p99, 0)}`;
    };
    lines.push(`| ${n.replace(/^\d+ /, '')} | ${rows.map(cell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function senderTable(rows: SenderResult[]): string {
  const lines = [
    '### The sender at the cap',
    '',
    'Patients writing at once (one text each, webhooks at 50 connections spread over the instances), PostgreSQL,',
    'workers on; every /messages POST (reply or mark-as-read) counts against WHATSAPP_MPS. Arrival times at the fake',
    "Graph API. Sustained = arrivals over the busy period less its first and last second; at the cap = arrivals in",
    "the seconds during which at least a second's worth of sends was due all along (outbox sampled every 100 ms), i.e.",
    'the sender\'s own rate when it has work, apart from how fast the instances turn webhooks into replies. The most in',
    'any 1 s and 5 s sliding window are shown as % of the cap (allowed: 150 % and 110 %).',
    '',
    '| WHATSAPP_MPS | instances | patients | requests | busy s | sustained /s (% of cap) | at the cap /s (% of cap, seconds) | max 1 s (% of cap) | max 5 s (% of cap) | answered once | webhooks acked in s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.mps} | ${r.instances} | ${r.patients.toLocaleString('en-US')} | ${r.requests.toLocaleString('en-US')} | ${fmt(r.busyS, 1)} | ${fmt(r.sustainedPerS, 1)} (${fmt((100 * r.sustainedPerS) / r.mps, 1)} %) | ${fmt(r.atCapPerS, 1)} (${fmt((100 * r.atCapPerS) / r.mps, 1)} %, ${r.atCapS} s) | ${r.max1s} (${fmt((100 * r.max1s) / r.mps, 0)} %) | ${r.max5s} (${fmt((100 * r.max5s) / (5 * r.mps), 1)} %) | ${r.answered.toLocaleString('en-US')}${r.duplicated ? ` (${r.duplicated} twice)` : ''} | ${fmt(r.burstMs / 1000, 1)}${r.webhookErrors ? ` (${r.webhookErrors} failed)` : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function targetsTable(checks: Check[]): string {
  const lines = ['### Targets (issue 2, Measures)', '', '| check | target | measured | result |', '| --- | --- | --- | --- |'];
  for (const c of checks) lines.push(`| ${c.what} | ${c.target} | ${c.measured} | ${c.notApplicable ? `n/a: ${c.notApplicable}` : c.pass ? 'PASS' : '**MISS**'} |`);
  return `${lines.join('\n')}\n`;
}

export interface Backlog {
  inboundPending: number;
  statusesNew: number;
  statusesHeld: number;
  statusesApplied: number;
  statusesOursUnapplied: number;
}

export interface MixRow {
  mix: 'mix' | 'unknown';
  isApp: boolean;
  result: IngestResult;
  ratio: number;
  /** The bare handler's p99 in the same run, ms. */
  bareP99: number;
  /**
   * App only: the backlog once the rows were checked, when it drained (ms after the load; null = not within
   * limitMs, drainLimitMs of that backlog), and after.
   */
  drain: { ms: number | null; limitMs: number; atEnd: Backlog; after: Backlog } | null;
}

const MIX_LABEL: Record<MixRow['mix'], string> = {
  mix: '80 % statuses (½ ours, ½ another app\'s) + 20 % texts',
  unknown: '80 % statuses (all another app\'s) + 20 % texts',
};

export function mixTable(rows: MixRow[], o: { connections: number; durationS: number }): string {
  const lines = [
    '### Webhook ingest: the status mix, workers on (PostgreSQL)',
    '',
    `${o.connections} connections for ${o.durationS} s. 80 % of the webhooks carry one status (sent, delivered or read), 20 % a text`,
    'from one of 1,000 patients. In the first mix half the statuses are for messages the app sent (outbox rows seeded',
    'before the run, matched by our callback data and wamid), half for another app on the same WhatsApp Business',
    "Account; in the second, all are another app's. Workers on: the app applies statuses, processes the texts and sends",
    'its replies to a fake Graph API (WHATSAPP_MPS default). The bare handler takes the same requests with one INSERT.',
    'Rows = stored messages + stored statuses (by wamid/status) against every unique id sent. Backlog: inbound',
    'messages still pending and statuses never tried, after the row check; drained = both at 0, in seconds after the',
    `load ended, with the inbound messages processed per second meanwhile (allowed: ${DRAIN_LIMIT_S} s, or longer for a`,
    `backlog that needs it at ${DRAIN_MIN_RATE} messages/s, the rate the reply-latency target is set at: at 8,000 webhooks/s a`,
    "burst leaves more texts than an instance processes in 120 s). Held: another app's statuses, waiting for their",
    'retry (they expire after 10 minutes).',
    '',
    '| load | handler | req/s | p50 ms | p99 ms | errors | rows / unique ids | × bare | backlog (inbound · statuses) | drained after | statuses applied · held | CPU µs/req server · DB |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const x = r.result;
    const rowsOk = x.rows === x.uniqueIds && x.missing === 0 && x.unexpected === 0;
    const d = r.drain;
    lines.push(
      `| ${MIX_LABEL[r.mix]} | ${r.isApp ? 'PatientLine webhook' : 'bare Fastify + 1 INSERT'} | ${fmt(x.rate, 0)} | ${fmt(x.latency.p50, 1)} | ${fmt(x.latency.p99, 1)} | ${x.errors} | ${x.rows.toLocaleString('en-US')} / ${x.uniqueIds.toLocaleString('en-US')}${rowsOk ? '' : ` (missing ${x.missing}, unexpected ${x.unexpected})`} | ${r.isApp ? `${fmt(r.ratio, 2)}×` : '1.00×'} | ${d ? `${d.atEnd.inboundPending.toLocaleString('en-US')} · ${d.atEnd.statusesNew.toLocaleString('en-US')}` : '—'} | ${d ? (d.ms === null ? `**not drained** in ${fmt(d.limitMs / 1000, 0)} s` : `${fmt(d.ms / 1000, 1)} s (${drainRate(d)}/s)`) : '—'} | ${d ? `${d.after.statusesApplied.toLocaleString('en-US')} · ${d.after.statusesHeld.toLocaleString('en-US')}` : '—'} | ${fmt(x.cpuUs.server, 0)} · ${fmt(x.cpuUs.db, 0)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Issue 11's targets for each mix: ≥ 0.6× bare, p99 ≤ max(50 ms, 1.5× bare p99), 0 errors, rows = unique ids, backlog drains. */
export function mixChecks(rows: MixRow[]): Check[] {
  const checks: Check[] = [];
  for (const r of rows.filter((x) => x.isApp)) {
    const x = r.result;
    const p99Target = Math.max(50, 1.5 * r.bareP99);
    const name = r.mix === 'mix' ? 'Status mix' : 'Status mix, all unknown';
    checks.push(
      { what: `${name}: rate vs bare handler`, target: '≥ 0.6×', measured: `${fmt(r.ratio, 2)}×`, pass: r.ratio >= 0.6 },
      { what: `${name}: p99`, target: `≤ ${fmt(p99Target, 1)} ms (max(50, 1.5× bare))`, measured: `${fmt(x.latency.p99, 1)} ms`, pass: x.latency.p99 <= p99Target },
      { what: `${name}: errors`, target: '0', measured: String(x.errors), pass: x.errors === 0 },
      { what: `${name}: rows = unique ids`, target: 'equal, none missing', measured: `${x.rows.toLocaleString('en-US')} / ${x.uniqueIds.toLocaleString('en-US')}`, pass: x.rows === x.uniqueIds && x.missing === 0 && x.unexpected === 0 },
      {
        what: `${name}: backlog drains`,
        target: `within ${fmt((r.drain?.limitMs ?? DRAIN_LIMIT_S * 1000) / 1000, 0)} s (max(${DRAIN_LIMIT_S} s, backlog ÷ ${DRAIN_MIN_RATE}/s))`,
        measured: r.drain?.ms == null ? 'not drained' : `${fmt(r.drain.ms / 1000, 1)} s, ${r.drain.atEnd.inboundPending.toLocaleString('en-US')} messages at ${drainRate(r.drain)}/s`,
        pass: r.drain?.ms != null,
      },
    );
  }
  return checks;
}

const DRAIN_LIMIT_S = 120;
/** The least inbound rate a drain must keep: the rate the reply-latency target is set at (LATENCY_RATE). */
const DRAIN_MIN_RATE = 50;

/** How long a backlog may take to drain: 120 s, or longer when it holds more than 120 s of messages at 50/s. */
export function drainLimitMs(inboundPending: number): number {
  return Math.max(DRAIN_LIMIT_S, inboundPending / DRAIN_MIN_RATE) * 1000;
}

function drainRate(d: { ms: number | null; atEnd: Backlog }): string {
  return d.ms ? fmt(d.atEnd.inboundPending / (d.ms / 1000), 0) : '—';
}
