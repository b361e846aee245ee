// What staff do in the inbox, each in the caller's transaction with its audit entry and its handoff event:
// take a conversation over, assign it, reply (through the same outbox as the bot, only while the 24-hour
// window is open), add an internal note (sealed under the patient's key), hand it back to the bot.
// Audit details carry ids and counts, never the text.
import { recordAudit, type AuditActor } from '../../compliance/index.js';
import type { DbOrTx, Tx } from '../../db/database.js';
import type { HandoffEventKind } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { patientIdentifiers } from '../../patients/index.js';
import { text } from '../../whatsapp/outbound.js';
import { enqueue } from '../../whatsapp/outbox.js';
import { activeHandoff, closeHandoff, openHandoff } from '../handoff.js';
import { WINDOW_MS, type InboxDeps } from './repo.js';

export interface Acting {
  actor: AuditActor;
  /** The staff user behind the request (null for ADMIN_API_TOKEN). */
  userId: string | null;
  ip: string | null;
  now: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const notFound = () => new AppError('not_found', 404, 'Not found');

/** Locks the patient row (one staff action on a conversation at a time) and answers its last inbound time. */
async function lockPatient(tx: Tx, patientId: string): Promise<{ lastInboundAt: Date | null }> {
  if (!UUID.test(patientId)) throw notFound();
  const row = await tx.selectFrom('patients').select(['id', 'last_inbound_at']).where('id', '=', patientId).forUpdate().executeTakeFirst();
  if (!row) throw notFound();
  return { lastInboundAt: row.last_inbound_at ? new Date(row.last_inbound_at) : null };
}

async function event(tx: DbOrTx, o: { patientId: string; handoffId: string | null; kind: HandoffEventKind; a: Acting; assignedTo?: string | null; outboxId?: number | null }): Promise<void> {
  await tx.insertInto('handoff_events').values({
    handoff_id: o.handoffId, patient_id: o.patientId, kind: o.kind, actor_type: o.a.actor.type, actor_id: o.a.actor.id,
    assigned_to: o.assignedTo ?? null, outbox_id: o.outboxId ?? null, at: o.a.now,
  }).execute();
}

/** The active handoff, opened by staff (reason 'staff', priority normal) when there is none. */
async function ensureHandoff(tx: Tx, patientId: string, a: Acting, kind: 'opened' | 'takeover'): Promise<{ id: string; created: boolean }> {
  const h = await openHandoff(tx, { patientId, reason: 'staff', priority: 'normal', now: a.now });
  if (h.created) await event(tx, { patientId, handoffId: h.id, kind, a });
  return { id: h.id, created: h.created };
}

export async function takeover(tx: Tx, patientId: string, a: Acting): Promise<{ handoffId: string; created: boolean }> {
  await lockPatient(tx, patientId);
  const h = await ensureHandoff(tx, patientId, a, 'takeover');
  await recordAudit(tx, { actor: a.actor, action: 'conversation.takeover', patientId, target: `handoff:${h.id}`, ip: a.ip, details: { created: h.created }, at: a.now });
  return { handoffId: h.id, created: h.created };
}

export async function assign(tx: Tx, patientId: string, userId: string | null, a: Acting): Promise<{ handoffId: string; assignedTo: string }> {
  const to = userId ?? a.userId;
  if (!to) throw new AppError('user_required', 400, 'Name the staff user to assign (an API token is not a user)', { detail: 'send { "userId": "..." }' });
  await lockPatient(tx, patientId);
  const user = await tx.selectFrom('staff_users').select(['id', 'role', 'disabled_at']).where('id', '=', to).executeTakeFirst();
  if (!user || user.disabled_at || user.role === 'analyst') throw new AppError('invalid_assignee', 400, 'That user cannot take conversations', { detail: 'an active admin, clinician or reception user' });
  const h = await ensureHandoff(tx, patientId, a, 'opened');
  await tx.updateTable('handoffs').set({ state: 'assigned', assigned_to: to, assigned_at: a.now }).where('id', '=', h.id).execute();
  await event(tx, { patientId, handoffId: h.id, kind: 'assigned', a, assignedTo: to });
  await recordAudit(tx, { actor: a.actor, action: 'conversation.assign', patientId, target: `user:${to}`, ip: a.ip, details: { handoff: h.id }, at: a.now });
  return { handoffId: h.id, assignedTo: to };
}

export function windowOpen(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt !== null && lastInboundAt.getTime() + WINDOW_MS > now.getTime();
}

/**
 * A staff reply: a text message through the outbox (the sender delivers it as it does the bot's). Free text
 * only inside the 24-hour window: outside it Meta accepts templates only (409 window_closed). A reply to a
 * patient with no open handoff opens one, so the bot steps aside.
 */
export async function reply(tx: Tx, d: InboxDeps, patientId: string, body: string, a: Acting): Promise<{ outboxId: number; handoffId: string }> {
  const p = await lockPatient(tx, patientId);
  if (!windowOpen(p.lastInboundAt, a.now)) {
    throw new AppError('window_closed', 409, 'The 24-hour window is closed: only a template can reach the patient now', {
      detail: 'free text is possible within 24 hours of the patient\'s last message',
      ...(p.lastInboundAt ? { windowClosedAt: new Date(p.lastInboundAt.getTime() + WINDOW_MS).toISOString() } : {}),
    });
  }
  const ids = await patientIdentifiers(tx, d, patientId);
  if (!ids || (!ids.phone && !ids.bsuid)) throw new AppError('no_address', 409, 'The patient has no WhatsApp address');
  const h = await ensureHandoff(tx, patientId, a, 'opened');
  const own = await d.keys.forPatient(tx, patientId);
  // 'reply': an answer in a conversation the patient is having (the window is open), never refused as a campaign.
  const [outboxId] = await enqueue(tx, own, { patientId, phone: ids.phone, bsuid: ids.bsuid }, [text(body)], { purpose: 'reply' });
  await event(tx, { patientId, handoffId: h.id, kind: 'reply', a, outboxId: outboxId! });
  await recordAudit(tx, { actor: a.actor, action: 'conversation.reply', patientId, target: `outbox:${outboxId}`, ip: a.ip, details: { handoff: h.id, length: [...body].length }, at: a.now });
  return { outboxId: outboxId!, handoffId: h.id };
}

export async function addNote(tx: Tx, d: InboxDeps, patientId: string, body: string, a: Acting): Promise<{ id: string }> {
  await lockPatient(tx, patientId);
  const h = await activeHandoff(tx, patientId);
  const own = await d.keys.forPatient(tx, patientId);
  const row = await tx.insertInto('inbox_notes').values({
    patient_id: patientId, handoff_id: h?.id ?? null, author_id: a.userId, author_kind: a.actor.type === 'staff' ? 'staff' : 'token', body: own.encrypt(body), created_at: a.now,
  }).returning('id').executeTakeFirstOrThrow();
  await event(tx, { patientId, handoffId: h?.id ?? null, kind: 'note', a });
  await recordAudit(tx, { actor: a.actor, action: 'conversation.note', patientId, target: `note:${row.id}`, ip: a.ip, at: a.now });
  return { id: row.id };
}

export async function handback(tx: Tx, patientId: string, a: Acting): Promise<{ handoffId: string }> {
  await lockPatient(tx, patientId);
  const h = await activeHandoff(tx, patientId);
  if (!h) throw new AppError('no_handoff', 409, 'The bot already answers this patient');
  await closeHandoff(tx, { handoffId: h.id, by: a.userId, now: a.now });
  await event(tx, { patientId, handoffId: h.id, kind: 'closed', a });
  await recordAudit(tx, { actor: a.actor, action: 'conversation.handback', patientId, target: `handoff:${h.id}`, ip: a.ip, at: a.now });
  return { handoffId: h.id };
}

export async function acknowledgeAlert(tx: Tx, alertId: number, a: Acting): Promise<{ patientId: string | null }> {
  const row = await tx.updateTable('staff_alerts').set({ acknowledged_at: a.now, acknowledged_by: a.userId })
    .where('id', '=', alertId).where('acknowledged_at', 'is', null).returning(['id', 'patient_id']).executeTakeFirst();
  if (!row) {
    const exists = await tx.selectFrom('staff_alerts').select('id').where('id', '=', alertId).executeTakeFirst();
    if (!exists) throw notFound();
    return { patientId: null };
  }
  await recordAudit(tx, { actor: a.actor, action: 'alert.ack', patientId: row.patient_id, target: `alert:${alertId}`, ip: a.ip, at: a.now });
  return { patientId: row.patient_id };
}
