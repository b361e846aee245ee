// The transactional outbox: what the bot decides to send is written here in the caller's transaction,
// together with the state change that caused it. The sender (sender.ts) delivers rows; status webhooks
// (statuses.ts) move them forward. Payloads are encrypted: bot messages quote appointments and names. The
// address ({ phone, bsuid }) is encrypted too (to_sealed, 0012). Pass the patient's cipher
// (keys.forPatient): the sender opens both with it.
import type { Cipher } from '../compliance/crypto.js';
import type { DbOrTx } from '../db/database.js';
import type { OutboxPurpose } from '../db/schema.js';
import crypto from 'node:crypto';
import { z } from 'zod';
import { outboundMessageSchema, requiresWindow, type OutboundMessage } from './outbound.js';

export interface Recipient {
  patientId: string;
  phone: string | null;
  bsuid: string | null;
}

/** A mark-as-read, optionally with the typing indicator (only when a reply follows). */
export interface ReadReceipt {
  kind: 'read';
  messageId: string;
  typing: boolean;
}

export type OutboxItem = OutboundMessage | ReadReceipt;

export const CALLBACK_PREFIX = 'pl:';

/**
 * Our outbox id travels in biz_opaque_callback_data with a random token: Meta sends status webhooks to every
 * app subscribed to the WABA, so another deployment's "pl:8" must not settle our row 8.
 */
export function callbackDataFor(outboxId: number, token: string): string {
  return `${CALLBACK_PREFIX}${outboxId}:${token}`;
}

export function outboxIdFromCallback(data: string | null): { id: number; token: string } | null {
  const m = data ? /^pl:(\d{1,15}):([0-9a-f]{8,32})$/.exec(data) : null;
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? { id, token: m[2]! } : null;
}

export function newCallbackToken(): string {
  return crypto.randomBytes(6).toString('hex');
}

function isReadReceipt(item: OutboxItem): item is ReadReceipt {
  return 'kind' in item && item.kind === 'read';
}

export interface EnqueueOptions {
  causedBy?: number | null;
  /** Makes enqueueing idempotent: a second row with the same key is not created. */
  idempotencyKey?: string | null;
  notBefore?: Date;
  /**
   * What the messages are for; the sender refuses at send time those the patient withdrew (opt-out, one
   * purpose). Default: 'reply' when caused by the patient's message (never refused), else 'care'.
   */
  purpose?: OutboxPurpose;
}

export async function enqueue(db: DbOrTx, cipher: Cipher, to: Recipient, items: readonly OutboxItem[], opts: EnqueueOptions = {}): Promise<number[]> {
  if (items.length === 0) return [];
  const inserted = await db
    .insertInto('outbox')
    .values(outboxRows(cipher, to, items, opts))
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .execute();
  return inserted.map((r) => r.id);
}

/** One send of a batch: each with its own recipient, cipher and options. */
export interface Enqueueable {
  cipher: Cipher;
  to: Recipient;
  items: readonly OutboxItem[];
  opts: EnqueueOptions;
}

/**
 * Many enqueue calls in one INSERT (the reminder worker queues hundreds at once): the same rows, the same
 * idempotency (a row whose key exists is not created). Every entry needs an idempotency key: the created rows
 * are matched back to their entries by it. For each entry, the ids of the rows created, in order of its items
 * (an empty list when its keys already existed).
 */
export async function enqueueMany(db: DbOrTx, batch: readonly Enqueueable[]): Promise<number[][]> {
  if (batch.some((b) => !b.opts.idempotencyKey)) throw new Error('enqueueMany needs an idempotency key for every entry');
  const rows = batch.map((b) => outboxRows(b.cipher, b.to, b.items, b.opts));
  if (rows.every((r) => r.length === 0)) return batch.map(() => []);
  const inserted = await db
    .insertInto('outbox')
    .values(rows.flat())
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning(['id', 'idempotency_key'])
    .execute();
  const byKey = new Map(inserted.map((r) => [r.idempotency_key, r.id]));
  return rows.map((r) => r.flatMap((row) => {
    const id = byKey.get(row.idempotency_key);
    return id === undefined ? [] : [id];
  }));
}

function outboxRows(cipher: Cipher, to: Recipient, items: readonly OutboxItem[], opts: EnqueueOptions) {
  const sealedTo = cipher.encryptJson({ phone: to.phone, bsuid: to.bsuid });
  return items.map((item, i) => ({
    patient_id: to.patientId,
    recipient_key: to.patientId,
    to_sealed: sealedTo,
    kind: isReadReceipt(item) ? 'read' : item.type,
    payload: cipher.encryptJson(item),
    requires_window: isReadReceipt(item) ? false : requiresWindow(item),
    caused_by: opts.causedBy ?? null,
    purpose: opts.purpose ?? (opts.causedBy != null ? 'reply' : 'care'),
    callback_token: newCallbackToken(),
    idempotency_key: opts.idempotencyKey ? `${opts.idempotencyKey}#${i}` : null,
    ...(opts.notBefore ? { next_attempt_at: opts.notBefore } : {}),
  }));
}

const readReceiptSchema = z.object({ kind: z.literal('read'), messageId: z.string().min(1), typing: z.boolean() });
const outboxItemSchema = z.union([readReceiptSchema, outboundMessageSchema]);

/** Re-reads a stored payload; throws when it is not (or no longer) a valid message. */
export function decodeItem(cipher: Cipher, payload: Uint8Array): OutboxItem {
  return outboxItemSchema.parse(cipher.decryptJson(payload));
}

const addressSchema = z.object({ phone: z.string().nullable(), bsuid: z.string().nullable() });

/** Where a row goes: its sealed address, or the clear columns of a row written before 0012 and not yet converted. */
export function decodeAddress(cipher: Cipher, row: { to_sealed: Uint8Array | null; to_phone: string | null; to_bsuid: string | null }): { phone: string | null; bsuid: string | null } {
  if (row.to_sealed) return addressSchema.parse(cipher.decryptJson(row.to_sealed));
  return { phone: row.to_phone, bsuid: row.to_bsuid };
}

export { isReadReceipt };
