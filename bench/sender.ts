// The sender at the cap: WHATSAPP_MPS (100 by default) and many patients writing at once (1,500 by default,
// each one text), on PostgreSQL, workers on, one or more instances on the same database. The fake Graph API
// (test/support/fake-graph.ts, in this process) records when each /messages POST arrives (replies and
// mark-as-read alike: both use the number's throughput) and posts status webhooks back as Meta does.
//
// Measured on the arrivals: sustained messages/s over the busy period (first to last arrival, less its first
// and last second, when the queue fills and drains), as % of the cap; and the most that arrived in any 1 s and
// any 5 s window, as % of the cap (the issue allows 150 % and 110 %).
import { inboundText, startFakeGraph } from '../test/support/fake-graph.js';
import { maxInWindow } from '../test/support/rate.js';
import { metaJson, signature } from './payloads.js';
import type { TargetProcess } from './target-process.js';
import { WEBHOOK_PATH } from './ingest.js';

export const SENDER_PHONE_NUMBER_ID = 'PN1'; // the id fake-graph's status webhooks carry

export interface SenderResult {
  mps: number;
  instances: number;
  patients: number;
  /** Patients answered with every outbox row of theirs arriving exactly once / with some row arriving twice. */
  answered: number;
  duplicated: number;
  /** /messages POSTs that arrived (replies + mark-as-read). */
  requests: number;
  busyS: number;
  sustainedPerS: number;
  max1s: number;
  max5s: number;
  /** Webhook POSTs of the burst that were not answered 200. */
  webhookErrors: number;
  /** How long the burst of webhooks took to be acknowledged. */
  burstMs: number;
  /** Arrivals per calendar second of the busy period (for the log: where the time went). */
  perSecond: number[];
  /** Messages/s over the seconds in which at least a second's worth of sends was due all along: the sender's
   *  own rate at the cap, apart from how fast the instances turned webhooks into replies. */
  atCapPerS: number;
  atCapS: number;
  /** The most sends due and unclaimed in each second (for the log). */
  dueBySecond: number[];
  /** Claimed sends the instances gave back unsent, by reason (patientline_outbound_requeued_total). */
  requeued: Record<string, number>;
  /** The same measures on the instances' dispatch marks (their clock, not the fake Graph API's). */
  byMarks: { sustainedPerS: number; max1s: number; max5s: number };
}

export interface SenderOptions {
  appSecret: string;
  token: string;
  mps: number;
  patients: number;
  instances: number;
  /** Webhook POSTs in flight at once while the patients write. */
  concurrency: number;
  timeoutMs: number;
  startApps(graphUrl: string, count: number): Promise<TargetProcess[]>;
  /** Outbox rows due now and not yet claimed (sampled every 100 ms while the run lasts). */
  backlog(): Promise<number>;
  /** The instances' own dispatch marks (outbox.dispatched_at, ms), read at the end of the run. */
  marks(): Promise<number[]>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export async function runSender(o: SenderOptions): Promise<SenderResult> {
  const fake = await startFakeGraph({ appSecret: o.appSecret, token: o.token, statuses: true });
  let targets: TargetProcess[] = [];
  try {
    targets = await o.startApps(fake.url, o.instances);
    fake.setWebhook(`${targets[0]!.url}${WEBHOOK_PATH}`);
    const froms = Array.from({ length: o.patients }, (_, i) => `4917${String(i).padStart(8, '0')}`);
    const bodies = froms.map((from, i) => Buffer.from(metaJson(inboundText(from, 'Bonjour, je voudrais un rendez-vous cette semaine.', { name: `Patient ${i}`, userId: `DE.${from}`, phoneNumberId: SENDER_PHONE_NUMBER_ID }))));
    let next = 0;
    let webhookErrors = 0;
    const samples: { at: number; due: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        samples.push({ at, due: await o.backlog() });
        await sleep(at + 100 - Date.now());
      }
    })();
    const t0 = performance.now();
    // Everyone writes at once: the webhooks go in as fast as the instances take them, spread over the instances.
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const body = bodies[i]!;
          const url = `${targets[i % targets.length]!.url}${WEBHOOK_PATH}`;
          try {
            const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(body, o.appSecret) } });
            await r.arrayBuffer();
            if (!r.ok) webhookErrors++;
          } catch {
            webhookErrors++;
          }
        }
      }),
    );
    const burstMs = performance.now() - t0;
    const messages = () => fake.received.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    const deadline = Date.now() + o.timeoutMs;
    // Replies first, then the read receipts that yielded to them (those older than a minute are dropped).
    while (Date.now() < deadline && messages().length < o.patients * 2) await sleep(100);
    await sleep(2000); // anything late (a resend) still counts
    sampling = false;
    await sampler;
    const marks = (await o.marks()).sort((a, b) => a - b);
    const requeued: Record<string, number> = {};
    for (const t of targets) {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      for (const m of text.matchAll(/^patientline_outbound_requeued_total\{reason="(\w+)"\} (\d+)/gm)) requeued[m[1]!] = (requeued[m[1]!] ?? 0) + Number(m[2]);
    }
    const all = messages();
    const arrivals = all.map((r) => r.at).sort((a, b) => a - b);
    const first = arrivals[0] ?? 0;
    const last = arrivals[arrivals.length - 1] ?? 0;
    const inner = arrivals.filter((t) => t >= first + 1000 && t <= last - 1000).length;
    const innerS = Math.max(0.001, (last - first - 2000) / 1000);
    // Per patient, how often each outbox row (its biz_opaque_callback_data) arrived: a new patient's answer is
    // several messages, so a patient is answered once when every row of theirs arrived exactly once.
    const replies = new Map<string, Map<string, number>>();
    for (const r of all) {
      if (r.body['status'] === 'read') continue;
      const to = String(r.body['to'] ?? '').replace(/^\+/, '');
      const rows = replies.get(to) ?? new Map<string, number>();
      const key = String(r.body['biz_opaque_callback_data'] ?? JSON.stringify(r.body));
      rows.set(key, (rows.get(key) ?? 0) + 1);
      replies.set(to, rows);
    }
    const twice = (f: string) => [...(replies.get(f)?.values() ?? [])].some((n) => n > 1);
    // Seconds (from the first arrival) in which every sample saw at least a second's worth of sends due.
    let atCap = 0;
    let atCapS = 0;
    for (let k = 0; first + (k + 1) * 1000 <= last; k++) {
      const from = first + k * 1000;
      const inSecond = samples.filter((x) => x.at >= from && x.at < from + 1000);
      if (inSecond.length === 0 || inSecond.some((x) => x.due < o.mps)) continue;
      atCapS++;
      atCap += arrivals.filter((t) => t >= from && t < from + 1000).length;
    }
    const sustained = (times: number[]) => {
      const a = times[0] ?? 0;
      const b = times[times.length - 1] ?? 0;
      return times.filter((t) => t >= a + 1000 && t <= b - 1000).length / Math.max(0.001, (b - a - 2000) / 1000);
    };
    return {
      requeued,
      byMarks: { sustainedPerS: sustained(marks), max1s: marks.length ? maxInWindow(marks, 1000) : 0, max5s: marks.length ? maxInWindow(marks, 5000) : 0 },
      dueBySecond: Array.from({ length: Math.ceil((last - first + 1) / 1000) }, (_, k) => Math.max(0, ...samples.filter((x) => x.at >= first + k * 1000 && x.at < first + (k + 1) * 1000).map((x) => x.due))),
      atCapPerS: atCapS ? atCap / atCapS : Number.NaN,
      atCapS,
      mps: o.mps,
      instances: o.instances,
      patients: o.patients,
      answered: froms.filter((f) => (replies.get(f)?.size ?? 0) > 0 && !twice(f)).length,
      duplicated: froms.filter(twice).length,
      requests: arrivals.length,
      busyS: (last - first) / 1000,
      sustainedPerS: inner / innerS,
      max1s: arrivals.length ? maxInWindow(arrivals, 1000) : 0,
      max5s: arrivals.length ? maxInWindow(arrivals, 5000) : 0,
      webhookErrors,
      burstMs,
      perSecond: Array.from({ length: Math.ceil((last - first + 1) / 1000) }, (_, k) => arrivals.filter((t) => t >= first + k * 1000 && t < first + (k + 1) * 1000).length),
    };
  } finally {
    for (const t of targets) await t.stop();
    await fake.close();
  }
}
