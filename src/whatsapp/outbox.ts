// The transactional outbox: what the bot decides to send is written here in the caller's transaction,
// together with the state change that caused it. The sender (sender.ts) delivers rows; status webhooks
// (statuses.ts) move them forward. Payloads are encrypted: bot messages quote appointments and names.
import type { Cipher } from '../compliance/crypto.js';
import type { DbOrTx } from '../db/database.js';
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

export function callbackDataFor(outboxId: number): string {
  return `${CALLBACK_PREFIX}${outboxId}`;
}

export function outboxIdFromCallback(data: string | null): number | null {
  if (!data || !data.startsWith(CALLBACK_PREFIX)) return null;
  const n = Number(data.slice(CALLBACK_PREFIX.length));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function isReadReceipt(item: OutboxItem): item is ReadReceipt {
  return 'kind' in item && item.kind === 'read';
}

export interface EnqueueOptions {
  causedBy?: number | null;
  /** Makes enqueueing idempotent: a second row with the same key is not created. */
  idempotencyKey?: string | null;
  notBefore?: Date;
}

export async function enqueue(db: DbOrTx, cipher: Cipher, to: Recipient, items: readonly OutboxItem[], opts: EnqueueOptions = {}): Promise<number[]> {
  if (items.length === 0) return [];
  const rows = items.map((item, i) => ({
    patient_id: to.patientId,
    recipient_key: to.patientId,
    to_phone: to.phone,
    to_bsuid: to.bsuid,
    kind: isReadReceipt(item) ? 'read' : item.type,
    payload: cipher.encryptJson(item),
    requires_window: isReadReceipt(item) ? false : requiresWindow(item),
    caused_by: opts.causedBy ?? null,
    idempotency_key: opts.idempotencyKey ? `${opts.idempotencyKey}#${i}` : null,
    ...(opts.notBefore ? { next_attempt_at: opts.notBefore } : {}),
  }));
  const inserted = await db
    .insertInto('outbox')
    .values(rows)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .execute();
  return inserted.map((r) => r.id);
}

const readReceiptSchema = z.object({ kind: z.literal('read'), messageId: z.string().min(1), typing: z.boolean() });
const outboxItemSchema = z.union([readReceiptSchema, outboundMessageSchema]);

/** Re-reads a stored payload; throws when it is not (or no longer) a valid message. */
export function decodeItem(cipher: Cipher, payload: Uint8Array): OutboxItem {
  return outboxItemSchema.parse(cipher.decryptJson(payload));
}

export { isReadReceipt };
