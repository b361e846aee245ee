// Webhook-to-reply latency: inbound text messages at a steady rate, each from a new patient, into the app
// with its workers on; the fake Graph API (test/support/fake-graph.ts, in this process) records when each
// reply POST arrives. Latency = reply arrival − webhook send, matched by recipient (`to` = +<from>);
// mark-as-read bodies (status 'read') are not replies. The fake Graph API also posts sent/delivered/read
// status webhooks back to the app, as Meta does, so the app carries that load too.
//
// Baselines measured in the same run and at the same rate: the webhook's own round trip (answered 200 once
// committed) and a direct POST to the fake Graph API (a mark-as-read, answered at once). Their sum is the
// floor of webhook → reply with zero queueing; the ratio column is reply p50 / floor p50.
import { inboundText, startFakeGraph, type FakeGraph } from '../test/support/fake-graph.js';
import { machineCpu, otherLoadCores } from './machine.js';
import { metaJson, signature } from './payloads.js';
import { cpuDelta } from './pg-cpu.js';
import { summarize, type Summary } from './stats.js';
import type { TargetProcess } from './target-process.js';
import { WEBHOOK_PATH } from './ingest.js';

export const LATENCY_PHONE_NUMBER_ID = 'PN1'; // the id fake-graph's status webhooks carry

export interface LatencyResult {
  messages: number;
  replied: number;
  /** Reply latency; a message without a reply counts as +Infinity. */
  reply: Summary;
  ack: Summary;
  ackErrors: number;
  /** Why webhook POSTs failed: HTTP status or socket error code → count. */
  ackFailures: Record<string, number>;
  graph: Summary;
  /** ack p50 + Graph round trip p50. */
  floorP50: number;
  stats: Record<string, number>;
  /**
   * Cloud API sends the app made per inbound message of the measured phase (replies and read receipts; the
   * bench's own probes excluded): with the message rate, the send rate the number's throughput cap must allow.
   */
  sendsPerMessage: number;
  /** CPU used during the measured phase, as % of one core: the server, its PostgreSQL backends (server
   *  only), and this process (sender of webhooks + fake Graph API). */
  cpuPct: { server: number; db: number; generator: number };
  /** CPU the rest of the machine used meanwhile, in cores. */
  otherLoad: number;
}

export interface LatencyOptions {
  appSecret: string;
  token: string;
  messages: number;
  ratePerS: number;
  warmupMessages: number;
  replyTimeoutMs: number;
  startApp(graphUrl: string): Promise<{ target: TargetProcess; dbCpu?: (() => Promise<Map<number, number>>) | undefined }>;
}

const TEXTS = [
  'Bonjour, je voudrais prendre rendez-vous pour une prise de sang cette semaine si possible.',
  'Hello, can I book a check-up for my son next Tuesday afternoon?',
  'Buongiorno, vorrei spostare la visita di giovedì alle 10:30, è possibile?',
  'Hola, ¿a qué hora abren el sábado? Necesito recoger unos resultados.',
  'Guten Tag, ich brauche ein neues Rezept für meine Blutdruckmedikamente.',
  'Olá, posso marcar uma consulta de dermatologia para a próxima semana?',
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Replies seen so far, by recipient digits: arrival time (ms since epoch) of the first non-read POST. */
function replyScanner(fake: FakeGraph): () => Map<string, number> {
  const firstReply = new Map<string, number>();
  let seen = 0;
  return () => {
    const all = fake.received;
    for (; seen < all.length; seen++) {
      const r = all[seen]!;
      if (r.method !== 'POST' || !r.path.endsWith('/messages') || r.body['status'] === 'read') continue;
      const to = String(r.body['to'] ?? '').replace(/^\+/, '');
      if (to && !firstReply.has(to)) firstReply.set(to, r.at);
    }
    return firstReply;
  };
}

export async function runLatency(o: LatencyOptions): Promise<LatencyResult> {
  const fake = await startFakeGraph({ appSecret: o.appSecret, token: o.token, statuses: true });
  let target: TargetProcess | null = null;
  try {
    const started = await o.startApp(fake.url);
    target = started.target;
    const url = `${target.url}${WEBHOOK_PATH}`;
    fake.setWebhook(url);
    const replies = replyScanner(fake);
    const graphUrl = `${fake.url}/v26.0/${LATENCY_PHONE_NUMBER_ID}/messages`;

    const failures = new Map<string, number>();
    const failed = (why: string) => failures.set(why, (failures.get(why) ?? 0) + 1);
    const sendWebhook = async (from: string, i: number): Promise<{ sentAt: number; ackMs: number; ok: boolean }> => {
      const body = Buffer.from(metaJson(inboundText(from, TEXTS[i % TEXTS.length]!, { name: `Patient ${i}`, userId: `FR.${from}`, phoneNumberId: LATENCY_PHONE_NUMBER_ID })));
      const headers = { 'content-type': 'application/json', 'x-hub-signature-256': signature(body, o.appSecret) };
      const sentAt = Date.now();
      const t = performance.now();
      try {
        const r = await fetch(url, { method: 'POST', body, headers });
        await r.arrayBuffer();
        if (!r.ok) failed(`HTTP ${r.status}`);
        return { sentAt, ackMs: performance.now() - t, ok: r.ok };
      } catch (e) {
        const cause: unknown = e instanceof Error ? e.cause : undefined;
        failed(cause instanceof Error ? `${cause.name}${'code' in cause ? ` ${String(cause.code)}` : ''}` : e instanceof Error ? e.name : 'error');
        return { sentAt, ackMs: performance.now() - t, ok: false };
      }
    };
    const probeGraph = async (i: number): Promise<number> => {
      const t = performance.now();
      const r = await fetch(graphUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', status: 'read', message_id: `wamid.PROBE${i}` }),
      });
      await r.arrayBuffer();
      return performance.now() - t;
    };

    // Steady arrivals: message i leaves at start + i/rate, whatever the previous answers took.
    const phase = async (count: number, prefix: string, probe: boolean) => {
      const sends: Promise<{ sentAt: number; ackMs: number; ok: boolean }>[] = [];
      const probes: Promise<number>[] = [];
      const froms: string[] = [];
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        await sleep(start + (i * 1000) / o.ratePerS - performance.now());
        const from = `${prefix}${String(i).padStart(7, '0')}`;
        froms.push(from);
        sends.push(sendWebhook(from, i));
        if (probe) probes.push(probeGraph(i));
      }
      const sent = await Promise.all(sends);
      const graph = await Promise.all(probes);
      const deadline = Date.now() + o.replyTimeoutMs;
      while (Date.now() < deadline && froms.some((f) => !replies().has(f))) await sleep(50);
      const seen = replies();
      return { sent, graph, froms, seen };
    };

    if (o.warmupMessages > 0) await phase(o.warmupMessages, '49170', false);
    const server0 = await target.cpuMs();
    const db0 = await started.dbCpu?.();
    const generator0 = process.cpuUsage();
    const machine0 = machineCpu();
    const t0 = performance.now();
    const before = fake.received.length;
    const { sent, graph, froms, seen } = await phase(o.messages, '49151', true);
    const appSends = fake.received.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && !String(r.body['message_id'] ?? '').startsWith('wamid.PROBE')).length;
    const elapsedMs = performance.now() - t0;
    const machine1 = machineCpu();
    const generator = process.cpuUsage(generator0);
    const serverMs = (await target.cpuMs()) - server0;
    const db1 = await started.dbCpu?.();
    const pct = (ms: number) => (100 * ms) / elapsedMs;
    const dbMs = db0 && db1 ? cpuDelta(db0, db1) : Number.NaN;
    const generatorMs = (generator.user + generator.system) / 1000;
    const latencies = froms.map((f, i) => {
      const at = seen.get(f);
      return at === undefined ? Number.POSITIVE_INFINITY : at - sent[i]!.sentAt;
    });
    const ack = summarize(sent.map((s) => s.ackMs));
    const graphRtt = summarize(graph);
    const stats = await target.stats();
    return {
      messages: o.messages,
      replied: latencies.filter(Number.isFinite).length,
      reply: summarize(latencies),
      ack,
      ackErrors: sent.filter((s) => !s.ok).length,
      ackFailures: Object.fromEntries(failures),
      graph: graphRtt,
      floorP50: ack.p50 + graphRtt.p50,
      stats,
      sendsPerMessage: appSends / o.messages,
      cpuPct: { server: pct(serverMs), db: pct(dbMs), generator: pct(generatorMs) },
      otherLoad: otherLoadCores(machine0, machine1, serverMs + (Number.isNaN(dbMs) ? 0 : dbMs) + generatorMs, elapsedMs),
    };
  } finally {
    await target?.stop();
    await fake.close();
  }
}
