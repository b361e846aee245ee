// Reading the inbox: the list of patient conversations in the order staff work them (emergencies, then open
// handoffs oldest waiting first, then by last message), and one patient's thread (messages both ways with
// delivery status, notes, handoff history, standby items). Content is decrypted with the patient's key here,
// for the response only; nothing is logged.
import { sql } from 'kysely';
import type { Cipher } from '../../compliance/crypto.js';
import type { KeyRing } from '../../compliance/keys.js';
import type { DbOrTx } from '../../db/database.js';
import type { HandoffPriority, HandoffReason, HandoffState } from '../../db/schema.js';
import { getPatient } from '../../patients/index.js';
import { parseInboundMessage } from '../../whatsapp/inbound-model.js';
import { decodeItem } from '../../whatsapp/outbox.js';
import { inboundContent, outboundContent, preview, type Content } from './content.js';

export const WINDOW_MS = 24 * 60 * 60 * 1000;

export interface InboxDeps {
  cipher: Cipher;
  keys: KeyRing;
}

export type ListState = 'needs_human' | 'bot' | 'closed' | 'all';

export interface HandoffSummary {
  id: string;
  state: HandoffState;
  reason: HandoffReason;
  priority: HandoffPriority;
  assignedTo: string | null;
  openedAt: Date;
  closedAt: Date | null;
}

export interface ConversationSummary {
  patientId: string;
  displayName: string | null;
  phoneMasked: string | null;
  language: string | null;
  handoff: HandoffSummary | null;
  lastMessageAt: Date | null;
  lastMessagePreview: string | null;
  lastMessageDirection: 'in' | 'out' | null;
  /** The patient's messages since staff last wrote (reply or note) in this conversation. */
  unread: number;
  windowOpen: boolean;
  windowClosesAt: Date | null;
  alerts: number;
}

/** Where the next page starts: the sort key of the last row. */
export interface ListCursor {
  r: number;
  k: string;
  id: string;
}

interface ListRow {
  id: string;
  last_inbound_at: Date | null;
  h_id: string | null;
  h_state: HandoffState | null;
  h_reason: HandoffReason | null;
  h_priority: HandoffPriority | null;
  h_assigned_to: string | null;
  h_opened_at: Date | null;
  h_closed_at: Date | null;
  last_at: Date | null;
  alerts: number;
  rank: number;
  k_text: string;
}

const windowOf = (lastInbound: Date | null, now: Date) => {
  const closes = lastInbound ? new Date(new Date(lastInbound).getTime() + WINDOW_MS) : null;
  return { windowOpen: closes !== null && closes.getTime() > now.getTime(), windowClosesAt: closes };
};

/**
 * One row per patient who wrote or was written to, or ever had a handoff. `rank`: 0 an active emergency
 * handoff, 1 another active handoff, 2 none; `k` orders within a rank (oldest opened first; newest message
 * first), as exact numeric text so the cursor compares exactly.
 */
export async function listConversations(db: DbOrTx, d: InboxDeps, q: { state: ListState; after?: ListCursor | undefined; limit: number; now: Date }): Promise<{ summary: ConversationSummary; cursor: ListCursor }[]> {
  const stateFilter =
    q.state === 'needs_human' ? sql`h_id is not null`
      : q.state === 'bot' ? sql`h_id is null and not closed_before`
        : q.state === 'closed' ? sql`h_id is null and closed_before`
          : sql`true`;
  const after = q.after ? sql`and (rank, k, id) > (${q.after.r}::int, ${q.after.k}::numeric, ${q.after.id}::uuid)` : sql``;
  const rows = await sql<ListRow>`
    with c as (
      select p.id, p.last_inbound_at,
             h.id as h_id, h.state as h_state, h.reason as h_reason, h.priority as h_priority, h.assigned_to as h_assigned_to,
             h.opened_at as h_opened_at, h.closed_at as h_closed_at,
             exists (select 1 from handoffs x where x.patient_id = p.id and x.state = 'closed') as closed_before,
             greatest(p.last_inbound_at, (select max(o.created_at) from outbox o where o.patient_id = p.id and o.kind <> 'read')) as last_at,
             (select count(*)::int from staff_alerts a where a.patient_id = p.id and a.acknowledged_at is null) as alerts
        from patients p
        left join handoffs h on h.patient_id = p.id and h.state <> 'closed'
       where p.last_inbound_at is not null or h.id is not null
          or exists (select 1 from outbox o where o.patient_id = p.id)
          or exists (select 1 from handoffs x where x.patient_id = p.id)),
    s as (
      select *, case when h_priority = 'emergency' then 0 when h_id is not null then 1 else 2 end as rank,
             case when h_id is not null then extract(epoch from h_opened_at) else -extract(epoch from coalesce(last_at, 'epoch'::timestamptz)) end as k
        from c where ${stateFilter})
    select id, last_inbound_at, h_id, h_state, h_reason, h_priority, h_assigned_to, h_opened_at, h_closed_at, last_at, alerts, rank, k::text as k_text
      from s where true ${after}
     order by rank, k, id
     limit ${q.limit}`.execute(db);

  const out: { summary: ConversationSummary; cursor: ListCursor }[] = [];
  for (const r of rows.rows) {
    const p = await getPatient(db, d, r.id);
    const last = await lastMessage(db, d, r.id);
    out.push({
      summary: {
        patientId: r.id,
        displayName: p?.displayName ?? null,
        phoneMasked: p?.phoneMasked ?? null,
        language: p?.language ?? null,
        handoff: r.h_id ? { id: r.h_id, state: r.h_state!, reason: r.h_reason!, priority: r.h_priority!, assignedTo: r.h_assigned_to, openedAt: new Date(r.h_opened_at!), closedAt: null } : null,
        lastMessageAt: r.last_at ? new Date(r.last_at) : null,
        lastMessagePreview: last ? preview(last.content) : null,
        lastMessageDirection: last?.direction ?? null,
        unread: await unreadCount(db, r.id),
        ...windowOf(r.last_inbound_at, q.now),
        alerts: r.alerts,
      },
      cursor: { r: r.rank, k: r.k_text, id: r.id },
    });
  }
  return out;
}

async function lastMessage(db: DbOrTx, d: InboxDeps, patientId: string): Promise<{ content: Content; direction: 'in' | 'out' } | null> {
  const inbound = await db.selectFrom('inbound_messages').select(['payload', 'processed_at']).where('patient_id', '=', patientId).where('state', '=', 'done')
    .orderBy('processed_order', 'desc').limit(1).executeTakeFirst();
  const outbound = await db.selectFrom('outbox').select(['payload', 'created_at']).where('patient_id', '=', patientId).where('kind', '<>', 'read')
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!inbound && !outbound) return null;
  const own = await d.keys.forPatient(db, patientId);
  const inAt = inbound?.processed_at ? new Date(inbound.processed_at).getTime() : -Infinity;
  const outAt = outbound ? new Date(outbound.created_at).getTime() : -Infinity;
  if (inbound && inAt >= outAt) {
    const c = openInbound(own, inbound.payload);
    return c ? { content: c, direction: 'in' } : null;
  }
  const c = openOutbound(own, outbound!.payload);
  return c ? { content: c, direction: 'out' } : null;
}

/** The patient's handled messages after staff last wrote to or about them (all of them if staff never did). */
async function unreadCount(db: DbOrTx, patientId: string): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from inbound_messages m
     where m.patient_id = ${patientId} and m.state = 'done' and m.type not in ('reaction', 'system')
       and m.processed_at > coalesce((select max(e.at) from handoff_events e where e.patient_id = ${patientId} and e.kind in ('reply', 'note', 'assigned', 'takeover', 'closed')), 'epoch'::timestamptz)`.execute(db);
  return r.rows[0]?.n ?? 0;
}

function openInbound(own: Cipher, payload: Uint8Array): Content | null {
  if (payload.length === 0) return { type: 'purged', text: null, media: false };
  try {
    const stored: unknown = JSON.parse(own.decrypt(payload).toString('utf8'));
    const raw = stored && typeof stored === 'object' && 'message' in stored ? stored.message : null;
    return inboundContent(parseInboundMessage(raw));
  } catch {
    // A shredded key or a message that no longer parses: shown as unreadable, never a failed page.
    return { type: 'unreadable', text: null, media: false };
  }
}

function openOutbound(own: Cipher, payload: Uint8Array): Content | null {
  if (payload.length === 0) return { type: 'purged', text: null, media: false };
  try {
    return outboundContent(decodeItem(own, payload));
  } catch {
    return { type: 'unreadable', text: null, media: false };
  }
}

export type Delivery = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled';

/** What staff see of an outbox row's progress: its state until Meta reports, then the furthest status. */
export function deliveryOf(row: { state: string; status: string | null }): Delivery {
  if (row.state === 'failed' || row.status === 'failed') return 'failed';
  if (row.state === 'cancelled') return 'cancelled';
  if (row.status === 'read') return 'read';
  if (row.status === 'delivered') return 'delivered';
  if (row.state === 'sent' || row.status === 'sent') return 'sent';
  return 'queued';
}

export type ThreadEntry =
  | { kind: 'in'; id: string; at: Date; content: Content }
  | { kind: 'out'; id: string; at: Date; content: Content; delivery: Delivery; by: 'bot' | 'staff'; errorCode: number | null }
  | { kind: 'note'; id: string; at: Date; text: string | null; authorId: string | null }
  | { kind: 'event'; id: string; at: Date; event: string; actorType: string; actorId: string | null; assignedTo: string | null }
  | { kind: 'standby'; id: string; at: Date; item: string; content: Content; status: string | null };

export interface Thread {
  patientId: string;
  displayName: string | null;
  phoneMasked: string | null;
  language: string | null;
  handoff: HandoffSummary | null;
  windowOpen: boolean;
  windowClosesAt: Date | null;
  alerts: { id: number; kind: string; codes: string[]; createdAt: Date }[];
  entries: ThreadEntry[];
}

/** The thread's newest THREAD_LIMIT items of each kind, oldest first. */
export const THREAD_LIMIT = 200;

export async function readThread(db: DbOrTx, d: InboxDeps, patientId: string, now: Date): Promise<Thread | null> {
  const p = await getPatient(db, d, patientId);
  if (!p) return null;
  const own = await d.keys.forPatient(db, patientId);
  const entries: ThreadEntry[] = [];

  const inbound = await db.selectFrom('inbound_messages').select(['id', 'payload', 'sent_at', 'processed_order']).where('patient_id', '=', patientId).where('state', '=', 'done')
    .orderBy('processed_order', 'desc').limit(THREAD_LIMIT).execute();
  for (const m of inbound) entries.push({ kind: 'in', id: `in:${m.id}`, at: new Date(m.sent_at), content: openInbound(own, m.payload) ?? { type: 'unknown', text: null, media: false } });

  const staffReplies = new Set((await db.selectFrom('handoff_events').select('outbox_id').where('patient_id', '=', patientId).where('kind', '=', 'reply').where('outbox_id', 'is not', null).execute()).map((r) => Number(r.outbox_id)));
  const outbound = await db.selectFrom('outbox').select(['id', 'payload', 'created_at', 'state', 'status', 'error_code']).where('patient_id', '=', patientId).where('kind', '<>', 'read')
    .orderBy('id', 'desc').limit(THREAD_LIMIT).execute();
  for (const o of outbound) {
    entries.push({
      kind: 'out', id: `out:${o.id}`, at: new Date(o.created_at), content: openOutbound(own, o.payload) ?? { type: 'unknown', text: null, media: false },
      delivery: deliveryOf(o), by: staffReplies.has(Number(o.id)) ? 'staff' : 'bot', errorCode: o.error_code,
    });
  }

  const notes = await db.selectFrom('inbox_notes').select(['id', 'body', 'created_at', 'author_id']).where('patient_id', '=', patientId).orderBy('created_at', 'desc').limit(THREAD_LIMIT).execute();
  for (const n of notes) {
    let text: string | null = null;
    try {
      text = own.decrypt(n.body).toString('utf8');
    } catch {
      text = null;
    }
    entries.push({ kind: 'note', id: `note:${n.id}`, at: new Date(n.created_at), text, authorId: n.author_id });
  }

  const events = await db.selectFrom('handoff_events').select(['id', 'kind', 'actor_type', 'actor_id', 'assigned_to', 'at']).where('patient_id', '=', patientId).where('kind', 'not in', ['reply', 'note'])
    .orderBy('id', 'desc').limit(THREAD_LIMIT).execute();
  for (const e of events) entries.push({ kind: 'event', id: `event:${e.id}`, at: new Date(e.at), event: e.kind, actorType: e.actor_type, actorId: e.actor_id, assignedTo: e.assigned_to });

  entries.push(...(await standbyEntries(db, d, own, patientId)));
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || a.id.localeCompare(b.id));

  const h = await db.selectFrom('handoffs').select(['id', 'state', 'reason', 'priority', 'assigned_to', 'opened_at', 'closed_at']).where('patient_id', '=', patientId)
    .orderBy(sql`state = 'closed'`).orderBy('opened_at', 'desc').limit(1).executeTakeFirst();
  const alerts = await db.selectFrom('staff_alerts').select(['id', 'kind', 'codes', 'created_at']).where('patient_id', '=', patientId).where('acknowledged_at', 'is', null).orderBy('id').execute();
  return {
    patientId, displayName: p.displayName, phoneMasked: p.phoneMasked, language: p.language,
    handoff: h ? { id: h.id, state: h.state, reason: h.reason, priority: h.priority, assignedTo: h.assigned_to, openedAt: new Date(h.opened_at), closedAt: h.closed_at ? new Date(h.closed_at) : null } : null,
    ...windowOf(p.lastInboundAt, now),
    alerts: alerts.map((a) => ({ id: Number(a.id), kind: a.kind, codes: a.codes, createdAt: new Date(a.created_at) })),
    entries,
  };
}

/** The patient's standby items: linked to them, or not linked yet but naming one of their identifiers. */
async function standbyEntries(db: DbOrTx, d: InboxDeps, own: Cipher, patientId: string): Promise<ThreadEntry[]> {
  const ids = await db.selectFrom('patients').select(['wa_id_index', 'bsuid_index']).where('id', '=', patientId).executeTakeFirst();
  const rows = await db.selectFrom('standby_events').select(['id', 'item', 'status', 'type', 'occurred_at', 'received_at', 'payload', 'patient_id'])
    .where((eb) => eb.or([
      eb('patient_id', '=', patientId),
      ...(ids?.wa_id_index ? [eb.and([eb('patient_id', 'is', null), eb('wa_id_index', '=', ids.wa_id_index)])] : []),
      ...(ids?.bsuid_index ? [eb.and([eb('patient_id', 'is', null), eb('bsuid_index', '=', ids.bsuid_index)])] : []),
    ]))
    .orderBy('id', 'desc').limit(THREAD_LIMIT).execute();
  return rows.map((r) => {
    let content: Content = { type: r.type ?? r.item, text: null, media: false };
    try {
      // Unlinked rows are sealed with ENCRYPTION_KEY; linked ones with the patient's key (which opens both).
      const stored: unknown = (r.patient_id ? own : d.cipher).decryptJson(r.payload);
      const item = stored && typeof stored === 'object' && 'item' in stored ? stored.item : null;
      if (r.item === 'message') content = inboundContent(parseInboundMessage(item));
      else if (r.item === 'echo') content = echoContent(item);
    } catch {
      content = { type: 'unreadable', text: null, media: false };
    }
    return { kind: 'standby' as const, id: `standby:${r.id}`, at: new Date(r.occurred_at ?? r.received_at), item: r.item, content, status: r.status };
  });
}

/** An echo is a message the other app sent, in the send format (type + object of that type). */
function echoContent(item: unknown): Content {
  if (!item || typeof item !== 'object') return { type: 'unknown', text: null, media: false };
  const m: Record<string, unknown> = { ...item };
  const type = typeof m['type'] === 'string' ? m['type'] : 'unknown';
  const part = m[type];
  const p: Record<string, unknown> = part && typeof part === 'object' ? { ...part } : {};
  const body = typeof p['body'] === 'string' ? p['body'] : typeof p['caption'] === 'string' ? p['caption'] : null;
  const inner = p['body'] && typeof p['body'] === 'object' ? { ...p['body'] } : null;
  const text = body ?? (inner && 'text' in inner && typeof inner.text === 'string' ? inner.text : null);
  return { type, text, media: ['image', 'video', 'audio', 'document', 'sticker'].includes(type) };
}
