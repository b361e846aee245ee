// Inbound messages as Meta sends them, from a patient known by a phone, a BSUID or both, stored through the
// real intake; and inbound workers built on any database handle, with a handler the test controls.
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { createMetrics } from '../../src/analytics/metrics.js';
import { createCipher } from '../../src/compliance/crypto.js';
import type { Crypt } from '../../src/compliance/identifiers.js';
import { createKeyRing, kekOf } from '../../src/compliance/keys.js';
import type { ConversationHandler } from '../../src/conversation/handler.js';
import { InboundWorker } from '../../src/conversation/inbound-worker.js';
import type { DB } from '../../src/db/schema.js';
import { storeWebhook } from '../../src/whatsapp/inbound-store.js';
import { text } from '../../src/whatsapp/outbound.js';

export const cipher = createCipher(Buffer.alloc(32, 5));
/** Per-patient data keys under the same key as `cipher`, as main.ts builds them. */
export const keys = createKeyRing({ keks: [kekOf(Buffer.alloc(32, 5))] });
export const crypt: Crypt = { cipher, keys };

export interface Who {
  phone?: string;
  bsuid?: string;
}

let n = 0;

/** A text webhook; `from` only when the phone is shared, `from_user_id` only when a BSUID is given. */
export function textFrom(who: Who, body: string): { id: string; payload: Record<string, unknown> } {
  return messageFrom(who, { type: 'text', text: { body } });
}

/** A webhook with one message of any type (`content` holds `type` and its object). */
export function messageFrom(who: Who, content: Record<string, unknown>): { id: string; payload: Record<string, unknown> } {
  const id = `wamid.T${process.pid}${++n}${crypto.randomBytes(3).toString('hex')}`;
  const contact = { profile: { name: 'Test Patient' }, ...(who.phone ? { wa_id: who.phone } : {}), ...(who.bsuid ? { user_id: who.bsuid } : {}) };
  const message = { ...(who.phone ? { from: who.phone } : {}), ...(who.bsuid ? { from_user_id: who.bsuid } : {}), id, timestamp: String(Math.floor(Date.now() / 1000)), ...content };
  return {
    id,
    payload: {
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' }, contacts: [contact], messages: [message] } }] }],
    },
  };
}

/** Stores one text through the real intake; returns its inbound_messages id. */
export async function storeText(db: Kysely<DB>, who: Who, body: string): Promise<number> {
  return storeMessage(db, textFrom(who, body));
}

/**
 * `via`: the app's crypt (StaffApi services) when the app must find what is stored: its blind-index key is
 * the system key of the database, not the one `cipher` derives.
 */
export async function storeMessage(db: Kysely<DB>, { id, payload }: { id: string; payload: Record<string, unknown> }, via: Crypt = crypt): Promise<number> {
  const raw = Buffer.from(JSON.stringify(payload));
  await storeWebhook(db, via.cipher, 'PN1', raw, payload);
  const row = await db.selectFrom('inbound_messages').select('id').where('wamid', '=', id).executeTakeFirstOrThrow();
  return row.id;
}

/** A fresh phone and BSUID for one person. */
export function person(): Required<Who> {
  const digits = String(crypto.randomInt(10_000_000, 99_999_999));
  return { phone: `3361${digits}`, bsuid: `FR.${digits}${crypto.randomBytes(4).toString('hex')}` };
}

/** Resolves when opened: lets a test hold a handler inside its transaction. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open = () => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

export interface TestWorker {
  worker: InboundWorker;
  /** Message texts in the order this worker's handler saw them. */
  seen: string[];
  wakes: string[];
}

export function testWorker(db: Kysely<DB>, opts: { instanceId: string; concurrency?: number; laneRun?: number; intakeBursting?: () => boolean; crypt?: Crypt; now?: () => Date; handle?: (body: string) => Promise<void> | void; onWake?: (what: 'replies' | 'media') => void }): TestWorker {
  const seen: string[] = [];
  const wakes: string[] = [];
  const handler: ConversationHandler = async (_tx, { message }) => {
    const body = message.type === 'text' ? message.text : '';
    seen.push(body);
    await opts.handle?.(body);
    return [text(`re: ${body}`)];
  };
  const worker = new InboundWorker({
    db,
    cipher: opts.crypt?.cipher ?? cipher,
    keys: opts.crypt?.keys ?? keys,
    clock: { now: opts.now ?? (() => new Date()) },
    log: pino({ level: 'silent' }),
    metrics: createMetrics(db),
    handler,
    concurrency: opts.concurrency ?? 1,
    ...(opts.laneRun ? { laneRun: opts.laneRun } : {}),
    ...(opts.intakeBursting ? { intakeBursting: opts.intakeBursting } : {}),
    onReplies: () => {
      wakes.push('replies');
      opts.onWake?.('replies');
    },
    onMedia: () => {
      wakes.push('media');
      opts.onWake?.('media');
    },
    instanceId: opts.instanceId,
  });
  return { worker, seen, wakes };
}
