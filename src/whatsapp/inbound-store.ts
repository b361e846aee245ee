// Durable intake: turns one verified webhook body into rows (messages, statuses, other events, dead
// letters) committed in ONE statement before the 200 is sent. Dedupe is the database's unique keys
// (messages by wamid, statuses by wamid + status), never a check-then-insert.
import { CompiledQuery, sql, type Insertable } from 'kysely';
import type { InboundMessagesTable, StatusEventsTable } from '../db/schema.js';
import type { Cipher } from '../compliance/crypto.js';
import type { Db } from '../db/database.js';
import {
  envelopeSchema,
  messagesValueSchema,
  senderKey,
  type EnvelopeContact,
  type EnvelopeMessage,
} from './webhook-envelope.js';

// The two statements almost every webhook needs, written once: building them per request costs more than
// the hash that verifies the request.
const INSERT_ONE_MESSAGE = `insert into inbound_messages (wamid, phone_number_id, sender_key, wa_id, bsuid, type, sent_at, payload)
  values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (wamid) do nothing`;
const INSERT_ONE_STATUS = `insert into status_events (wamid, status, occurred_at, callback_data, recipient, error_code, details)
  values ($1, $2, $3, $4, $5, $6, $7) on conflict (wamid, status) do nothing`;

export interface IntakeResult {
  messages: number;
  messagesDeduped: number;
  statuses: number;
  statusesDeduped: number;
  otherEvents: number;
  deadLetters: number;
  /** Changes addressed to a phone_number_id that is not ours. */
  foreign: string[];
}

// The rows intake writes, derived from the table types so the two cannot drift apart.
type MessageRow = Required<Pick<Insertable<InboundMessagesTable>, 'wamid' | 'phone_number_id' | 'sender_key' | 'wa_id' | 'bsuid' | 'type' | 'sent_at' | 'payload'>>;
type StatusRow = Required<Pick<Insertable<StatusEventsTable>, 'wamid' | 'status' | 'occurred_at' | 'callback_data' | 'recipient' | 'error_code' | 'details'>>;

function contactFor(m: EnvelopeMessage, contacts: EnvelopeContact[]): EnvelopeContact | null {
  return (
    contacts.find((c) => (m.from_user_id && c.user_id === m.from_user_id) || (m.from && c.wa_id === m.from)) ??
    (contacts.length === 1 ? contacts[0]! : null)
  );
}

/** PostgreSQL text cannot hold NUL; JSON escapes inside jsonb cannot either. Status details carry no PHI. */
function jsonForDb(v: unknown): string {
  return JSON.stringify(v).replace(/\\u0000/g, '');
}

export async function storeWebhook(db: Db, cipher: Cipher, phoneNumberId: string, raw: Buffer, body: unknown): Promise<IntakeResult> {
  const result: IntakeResult = { messages: 0, messagesDeduped: 0, statuses: 0, statusesDeduped: 0, otherEvents: 0, deadLetters: 0, foreign: [] };
  const messages: MessageRow[] = [];
  const statuses: StatusRow[] = [];
  const others: { field: string; payload: Buffer }[] = [];
  const dead: { reason: string; body: Buffer }[] = [];

  const env = envelopeSchema.safeParse(body);
  if (!env.success) {
    dead.push({ reason: `envelope: ${env.error.issues[0]?.path.join('.') ?? ''} ${env.error.issues[0]?.message ?? ''}`.slice(0, 300), body: cipher.encrypt(raw) });
  } else {
    for (const entry of env.data.entry) {
      for (const change of entry.changes) {
        if (change.field !== 'messages') {
          others.push({ field: change.field, payload: cipher.encryptJson(change.value) });
          continue;
        }
        const value = messagesValueSchema.safeParse(change.value);
        if (!value.success) {
          const i = value.error.issues[0];
          dead.push({ reason: `messages value: ${i?.path.join('.') ?? ''} ${i?.message ?? ''}`.slice(0, 300), body: cipher.encryptJson(change.value) });
          continue;
        }
        const v = value.data;
        if (v.metadata.phone_number_id !== phoneNumberId) {
          result.foreign.push(v.metadata.phone_number_id);
          continue;
        }
        const contacts = v.contacts ?? [];
        for (const m of v.messages ?? []) {
          const key = senderKey(m);
          if (!key) {
            dead.push({ reason: 'message without from or from_user_id', body: cipher.encryptJson(m) });
            continue;
          }
          const contact = contactFor(m, contacts);
          messages.push({
            wamid: m.id,
            phone_number_id: v.metadata.phone_number_id,
            sender_key: key,
            wa_id: m.from ?? contact?.wa_id ?? null,
            bsuid: m.from_user_id ?? contact?.user_id ?? null,
            type: m.type,
            sent_at: new Date(m.timestamp * 1000),
            payload: cipher.encryptJson({ message: m, contact }),
          });
        }
        for (const s of v.statuses ?? []) {
          statuses.push({
            wamid: s.id,
            status: s.status,
            occurred_at: new Date(s.timestamp * 1000),
            callback_data: s.biz_opaque_callback_data ?? null,
            recipient: s.recipient_id ?? s.recipient_user_id ?? null,
            error_code: s.errors?.[0]?.code ?? null,
            details: jsonForDb({ errors: s.errors ?? [], pricing: s['pricing'] ?? null, conversation: s['conversation'] ?? null }),
          });
        }
        if (v.errors?.length) others.push({ field: 'messages.errors', payload: cipher.encryptJson(v.errors) });
      }
    }
  }

  // One POST may repeat a wamid (Meta batches retries): keep the first so the statement stays valid.
  const uniqueMessages = [...new Map(messages.map((m) => [m.wamid, m])).values()];
  const uniqueStatuses = [...new Map(statuses.map((s) => [`${s.wamid}\u0001${s.status}`, s])).values()];

  if (uniqueMessages.length + uniqueStatuses.length + others.length + dead.length === 0) return result;

  result.otherEvents = others.length;
  result.deadLetters = dead.length;
  // The usual webhook carries only messages or only statuses: a plain insert, the cheapest statement to plan.
  if (others.length + dead.length === 0 && (uniqueMessages.length === 0 || uniqueStatuses.length === 0)) {
    const one = uniqueMessages.length === 1 ? uniqueMessages[0] : undefined;
    const oneStatus = uniqueStatuses.length === 1 && uniqueMessages.length === 0 ? uniqueStatuses[0] : undefined;
    let inserted: number;
    if (one) {
      inserted = Number((await db.executeQuery(CompiledQuery.raw(INSERT_ONE_MESSAGE, [one.wamid, one.phone_number_id, one.sender_key, one.wa_id, one.bsuid, one.type, one.sent_at, one.payload]))).numAffectedRows ?? 0n);
    } else if (oneStatus) {
      const s = oneStatus;
      inserted = Number((await db.executeQuery(CompiledQuery.raw(INSERT_ONE_STATUS, [s.wamid, s.status, s.occurred_at, s.callback_data, s.recipient, s.error_code, s.details]))).numAffectedRows ?? 0n);
    } else {
      const r = uniqueMessages.length
        ? await db.insertInto('inbound_messages').values(uniqueMessages).onConflict((oc) => oc.column('wamid').doNothing()).executeTakeFirst()
        : await db.insertInto('status_events').values(uniqueStatuses).onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()).executeTakeFirst();
      inserted = Number(r.numInsertedOrUpdatedRows ?? 0n);
    }
    if (uniqueMessages.length) result.messages = inserted;
    else result.statuses = inserted;
    result.messagesDeduped = messages.length - result.messages;
    result.statusesDeduped = statuses.length - result.statuses;
    return result;
  }
  // Otherwise data-modifying CTEs: every insert of this webhook in one statement, so one round trip and one commit.
  const ctes: ReturnType<typeof sql>[] = [];
  if (uniqueMessages.length) {
    ctes.push(sql`m as (${db.insertInto('inbound_messages').values(uniqueMessages).onConflict((oc) => oc.column('wamid').doNothing()).returning('id')})`);
  }
  if (uniqueStatuses.length) {
    ctes.push(sql`s as (${db.insertInto('status_events').values(uniqueStatuses).onConflict((oc) => oc.columns(['wamid', 'status']).doNothing()).returning('id')})`);
  }
  if (others.length) ctes.push(sql`o as (${db.insertInto('webhook_other_events').values(others).returning('id')})`);
  if (dead.length) ctes.push(sql`d as (${db.insertInto('webhook_dead_letters').values(dead).returning('id')})`);
  const row = (await sql<{ m: number; s: number }>`with ${sql.join(ctes, sql`, `)} select ${uniqueMessages.length ? sql`(select count(*)::int from m)` : sql`0`} as m, ${uniqueStatuses.length ? sql`(select count(*)::int from s)` : sql`0`} as s`.execute(db)).rows[0];
  result.messages = row?.m ?? 0;
  result.messagesDeduped = messages.length - result.messages;
  result.statuses = row?.s ?? 0;
  result.statusesDeduped = statuses.length - result.statuses;
  return result;
}
