// SQL for the sandbox's own tables (migration 0003-sandbox). Functions take the database first; content that
// a person typed (names, messages, files) is encrypted with the app's cipher before it is stored.
import { sql, type ColumnType, type Generated, type Kysely, type Selectable } from 'kysely';
import type { Cipher } from '../compliance/crypto.js';
import type { Db } from '../db/database.js';
import type { DB } from '../db/schema.js';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
type Json = ColumnType<unknown, string, string>;
type Rev = ColumnType<number, never, number>;

export type SandboxTables = {
  sandbox_patients: { id: Generated<string>; wa_id: string; bsuid: string; name: Uint8Array; language: string; last_inbound_at: NullableTimestamp; typing_until: NullableTimestamp; rev: Rev; created_at: Generated<Date> };
  sandbox_messages: {
    id: Generated<number>; patient_id: string; direction: 'in' | 'out'; wamid: string; type: string; content: Uint8Array;
    status: string; error_code: number | null; callback_data: string | null; context_wamid: string | null; created_at: Timestamp; rev: Rev;
  };
  sandbox_media: { id: string; mime_type: string; sha256: string; size: number; filename: string | null; origin: 'business' | 'patient'; content: Uint8Array; created_at: Timestamp; deleted_at: NullableTimestamp };
  sandbox_templates: { id: string; name: string; language: string; category: string; parameter_format: string | null; components: Json; status: string; created_at: Timestamp; approve_at: NullableTimestamp; status_notified: string | null };
  sandbox_settings: { key: string; value: Json };
  sandbox_webhooks: { id: Generated<number>; kind: string; ref_wamid: string | null; body: Uint8Array; due_at: Timestamp; attempts: Generated<number>; lease_until: NullableTimestamp; delivered_at: NullableTimestamp; last_error: string | null };
  sandbox_api_log: { id: Generated<number>; at: Timestamp; method: string; path: string; http_status: number; error_code: number | null; details: string | null };
};
export type SandboxDb = Kysely<DB & SandboxTables>;
export const sandboxDb = (db: Db): SandboxDb => db.withTables<SandboxTables>();
const nextRev = () => sql<number>`nextval('sandbox_rev')`;

export type Language = 'en' | 'fr' | 'it' | 'es' | 'pt' | 'de';
export const LANGUAGES: readonly Language[] = ['en', 'fr', 'it', 'es', 'pt', 'de'];

export interface SimPatient { id: string; waId: string; bsuid: string; name: string; language: string; lastInboundAt: Date | null; typingUntil: Date | null; rev: number }

type PatientRow = Selectable<SandboxTables['sandbox_patients']>;
const toPatient = (c: Cipher, r: PatientRow): SimPatient => ({
  id: r.id, waId: r.wa_id, bsuid: r.bsuid, name: c.decrypt(r.name).toString('utf8'), language: r.language,
  lastInboundAt: r.last_inbound_at, typingUntil: r.typing_until, rev: r.rev,
});

export async function listPatients(db: SandboxDb, c: Cipher): Promise<SimPatient[]> {
  const rows = await db.selectFrom('sandbox_patients').selectAll().orderBy('created_at').execute();
  return rows.map((r) => toPatient(c, r));
}

export async function findPatient(db: SandboxDb, c: Cipher, by: { id?: string; waId?: string; bsuid?: string }): Promise<SimPatient | null> {
  let q = db.selectFrom('sandbox_patients').selectAll();
  if (by.id !== undefined) q = q.where('id', '=', by.id);
  else if (by.waId !== undefined) q = q.where('wa_id', '=', by.waId);
  else if (by.bsuid !== undefined) q = q.where('bsuid', '=', by.bsuid);
  else return null;
  const r = await q.executeTakeFirst();
  return r ? toPatient(c, r) : null;
}

/** Creates a simulated patient; null when the number is already taken. */
export async function createPatient(db: SandboxDb, c: Cipher, p: { waId: string; bsuid: string; name: string; language: string; now: Date }): Promise<SimPatient | null> {
  const r = await db.insertInto('sandbox_patients')
    .values({ wa_id: p.waId, bsuid: p.bsuid, name: c.encrypt(p.name), language: p.language, created_at: p.now })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return r ? toPatient(c, r) : null;
}

export async function touchInbound(db: SandboxDb, patientId: string, at: Date): Promise<void> {
  await db.updateTable('sandbox_patients').set({ last_inbound_at: at, rev: nextRev() }).where('id', '=', patientId).execute();
}

export async function setTyping(db: SandboxDb, patientId: string, until: Date | null): Promise<void> {
  await db.updateTable('sandbox_patients').set({ typing_until: until, rev: nextRev() }).where('id', '=', patientId).execute();
}

export interface SimMessage {
  id: number; patientId: string; direction: 'in' | 'out'; wamid: string; type: string; content: unknown;
  status: string; errorCode: number | null; callbackData: string | null; contextWamid: string | null; createdAt: Date; rev: number;
}
type MessageRow = Selectable<SandboxTables['sandbox_messages']>;
const toMessage = (c: Cipher, r: MessageRow): SimMessage => ({
  id: r.id, patientId: r.patient_id, direction: r.direction, wamid: r.wamid, type: r.type, content: c.decryptJson(r.content),
  status: r.status, errorCode: r.error_code, callbackData: r.callback_data, contextWamid: r.context_wamid, createdAt: r.created_at, rev: r.rev,
});

export async function insertMessage(db: SandboxDb, c: Cipher, m: { patientId: string; direction: 'in' | 'out'; wamid: string; type: string; content: unknown; status: string; callbackData?: string | null; contextWamid?: string | null; now: Date }): Promise<SimMessage> {
  const r = await db.insertInto('sandbox_messages').values({
    patient_id: m.patientId, direction: m.direction, wamid: m.wamid, type: m.type, content: c.encryptJson(m.content), status: m.status,
    error_code: null, callback_data: m.callbackData ?? null, context_wamid: m.contextWamid ?? null, created_at: m.now,
  }).returningAll().executeTakeFirstOrThrow();
  return toMessage(c, r);
}

export async function findMessage(db: SandboxDb, c: Cipher, wamid: string): Promise<SimMessage | null> {
  const r = await db.selectFrom('sandbox_messages').selectAll().where('wamid', '=', wamid).executeTakeFirst();
  return r ? toMessage(c, r) : null;
}

/** Ticks only move forward: pending < sent < delivered < read; failed replaces anything below delivered. */
export const STATUS_RANK: Record<string, number> = { pending: 0, accepted: 0, sent: 1, failed: 2, delivered: 3, read: 4 };

/** Moves a message's status forward; returns false when it was already there or beyond. */
export async function advanceStatus(db: SandboxDb, wamid: string, status: string, errorCode: number | null = null): Promise<boolean> {
  const rank = STATUS_RANK[status] ?? 0;
  const ranks = sql.raw(`case status ${Object.entries(STATUS_RANK).map(([k, v]) => `when '${k}' then ${v}`).join(' ')} else 0 end`);
  const r = await db.updateTable('sandbox_messages')
    .set({ status, error_code: errorCode, rev: nextRev() })
    .where('wamid', '=', wamid)
    .where(sql<boolean>`${ranks} < ${rank}`)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Marking a message read marks the earlier ones of that chat read too, as WhatsApp does. */
export async function markEarlierRead(db: SandboxDb, patientId: string, uptoId: number): Promise<void> {
  await db.updateTable('sandbox_messages').set({ status: 'read', rev: nextRev() })
    .where('patient_id', '=', patientId).where('direction', '=', 'in').where('id', '<=', uptoId).where('status', '!=', 'read').execute();
}

/** Rewrites a message's stored content (e.g. once a linked file has been fetched). */
export async function updateContent(db: SandboxDb, c: Cipher, wamid: string, update: (content: unknown) => unknown): Promise<void> {
  const r = await db.selectFrom('sandbox_messages').select('content').where('wamid', '=', wamid).executeTakeFirst();
  if (!r) return;
  await db.updateTable('sandbox_messages').set({ content: c.encryptJson(update(c.decryptJson(r.content))), rev: nextRev() }).where('wamid', '=', wamid).execute();
}

/** The patient's chat: the latest `limit` messages, oldest first. */
export async function chat(db: SandboxDb, c: Cipher, patientId: string, limit = 200): Promise<SimMessage[]> {
  const rows = await db.selectFrom('sandbox_messages').selectAll().where('patient_id', '=', patientId).orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => toMessage(c, r));
}

export async function messagesChangedSince(db: SandboxDb, c: Cipher, patientId: string, rev: number): Promise<SimMessage[]> {
  const rows = await db.selectFrom('sandbox_messages').selectAll().where('patient_id', '=', patientId).where('rev', '>', rev).orderBy('rev').limit(500).execute();
  return rows.map((r) => toMessage(c, r));
}

/** Business messages to one patient since `since`, for the pair-rate bucket. */
export async function outboundTimes(db: SandboxDb, since: Date, patientId?: string): Promise<Date[]> {
  let q = db.selectFrom('sandbox_messages').select('created_at').where('direction', '=', 'out').where('created_at', '>=', since).where('type', '!=', 'reaction');
  if (patientId !== undefined) q = q.where('patient_id', '=', patientId);
  const rows = await q.orderBy('created_at').execute();
  return rows.map((r) => r.created_at);
}

export interface SimMedia { id: string; mimeType: string; sha256: string; size: number; filename: string | null; origin: 'business' | 'patient'; createdAt: Date }

export async function putMedia(db: SandboxDb, c: Cipher, m: Omit<SimMedia, 'size'> & { bytes: Buffer }): Promise<void> {
  await db.insertInto('sandbox_media').values({
    id: m.id, mime_type: m.mimeType, sha256: m.sha256, size: m.bytes.length, filename: m.filename, origin: m.origin, content: c.encrypt(m.bytes), created_at: m.createdAt,
  }).execute();
}

export async function getMedia(db: SandboxDb, id: string): Promise<SimMedia | null> {
  const r = await db.selectFrom('sandbox_media').select(['id', 'mime_type', 'sha256', 'size', 'filename', 'origin', 'created_at']).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return r ? { id: r.id, mimeType: r.mime_type, sha256: r.sha256, size: r.size, filename: r.filename, origin: r.origin, createdAt: r.created_at } : null;
}

export async function mediaBytes(db: SandboxDb, c: Cipher, id: string): Promise<Buffer | null> {
  const r = await db.selectFrom('sandbox_media').select('content').where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return r ? c.decrypt(r.content) : null;
}

export async function deleteMedia(db: SandboxDb, id: string, now: Date): Promise<boolean> {
  const r = await db.updateTable('sandbox_media').set({ deleted_at: now, content: new Uint8Array() }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface SimTemplate { id: string; name: string; language: string; category: string; parameterFormat: string | null; components: unknown; status: string; createdAt: Date; approveAt: Date | null }
type TemplateRow = { id: string; name: string; language: string; category: string; parameter_format: string | null; components: unknown; status: string; created_at: Date; approve_at: Date | null };
/** A PENDING template whose review time has passed is APPROVED, whichever instance looks first. */
const toTemplate = (r: TemplateRow, now: Date): SimTemplate => ({
  id: r.id, name: r.name, language: r.language, category: r.category, parameterFormat: r.parameter_format, components: r.components,
  status: r.status === 'PENDING' && r.approve_at !== null && r.approve_at <= now ? 'APPROVED' : r.status, createdAt: r.created_at, approveAt: r.approve_at,
});

export async function insertTemplate(db: SandboxDb, t: Omit<SimTemplate, 'components'> & { components: unknown }): Promise<boolean> {
  const r = await db.insertInto('sandbox_templates').values({
    id: t.id, name: t.name, language: t.language, category: t.category, parameter_format: t.parameterFormat, components: JSON.stringify(t.components),
    status: t.status, created_at: t.createdAt, approve_at: t.approveAt, status_notified: t.status === 'APPROVED' ? 'APPROVED' : null,
  }).onConflict((oc) => oc.columns(['name', 'language']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function listTemplates(db: SandboxDb, now: Date): Promise<SimTemplate[]> {
  const rows = await db.selectFrom('sandbox_templates').selectAll().orderBy('created_at').execute();
  return rows.map((r) => toTemplate(r, now));
}

export async function findTemplate(db: SandboxDb, by: { id: string } | { name: string; language: string }, now: Date): Promise<SimTemplate | null> {
  let q = db.selectFrom('sandbox_templates').selectAll();
  q = 'id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name).where('language', '=', by.language);
  const r = await q.executeTakeFirst();
  return r ? toTemplate(r, now) : null;
}

/** Templates approved since the last look whose status webhook is still to be sent; marks them notified. */
export async function takeNewlyApproved(db: SandboxDb, now: Date): Promise<SimTemplate[]> {
  const rows = await db.updateTable('sandbox_templates')
    .set({ status: 'APPROVED', status_notified: 'APPROVED' })
    .where('status', '=', 'PENDING').where('approve_at', '<=', now)
    .returningAll().execute();
  return rows.map((r) => toTemplate(r, now));
}

export async function getSetting(db: SandboxDb, key: string): Promise<unknown> {
  const r = await db.selectFrom('sandbox_settings').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

export async function putSetting(db: SandboxDb, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db.insertInto('sandbox_settings').values({ key, value: json }).onConflict((oc) => oc.column('key').doUpdateSet({ value: json })).execute();
}

/**
 * Counts one send in the current second and returns the count, atomically (an upsert), so that concurrent
 * requests on several instances cannot all see room under the throughput cap.
 */
export async function countSendThisSecond(db: SandboxDb, now: Date): Promise<number> {
  const second = Math.floor(now.getTime() / 1000);
  const r = await sql<{ n: number }>`
    insert into sandbox_settings (key, value) values (${`rate:${second}`}, '1'::jsonb)
    on conflict (key) do update set value = to_jsonb((sandbox_settings.value #>> '{}')::int + 1)
    returning (value #>> '{}')::int as n`.execute(db);
  if (second % 30 === 0) await sql`delete from sandbox_settings where key like 'rate:%' and key < ${`rate:${second - 60}`}`.execute(db);
  return r.rows[0]?.n ?? 1;
}

export async function logApiCall(db: SandboxDb, e: { at: Date; method: string; path: string; status: number; errorCode: number | null; details: string | null }): Promise<void> {
  await db.insertInto('sandbox_api_log').values({ at: e.at, method: e.method, path: e.path.slice(0, 300), http_status: e.status, error_code: e.errorCode, details: e.details?.slice(0, 500) ?? null }).execute();
  // Keep the log short: it is a developer's view of recent calls, not an archive.
  if (Math.random() < 0.05) await sql`delete from sandbox_api_log where id < (select max(id) - 500 from sandbox_api_log)`.execute(db);
}

export async function recentApiCalls(db: SandboxDb, limit = 50) {
  return db.selectFrom('sandbox_api_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
}
