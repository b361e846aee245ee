// Prometheus metrics for operators: intake, outbound, queues and the webhook latency histogram. One
// registry per app instance (tests build many apps in one process).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface Metrics {
  registry: Registry;
  inboundMessages: Counter<'result'>;
  inboundStatuses: Counter<'result'>;
  webhookRequests: Counter<'outcome'>;
  webhookDuration: Histogram;
  foreignPhoneNumber: Counter;
  outboundSent: Counter<'kind'>;
  outboundFailed: Counter<'code'>;
  outboundRetried: Counter<'code'>;
  outboundInDoubt: Counter<'outcome'>;
  /** Claimed sends given back unsent: 'late' (missed their slot: the process is starved), 'paused', 'claim_lost'. */
  outboundRequeued: Counter<'reason'>;
  senderPaused: Gauge;
  processingErrors: Counter<'stage'>;
  statusesExpired: Counter;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  // Both gauges read the same numbers: one query per scrape.
  let cached: { at: number; rows: Promise<QueueRow[]> } | null = null;
  const queueStats = (): Promise<QueueRow[]> => {
    if (cached && Date.now() - cached.at < 500) return cached.rows;
    cached = { at: Date.now(), rows: readQueueStats(db) };
    return cached.rows;
  };
  const queueDepth = new Gauge({
    name: 'patientline_queue_depth',
    help: 'Items waiting in each queue (inbound messages, outbox, unapplied statuses, media downloads)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const rows = await queueStats();
      for (const r of rows) if (r.queue !== 'statuses_held') this.set({ queue: r.queue }, r.depth);
    },
  });
  const oldest = new Gauge({
    name: 'patientline_queue_oldest_due_seconds',
    help: 'Age in seconds of the oldest item that is due in each queue (0 when none; statuses: the oldest never tried)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const rows = await queueStats();
      for (const r of rows) if (r.queue !== 'statuses_held') this.set({ queue: r.queue }, r.oldest);
    },
  });
  const held = new Gauge({
    name: 'patientline_statuses_held',
    help: 'Status webhooks that matched no message of ours yet and are retried until they expire',
    registers: [registry],
    async collect() {
      const rows = await queueStats();
      this.set(rows.find((r) => r.queue === 'statuses_held')?.depth ?? 0);
    },
  });
  void queueDepth;
  void oldest;
  void held;
  return {
    registry,
    inboundMessages: new Counter({ name: 'patientline_inbound_messages_total', help: 'Inbound messages by intake result (received, deduped)', labelNames: ['result'], registers: [registry] }),
    inboundStatuses: new Counter({ name: 'patientline_inbound_statuses_total', help: 'Status webhooks by intake result (received, deduped)', labelNames: ['result'], registers: [registry] }),
    webhookRequests: new Counter({ name: 'patientline_webhook_requests_total', help: 'Webhook POSTs by outcome', labelNames: ['outcome'], registers: [registry] }),
    webhookDuration: new Histogram({
      name: 'patientline_webhook_duration_seconds',
      help: 'Time from webhook request to its answer (verify + store)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    foreignPhoneNumber: new Counter({ name: 'patientline_webhook_foreign_phone_number_total', help: 'Webhook changes for a phone_number_id that is not ours (ignored)', registers: [registry] }),
    outboundSent: new Counter({ name: 'patientline_outbound_sent_total', help: 'Messages accepted by the Cloud API', labelNames: ['kind'], registers: [registry] }),
    outboundFailed: new Counter({ name: 'patientline_outbound_failed_total', help: 'Messages failed for good, by Cloud API error code', labelNames: ['code'], registers: [registry] }),
    outboundRetried: new Counter({ name: 'patientline_outbound_retried_total', help: 'Send attempts that will be retried, by error code', labelNames: ['code'], registers: [registry] }),
    outboundRequeued: new Counter({ name: 'patientline_outbound_requeued_total', help: 'Claimed sends that did not leave: missed their slot (late), sending paused, or the claim was lost to reconciliation', labelNames: ['reason'], registers: [registry] }),
    outboundInDoubt: new Counter({ name: 'patientline_outbound_in_doubt_total', help: 'In-doubt sends by how they were settled (reconciled from a status, resent)', labelNames: ['outcome'], registers: [registry] }),
    senderPaused: new Gauge({ name: 'patientline_sender_paused', help: '1 while sending is paused by an operator alert (token, billing, account)', registers: [registry] }),
    processingErrors: new Counter({ name: 'patientline_processing_errors_total', help: 'Errors while processing queued work, by stage', labelNames: ['stage'], registers: [registry] }),
    statusesExpired: new Counter({ name: 'patientline_statuses_expired_total', help: 'Status webhooks given up on: held past the hold time without a matching message (another app on the WABA, or a message never learned)', registers: [registry] }),
  };
}

interface QueueRow {
  queue: string;
  depth: number;
  oldest: number;
}

function readQueueStats(db: Db): Promise<QueueRow[]> {
  return sql<QueueRow>`
    select 'inbound' as queue, count(*)::int as depth,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)::float8 as oldest
      from inbound_messages where state = 'pending'
    union all
    select 'outbox', count(*)::int,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)::float8
      from outbox where state in ('pending', 'sending', 'in_doubt')
    union all
    -- statuses: the new ones (never tried) and the held ones, each counted through its own partial index
    select 'statuses', (count(*) + (select count(*) from status_events where applied_at is null and expired_at is null and attempts > 0))::int,
           coalesce(extract(epoch from now() - min(received_at)), 0)::float8
      from status_events where applied_at is null and attempts = 0
    union all
    select 'statuses_held', count(*)::int, 0::float8
      from status_events where applied_at is null and expired_at is null and attempts > 0
    union all
    select 'media', count(*)::int,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)::float8
      from media where state = 'pending'`
    .execute(db)
    .then((r) => r.rows);
}
