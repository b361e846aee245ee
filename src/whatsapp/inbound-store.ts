// Durable intake: turns one verified webhook body into rows (messages, statuses, other events, dead
// letters) committed before the 200 is sent: in ONE statement for every ordinary webhook, in one
// transaction of chunked statements for a batch too large for one. Dedupe is the database's unique keys
// (messages by wamid, statuses by wamid + status), never a check-then-insert.
//
// Content never makes intake fail: each entry, change, contact, message and status is checked on its own;
// what can be stored exactly is stored, each item that cannot is kept encrypted as a dead letter, and the
// items beside it go on. A body too deep to re-serialise is dead-lettered as the raw bytes Meta sent.
import { CompiledQuery, sql, type Insertable } from 'kysely';
import type { z } from 'zod';
import type { InboundMessagesTable, StatusEventsTable, WebhookDeadLettersTable, WebhookOtherEventsTable } from '../db/schema.js';
import type { Cipher } from '../compliance/crypto.js';
import { bsuidIndex, phoneIndex } from '../compliance/identifiers.js';
import type { Db, DbOrTx } from '../db/database.js';
import {
  MAX_JSON_DEPTH,
  envelopeBodySchema,
  envelopeChangeSchema,
  envelopeContactSchema,
  envelopeEntrySchema,
  envelopeMessageSchema,
  envelopeStatusSchema,
  messagesValueSchema,
  nestsDeeperThan,
  senderKey,
  toStorableText,
  type EnvelopeContact,
  type EnvelopeMessage,
} from './webhook-envelope.js';
import { standbyRows, type StandbyRow } from './standby.js';
import { IntakeWriter, MAX_BATCH_ROWS } from './intake-writer.js';

// The two statements almost every webhook needs, written once: building them per request costs more than
// the hash that verifies the request.
// Phones and BSUIDs are stored as blind indexes only (compliance/identifiers.ts): the encrypted payload keeps
// the values for the worker. One HMAC per identifier, no extra round trip.
const INSERT_ONE_MESSAGE = `insert into inbound_messages (wamid, phone_number_id, sender_key, wa_id_index, bsuid_index, type, sent_at, payload)
  values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (wamid) do nothing`;
const INSERT_ONE_STATUS = `insert into status_events (wamid, status, occurred_at, callback_data, recipient_index, error_code, details)
  values ($1, $2, $3, $4, $5, $6, $7) on conflict (wamid, status) do nothing`;

/**
 * Bind parameters in one statement. PostgreSQL's wire protocol allows 65,535 (08P01 beyond); a batch of
 * ~8,200 messages or ~9,400 statuses would exceed that, so larger batches are written in chunks.
 */
export const PARAMETER_BUDGET = 30_000;

export interface IntakeResult {
  messages: number;
  messagesDeduped: number;
  statuses: number;
  statusesDeduped: number;
  otherEvents: number;
  /** Items of standby changes (another app holds the conversation): stored, never answered by the bot. */
  standby: number;
  deadLetters: number;
  /** Changes addressed to a phone_number_id that is not ours. */
  foreign: string[];
}

// The rows intake writes, derived from the table types so the two cannot drift apart.
export type MessageRow = Required<Pick<Insertable<InboundMessagesTable>, 'wamid' | 'phone_number_id' | 'sender_key' | 'wa_id_index' | 'bsuid_index' | 'type' | 'sent_at' | 'payload'>>;
export type StatusRow = Required<Pick<Insertable<StatusEventsTable>, 'wamid' | 'status' | 'occurred_at' | 'callback_data' | 'recipient_index' | 'error_code' | 'details'>>;
type OtherRow = Required<Pick<Insertable<WebhookOtherEventsTable>, 'field' | 'payload'>>;
type DeadRow = Required<Pick<Insertable<WebhookDeadLettersTable>, 'reason' | 'body'>>;

interface Rows {
  messages: MessageRow[];
  statuses: StatusRow[];
  others: OtherRow[];
  standby: StandbyRow[];
  dead: DeadRow[];
  foreign: string[];
}

const INT4_MAX = 2_147_483_647;

type ContactItem = { parsed: EnvelopeContact; raw: unknown };

function contactFor(m: EnvelopeMessage, contacts: ContactItem[]): ContactItem | null {
  return (
    contacts.find(({ parsed: c }) => (m.from_user_id && c.user_id === m.from_user_id) || (m.from && c.wa_id === m.from)) ??
    (contacts.length === 1 ? contacts[0]! : null)
  );
}

// A reason names where and what, never the value (zod's messages here quote no input). It is a text column.
function reason(where: string, error?: z.ZodError): string {
  const i = error?.issues[0];
  const text = i ? `${where}: ${i.path.map(String).join('.')} ${i.message}`.trim() : where;
  return toStorableText(text.slice(0, 300));
}

// Lone surrogates and NUL come out of JSON.stringify as escapes PostgreSQL's jsonb refuses (22P02, 22P05).
const UNSTORABLE_JSON_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function storableCopy(v: unknown): unknown {
  if (typeof v === 'string') return toStorableText(v);
  if (Array.isArray(v)) return v.map(storableCopy);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [toStorableText(k), storableCopy(x)]));
  return v;
}

/**
 * JSON for a jsonb column. Status details are informational (no PHI, never a key): an unstorable
 * character in them becomes U+FFFD rather than costing the status. The copy is made only when needed
 * (a false alarm on an escaped backslash only costs the copy).
 */
export function storableJson(v: unknown): string {
  const s = JSON.stringify(v);
  return UNSTORABLE_JSON_ESCAPE.test(s) ? JSON.stringify(storableCopy(v)) : s;
}

function firstErrorCode(errors: unknown): number | null {
  if (!Array.isArray(errors)) return null;
  const first: unknown = errors[0];
  const code = first !== null && typeof first === 'object' && 'code' in first ? first.code : undefined;
  return typeof code === 'number' && Number.isInteger(code) && Math.abs(code) <= INT4_MAX ? code : null;
}

/**
 * Collects the rows of one body. Every item that fails goes to `dead` alone. When the body nests deeper
 * than MAX_JSON_DEPTH (rare: checked once per body), each item is checked before it is serialised; one too
 * deep to serialise is kept as the raw bytes of the whole body (once), and its neighbours go on.
 */
class Collector {
  readonly rows: Rows = { messages: [], statuses: [], others: [], standby: [], dead: [], foreign: [] };
  private rawKept = false;

  constructor(
    private readonly cipher: Cipher,
    private readonly phoneNumberId: string,
    private readonly raw: Buffer,
    private readonly deep: boolean,
  ) {}

  private tooDeep(item: unknown): boolean {
    return this.deep && nestsDeeperThan(item, MAX_JSON_DEPTH);
  }

  deadRaw(why: string): void {
    if (this.rawKept) return;
    this.rawKept = true;
    this.rows.dead.push({ reason: why, body: this.cipher.encrypt(this.raw) });
  }

  private dead(why: string, item: unknown): void {
    if (this.tooDeep(item)) this.deadRaw(`${why} (nests deeper than ${MAX_JSON_DEPTH} levels)`);
    else this.rows.dead.push({ reason: why, body: this.cipher.encryptJson(item) });
  }

  /** Every item of `list` (absent = none); a list that is not an array is one dead letter. */
  private itemsOf(list: unknown, name: string): unknown[] {
    if (list === undefined || list === null) return [];
    if (Array.isArray(list)) return list;
    this.dead(`${name}: not an array`, list);
    return [];
  }

  body(body: unknown): void {
    const env = envelopeBodySchema.safeParse(body);
    if (!env.success) {
      this.rows.dead.push({ reason: reason('envelope', env.error), body: this.cipher.encrypt(this.raw) });
      return;
    }
    for (const rawEntry of env.data.entry) {
      const entry = envelopeEntrySchema.safeParse(rawEntry);
      if (!entry.success) {
        this.dead(reason('entry', entry.error), rawEntry);
        continue;
      }
      for (const rawChange of entry.data.changes) {
        const change = envelopeChangeSchema.safeParse(rawChange);
        if (!change.success) this.dead(reason('change', change.error), rawChange);
        else if (change.data.field === 'messages') this.messagesChange(change.data.value);
        else if (this.tooDeep(change.data.value)) this.deadRaw(`change ${change.data.field} nests deeper than ${MAX_JSON_DEPTH} levels`);
        else if (change.data.field === 'standby') this.standbyChange(change.data.value);
        else this.rows.others.push({ field: change.data.field, payload: this.cipher.encryptJson(change.data.value) });
      }
    }
  }

  private standbyChange(value: Record<string, unknown>): void {
    const r = standbyRows(this.cipher, this.phoneNumberId, value);
    if (r.foreign) this.rows.foreign.push(toStorableText(r.foreign));
    this.rows.standby.push(...r.rows);
  }

  private messagesChange(rawValue: Record<string, unknown>): void {
    const value = messagesValueSchema.safeParse(rawValue);
    if (!value.success) {
      this.dead(reason('messages value', value.error), rawValue);
      return;
    }
    const v = value.data;
    if (v.metadata.phone_number_id !== this.phoneNumberId) {
      this.rows.foreign.push(toStorableText(v.metadata.phone_number_id));
      return;
    }
    const contacts: ContactItem[] = [];
    for (const raw of this.itemsOf(v.contacts, 'contacts')) {
      const c = envelopeContactSchema.safeParse(raw);
      if (c.success && !this.tooDeep(raw)) contacts.push({ parsed: c.data, raw });
      else this.dead(c.success ? 'contact' : reason('contact', c.error), raw);
    }
    for (const raw of this.itemsOf(v.messages, 'messages')) this.message(raw, contacts);
    for (const raw of this.itemsOf(v.statuses, 'statuses')) this.status(raw);
    const errors = this.itemsOf(v.errors, 'errors');
    if (errors.length === 0) return;
    if (this.tooDeep(errors)) this.deadRaw(`errors nest deeper than ${MAX_JSON_DEPTH} levels`);
    else this.rows.others.push({ field: 'messages.errors', payload: this.cipher.encryptJson(errors) });
  }

  private message(raw: unknown, contacts: ContactItem[]): void {
    const parsed = envelopeMessageSchema.safeParse(raw);
    if (!parsed.success) return this.dead(reason('message', parsed.error), raw);
    if (this.tooDeep(raw)) return this.deadRaw(`message nests deeper than ${MAX_JSON_DEPTH} levels`);
    const m = parsed.data;
    const item = contactFor(m, contacts);
    const contact = item?.parsed;
    // A sender whose phone is withheld may be named only by the one contact of the change.
    const key = senderKey(m) ?? (contact ? senderKey({ from: contact.wa_id, from_user_id: contact.user_id }) : null);
    if (!key) return this.dead('message without a sender: no from, from_user_id or single contact', raw);
    // An empty id is an absent one.
    const waId = m.from || contact?.wa_id || null;
    const bsuid = m.from_user_id || contact?.user_id || null;
    const waIdIndex = waId ? phoneIndex(this.cipher, waId) : null;
    const bsuidIdx = bsuid ? bsuidIndex(this.cipher, bsuid) : null;
    this.rows.messages.push({
      wamid: m.id,
      phone_number_id: this.phoneNumberId,
      sender_key: senderKeyIndex(this.cipher, key, bsuid, bsuidIdx, waId, waIdIndex),
      wa_id_index: waIdIndex,
      bsuid_index: bsuidIdx,
      type: m.type,
      sent_at: new Date(m.timestamp * 1000),
      // Exactly as received: the inbound model parses it again when the message is processed.
      payload: this.cipher.encryptJson({ message: raw, contact: item?.raw ?? null }),
    });
  }

  private status(raw: unknown): void {
    const parsed = envelopeStatusSchema.safeParse(raw);
    if (!parsed.success) return this.dead(reason('status', parsed.error), raw);
    if (this.tooDeep(raw)) return this.deadRaw(`status nests deeper than ${MAX_JSON_DEPTH} levels`);
    const s = parsed.data;
    this.rows.statuses.push({
      wamid: s.id,
      status: s.status,
      occurred_at: new Date(s.timestamp * 1000),
      callback_data: s.biz_opaque_callback_data ?? null,
      recipient_index: s.recipient_id ? phoneIndex(this.cipher, s.recipient_id) : s.recipient_user_id ? bsuidIndex(this.cipher, s.recipient_user_id) : null,
      error_code: firstErrorCode(s.errors),
      details: storableJson({ errors: Array.isArray(s.errors) ? s.errors : [], pricing: s['pricing'] ?? null, conversation: s['conversation'] ?? null }),
    });
  }
}

/** senderKey's choice ('u:' BSUID, else 'p:' phone) over blind indexes, reusing those already computed. */
function senderKeyIndex(cipher: Cipher, key: string, bsuid: string | null, bsuidIdx: string | null, waId: string | null, waIdIdx: string | null): string {
  const value = key.slice(2);
  if (key.startsWith('u:')) return `u:${value === bsuid && bsuidIdx ? bsuidIdx : bsuidIndex(cipher, value)}`;
  return `p:${value === waId && waIdIdx ? waIdIdx : phoneIndex(cipher, value)}`;
}

/** The rows of one verified body. Never throws for content. */
export function collectRows(cipher: Cipher, phoneNumberId: string, raw: Buffer, body: unknown): Rows {
  // One walk of the containers before anything serialises the body (< 1 µs for an ordinary webhook).
  const c = new Collector(cipher, phoneNumberId, raw, nestsDeeperThan(body, MAX_JSON_DEPTH));
  c.body(body);
  return c.rows;
}

/** Group commit for this database (intake-writer.ts). */
export function intakeWriter(db: Db): IntakeWriter {
  return new IntakeWriter(db, (messages, statuses) => write(db, messages, statuses, [], []));
}

/**
 * Stores one verified body. With a writer, an ordinary webhook (messages and statuses only) is committed
 * together with the others arriving meanwhile; anything else is written on its own, as before.
 */
export async function storeWebhook(db: Db, cipher: Cipher, phoneNumberId: string, raw: Buffer, body: unknown, writer?: IntakeWriter): Promise<IntakeResult> {
  const { messages, statuses, others, standby, dead, foreign } = collectRows(cipher, phoneNumberId, raw, body);
  const result: IntakeResult = { messages: 0, messagesDeduped: 0, statuses: 0, statusesDeduped: 0, otherEvents: others.length, standby: standby.length, deadLetters: dead.length, foreign };

  // One POST may repeat a wamid (Meta batches retries): keep the first so the statement stays valid.
  const uniqueMessages = messages.length > 1 ? [...new Map(messages.map((m) => [m.wamid, m])).values()] : messages;
  const uniqueStatuses = statuses.length > 1 ? [...new Map(statuses.map((s) => [`${s.wamid}\u0001${s.status}`, s])).values()] : statuses;

  const batchable = writer && others.length + dead.length + standby.length === 0 && uniqueMessages.length + uniqueStatuses.length <= MAX_BATCH_ROWS;
  const written = batchable ? await writer.write(uniqueMessages, uniqueStatuses) : await write(db, uniqueMessages, uniqueStatuses, others, dead, standby);
  result.messages = written.messages;
  result.messagesDeduped = messages.length - written.messages;
  result.statuses = written.statuses;
  result.statusesDeduped = statuses.length - written.statuses;
  return result;
}

async function write(db: Db, messages: MessageRow[], statuses: StatusRow[], others: OtherRow[], dead: DeadRow[], standby: StandbyRow[] = []): Promise<{ messages: number; statuses: number }> {
  if (messages.length + statuses.length + others.length + dead.length + standby.length === 0) return { messages: 0, statuses: 0 };
  const parameters = messages.length * 8 + statuses.length * 7 + (others.length + dead.length) * 2 + standby.length * 8;
  if (parameters > PARAMETER_BUDGET) return writeChunked(db, messages, statuses, others, dead, standby);

  // The usual webhook carries only messages or only statuses: a plain insert, the cheapest statement to plan.
  if (others.length + dead.length + standby.length === 0 && (messages.length === 0 || statuses.length === 0)) {
    if (messages.length === 1) {
      const m = messages[0]!;
      const r = await db.executeQuery(CompiledQuery.raw(INSERT_ONE_MESSAGE, [m.wamid, m.phone_number_id, m.sender_key, m.wa_id_index, m.bsuid_index, m.type, m.sent_at, m.payload]));
      return { messages: Number(r.numAffectedRows ?? 0n), statuses: 0 };
    }
    if (statuses.length === 1) {
      const s = statuses[0]!;
      const r = await db.executeQuery(CompiledQuery.raw(INSERT_ONE_STATUS, [s.wamid, s.status, s.occurred_at, s.callback_data, s.recipient_index, s.error_code, s.details]));
      return { messages: 0, statuses: Number(r.numAffectedRows ?? 0n) };
    }
    if (messages.length) return { messages: await insertMessages(db, messages), statuses: 0 };
    return { messages: 0, statuses: await insertStatuses(db, statuses) };
  }
  // Otherwise data-modifying CTEs: every insert of this webhook in one statement, so one round trip and one commit.
  const ctes: ReturnType<typeof sql>[] = [];
  if (messages.length) ctes.push(sql`m as (${db.insertInto('inbound_messages').values(messages).onConflict((oc) => oc.column('wamid').doNothing()).returning('id')})`);
  if (statuses.length) ctes.push(sql`s as (${db.insertInto('status_events').values(statuses).onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()).returning('id')})`);
  if (others.length) ctes.push(sql`o as (${db.insertInto('webhook_other_events').values(others).returning('id')})`);
  if (dead.length) ctes.push(sql`d as (${db.insertInto('webhook_dead_letters').values(dead).returning('id')})`);
  // Meta retries a standby webhook like any other: the same item twice is kept once.
  if (standby.length) ctes.push(sql`sb as (${db.insertInto('standby_events').values(standby).onConflict((oc) => oc.doNothing()).returning('id')})`);
  const row = (await sql<{ m: number; s: number }>`with ${sql.join(ctes, sql`, `)} select ${messages.length ? sql`(select count(*)::int from m)` : sql`0`} as m, ${statuses.length ? sql`(select count(*)::int from s)` : sql`0`} as s`.execute(db)).rows[0];
  return { messages: row?.m ?? 0, statuses: row?.s ?? 0 };
}

async function insertMessages(db: DbOrTx, rows: MessageRow[]): Promise<number> {
  const r = await db.insertInto('inbound_messages').values(rows).onConflict((oc) => oc.column('wamid').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

async function insertStatuses(db: DbOrTx, rows: StatusRow[]): Promise<number> {
  const r = await db.insertInto('status_events').values(rows).onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n);
}

function chunks<T>(rows: T[], columns: number): T[][] {
  const size = Math.floor(PARAMETER_BUDGET / columns);
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A batch beyond one statement's parameters: still all or nothing, committed before the 200. */
async function writeChunked(db: Db, messages: MessageRow[], statuses: StatusRow[], others: OtherRow[], dead: DeadRow[], standby: StandbyRow[]): Promise<{ messages: number; statuses: number }> {
  return db.transaction().execute(async (tx) => {
    let m = 0;
    let s = 0;
    for (const c of chunks(messages, 8)) m += await insertMessages(tx, c);
    for (const c of chunks(statuses, 7)) s += await insertStatuses(tx, c);
    for (const c of chunks(others, 2)) await tx.insertInto('webhook_other_events').values(c).execute();
    for (const c of chunks(dead, 2)) await tx.insertInto('webhook_dead_letters').values(c).execute();
    for (const c of chunks(standby, 8)) await tx.insertInto('standby_events').values(c).onConflict((oc) => oc.doNothing()).execute();
    return { messages: m, statuses: s };
  });
}
