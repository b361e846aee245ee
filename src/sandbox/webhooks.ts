// The simulated Cloud API's webhook delivery: every inbound message, status and template update is built as
// Meta builds it (the envelope of cloud-api.md §2, Meta's JSON escaping), queued in sandbox_webhooks and
// POSTed, signed with the app secret, to the app's own /webhooks/whatsapp over HTTP, so sandbox mode runs
// the production intake. Delivery is retried with backoff like Meta's, and claimed with a lease so that
// several instances never deliver one webhook twice at the same time (Meta may, and the app dedupes).
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { Cipher } from '../compliance/crypto.js';
import { signatureOf } from '../whatsapp/signature.js';
import { advanceStatus, type SandboxDb } from './repo.js';

const MAX_ATTEMPTS = 40;
const LEASE_MS = 30_000;

/**
 * Meta's raw JSON escapes non-ASCII as \uXXXX (lowercase hex) and '/' as '\/'. Sending the same bytes makes
 * the app's signature check face what production faces: a re-serialised body would not verify.
 */
export function metaJson(value: unknown): Buffer {
  const s = JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
  return Buffer.from(s, 'utf8');
}

export interface Business {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

function envelope(b: Business, field: string, value: Record<string, unknown>) {
  return { object: 'whatsapp_business_account', entry: [{ id: b.wabaId, changes: [{ field, value }] }] };
}

export function messageWebhook(b: Business, contact: { name: string; waId: string; bsuid: string }, message: Record<string, unknown>) {
  return envelope(b, 'messages', {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: b.displayPhoneNumber, phone_number_id: b.phoneNumberId },
    contacts: [{ profile: { name: contact.name }, wa_id: contact.waId, user_id: contact.bsuid }],
    messages: [{ from: contact.waId, from_user_id: contact.bsuid, ...message }],
  });
}

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed';
export interface StatusInput {
  wamid: string;
  status: StatusName;
  at: Date;
  waId: string | null;
  bsuid: string | null;
  callbackData: string | null;
  /** Template category when the message was a template; free-form replies are service messages. */
  category: string | null;
  error?: { code: number; title: string; details: string };
}

export function statusWebhook(b: Business, s: StatusInput) {
  const status: Record<string, unknown> = { id: s.wamid, status: s.status, timestamp: String(Math.floor(s.at.getTime() / 1000)) };
  if (s.waId) status['recipient_id'] = s.waId;
  // Meta omits the BSUID on a `failed` status sent to a phone number (cloud-api.md §4).
  if (s.bsuid && !(s.status === 'failed' && s.waId)) status['recipient_user_id'] = s.bsuid;
  if (s.callbackData !== null) status['biz_opaque_callback_data'] = s.callbackData;
  if (s.error) {
    status['errors'] = [{ code: s.error.code, title: s.error.title, message: s.error.title, error_data: { details: s.error.details }, href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/' }];
  } else if (s.status === 'sent' || s.status === 'delivered') {
    // Pricing rides on `sent` and on one of delivered/read; we put it on delivered.
    const cat = s.category;
    status['pricing'] = cat === null
      ? { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' }
      : { billable: true, pricing_model: 'PMP', type: 'regular', category: cat.toLowerCase() };
  }
  return envelope(b, 'messages', {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: b.displayPhoneNumber, phone_number_id: b.phoneNumberId },
    statuses: [status],
  });
}

export function templateStatusWebhook(b: Business, t: { id: string; name: string; language: string; event: string }) {
  return envelope(b, 'message_template_status_update', {
    event: t.event, message_template_id: Number(t.id), message_template_name: t.name, message_template_language: t.language, reason: 'NONE',
  });
}

export interface DispatcherDeps {
  db: SandboxDb;
  cipher: Cipher;
  clock: Clock;
  log: Logger;
  appSecret: string;
  /** The app's own webhook URL once it listens; null before. */
  target(): string | null;
  /** Called after a webhook changed what the phone shows (ticks). */
  onChange(patientWamid: string): void;
}

export class WebhookDispatcher {
  private timers = new Set<NodeJS.Timeout>();
  private wakeLoop: () => void = () => {};
  constructor(private readonly d: DispatcherDeps) {}

  setWake(wake: () => void): void {
    this.wakeLoop = wake;
  }

  /** Queues one webhook `delayMs` from now. `kind` is 'message', 'status:<name>' or 'template'. */
  async enqueue(w: { kind: string; refWamid: string | null; payload: unknown; delayMs: number }): Promise<void> {
    const due = new Date(this.d.clock.now().getTime() + w.delayMs);
    await this.d.db.insertInto('sandbox_webhooks')
      .values({ kind: w.kind, ref_wamid: w.refWamid, body: this.d.cipher.encrypt(metaJson(w.payload)), due_at: due })
      .execute();
    this.wakeIn(w.delayMs);
  }

  private wakeIn(ms: number): void {
    if (ms <= 0) return this.wakeLoop();
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.wakeLoop();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Delivers the due webhooks, oldest first. Returns how many it tried. */
  async tick(): Promise<number> {
    const url = this.d.target();
    if (url === null) return 0;
    const now = this.d.clock.now();
    // The lease is committed before any HTTP call: the app's intake needs the database while we wait.
    const claimed = await sql<{ id: number; kind: string; ref_wamid: string | null; body: Uint8Array; attempts: number; due_at: Date }>`
      update sandbox_webhooks set lease_until = ${new Date(now.getTime() + LEASE_MS)}, attempts = attempts + 1
       where id in (select id from sandbox_webhooks
                     where delivered_at is null and due_at <= ${now} and (lease_until is null or lease_until < ${now})
                     order by due_at, id limit 20 for update skip locked)
      returning id, kind, ref_wamid, body, attempts, due_at`.execute(this.d.db);
    const rows = claimed.rows.sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || a.id - b.id);
    for (const row of rows) await this.deliver(url, row);
    return rows.length;
  }

  private async deliver(url: string, row: { id: number; kind: string; ref_wamid: string | null; body: Uint8Array; attempts: number }): Promise<void> {
    const { db, clock, log } = this.d;
    const raw = this.d.cipher.decrypt(row.body);
    let problem: string | null = null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(raw, this.d.appSecret) },
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.status !== 200) problem = `http_${res.status}`;
    } catch (e) {
      problem = e instanceof Error ? e.name : 'network';
    }
    if (problem === null) {
      await db.updateTable('sandbox_webhooks').set({ delivered_at: clock.now(), lease_until: null, last_error: null }).where('id', '=', row.id).execute();
      if (row.ref_wamid !== null) {
        // The phone's ticks follow what the business has actually been told.
        const status = row.kind === 'message' ? 'delivered' : row.kind.startsWith('status:') ? row.kind.slice('status:'.length) : null;
        if (status !== null && (await advanceStatus(db, row.ref_wamid, status))) this.d.onChange(row.ref_wamid);
      }
      return;
    }
    if (row.attempts >= MAX_ATTEMPTS) {
      log.warn({ webhookId: row.id, kind: row.kind, attempts: row.attempts, problem }, 'sandbox webhook dropped after repeated failures');
      await db.deleteFrom('sandbox_webhooks').where('id', '=', row.id).execute();
      return;
    }
    const wait = Math.min(500 * 2 ** row.attempts, 60_000);
    log.info({ webhookId: row.id, kind: row.kind, attempt: row.attempts, problem, waitMs: wait }, 'sandbox webhook delivery failed; will retry');
    await db.updateTable('sandbox_webhooks')
      .set({ lease_until: null, last_error: problem.slice(0, 100), due_at: new Date(clock.now().getTime() + wait) })
      .where('id', '=', row.id).execute();
    this.wakeIn(wait);
  }
}

/** A wamid shaped like Meta's: "wamid." + base64 of the chat and a random id. */
export function newWamid(waId: string): string {
  const inner = Buffer.concat([Buffer.from(`\u0015\u0002\u0000\u0012\u0018\u000b${waId}\u0015`, 'latin1'), crypto.randomBytes(18)]);
  return `wamid.${inner.toString('base64')}`;
}

/** Numeric ids like Meta's media and template ids. */
export function newNumericId(): string {
  return String(1_000_000_000_000_000n + BigInt(`0x${crypto.randomBytes(7).toString('hex')}`) % 8_999_999_999_999_999n);
}
