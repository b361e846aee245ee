// The staff inbox API under /api: conversations by state, a patient's thread, take over / assign / reply /
// note / hand back, staff alerts, and live updates as Server-Sent Events. Desk roles only (admin, clinician,
// reception): analysts get 403 on everything here, since all of it shows or acts on content. Every view of a
// thread and every action is in the audit trail (never the text).
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../compliance/index.js';
import { decodeCursor, listSchema, page, principalOf, type Role } from '../../http/api.js';
import { AppError } from '../../lib/errors.js';
import type { ModuleContext } from '../../lib/module.js';
import { SENDER } from '../../whatsapp/index.js';
import { acknowledgeAlert, addNote, assign, handback, reply, takeover, type Acting } from './actions.js';
import type { InboxEvent, InboxFeed } from './feed.js';
import { listConversations, readThread, type ConversationSummary, type HandoffSummary, type Thread } from './repo.js';
import { actionResult, alertParams, alertSchema, alertsQuery, assignBody, conversationSchema, conversationsQuery, patientParams, textBody, threadSchema } from './schemas.js';

export const INBOX_ROLES: readonly Role[] = ['admin', 'clinician', 'reception'];

const listCursor = z.object({ r: z.number().int().min(0).max(2), k: z.string().regex(/^-?\d{1,20}(\.\d{1,12})?$/), id: z.uuid() });
const alertCursor = z.object({ id: z.number().int().positive() });

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);
const handoffJson = (h: HandoffSummary | null) => (h ? { ...h, openedAt: h.openedAt.toISOString(), closedAt: isoOrNull(h.closedAt) } : null);
const conversationJson = (c: ConversationSummary) => ({
  ...c, handoff: handoffJson(c.handoff), lastMessageAt: isoOrNull(c.lastMessageAt), windowClosesAt: isoOrNull(c.windowClosesAt),
});
const threadJson = (t: Thread) => ({
  ...t,
  handoff: handoffJson(t.handoff),
  windowClosesAt: isoOrNull(t.windowClosesAt),
  alerts: t.alerts.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
  entries: t.entries.map((e) => ({ ...e, at: e.at.toISOString() })),
});

export interface InboxRouteOptions {
  feed: InboxFeed;
  /** How often an idle event stream gets a keep-alive comment (proxies close silent connections). */
  keepAliveMs: number;
}

export function inboxRoutes(ctx: ModuleContext, o: InboxRouteOptions): FastifyPluginAsync {
  const db = ctx.database.db;
  const deps = { cipher: ctx.cipher, keys: ctx.keys };
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    const streams = new Set<FastifyReply>();
    // Open event streams would hold the server open: end them when the app closes.
    app.addHook('preClose', async () => {
      for (const r of streams) r.raw.end();
      streams.clear();
    });

    const acting = (req: Parameters<typeof actorOf>[0]): Acting => ({ actor: actorOf(req), userId: principalOf(req).userId, ip: req.ip, now: ctx.clock.now() });

    api.get('/conversations', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Patient conversations: emergencies first, then open handoffs oldest waiting first, then by last message', tags: ['inbox'], querystring: conversationsQuery, response: { 200: listSchema(conversationSchema) } },
    }, async (req) => {
      const q = req.query;
      const after = decodeCursor(listCursor, q.cursor);
      const rows = await listConversations(db, deps, { state: q.state, after, limit: q.limit + 1, now: ctx.clock.now() });
      const result = page(rows, q.limit, (r) => conversationJson(r.summary), (r) => r.cursor);
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'conversation.list', ip: req.ip, details: { state: q.state, results: result.items.length } }));
      return result;
    });

    api.get('/conversations/events', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Live updates (Server-Sent Events): {type:"conversation",patientId} and {type:"alert",kind}, PHI-free', tags: ['inbox'] },
    }, async (req, reply) => {
      const send = (events: InboxEvent[]) => {
        for (const e of events) reply.raw.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      const unsubscribe = await o.feed.subscribe(send);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      reply.raw.write(`retry: 3000\n: connected\n\n`);
      streams.add(reply);
      const keepAlive = setInterval(() => reply.raw.write(`: keep-alive\n\n`), o.keepAliveMs);
      const done = () => {
        clearInterval(keepAlive);
        unsubscribe();
        streams.delete(reply);
      };
      req.raw.on('close', done);
      reply.raw.on('close', done);
    });

    api.get('/conversations/:patientId', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'A patient\'s thread: messages both ways with delivery status, notes, handoff history, standby items, the 24-hour window', tags: ['inbox'], params: patientParams, response: { 200: threadSchema } },
    }, async (req) => {
      const t = await readThread(db, deps, req.params.patientId, ctx.clock.now());
      if (!t) throw new AppError('not_found', 404, 'Not found');
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'conversation.view', patientId: t.patientId, ip: req.ip, details: { entries: t.entries.length } }));
      return threadJson(t);
    });

    api.post('/conversations/:patientId/takeover', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Staff take the conversation over: the bot stays silent (red flags excepted) until handed back', tags: ['inbox'], params: patientParams, response: { 200: actionResult } },
    }, async (req) => {
      const r = await db.transaction().execute((tx) => takeover(tx, req.params.patientId, acting(req)));
      return { handoffId: r.handoffId, created: r.created };
    });

    api.post('/conversations/:patientId/assign', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Assign the conversation to a staff user (default: the caller); opens a handoff if none is open', tags: ['inbox'], params: patientParams, body: assignBody, response: { 200: actionResult } },
    }, async (req) => {
      const r = await db.transaction().execute((tx) => assign(tx, req.params.patientId, req.body.userId ?? null, acting(req)));
      return { handoffId: r.handoffId, assignedTo: r.assignedTo };
    });

    api.post('/conversations/:patientId/reply', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'A free-text reply through the outbox (409 window_closed outside the 24-hour window)', tags: ['inbox'], params: patientParams, body: textBody, response: { 200: actionResult } },
    }, async (req) => {
      const r = await db.transaction().execute((tx) => reply(tx, deps, req.params.patientId, req.body.text, acting(req)));
      ctx.wake.wake(SENDER);
      return { handoffId: r.handoffId, outboxId: r.outboxId };
    });

    api.post('/conversations/:patientId/notes', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'An internal note (never sent to the patient; sealed under their key)', tags: ['inbox'], params: patientParams, body: textBody, response: { 200: actionResult } },
    }, async (req) => {
      const r = await db.transaction().execute((tx) => addNote(tx, deps, req.params.patientId, req.body.text, acting(req)));
      return { handoffId: null, noteId: r.id };
    });

    api.post('/conversations/:patientId/handback', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Close the handoff: the bot answers the patient\'s next message again', tags: ['inbox'], params: patientParams, response: { 200: actionResult } },
    }, async (req) => {
      const r = await db.transaction().execute((tx) => handback(tx, req.params.patientId, acting(req)));
      return { handoffId: r.handoffId };
    });

    api.get('/alerts', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Staff alerts (emergencies, negative feedback), newest first', tags: ['inbox'], querystring: alertsQuery, response: { 200: listSchema(alertSchema) } },
    }, async (req) => {
      const q = req.query;
      const after = decodeCursor(alertCursor, q.cursor);
      let query = db.selectFrom('staff_alerts').select(['id', 'kind', 'patient_id', 'handoff_id', 'codes', 'created_at', 'acknowledged_at', 'acknowledged_by']);
      if (q.state === 'open') query = query.where('acknowledged_at', 'is', null);
      if (after) query = query.where('id', '<', after.id);
      const rows = await query.orderBy('id', 'desc').limit(q.limit + 1).execute();
      return page(rows, q.limit, (r) => ({
        id: Number(r.id), kind: r.kind, patientId: r.patient_id, handoffId: r.handoff_id, codes: r.codes,
        createdAt: new Date(r.created_at).toISOString(), acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at).toISOString() : null, acknowledgedBy: r.acknowledged_by,
      }), (r) => ({ id: Number(r.id) }));
    });

    api.post('/alerts/:id/ack', {
      config: { access: INBOX_ROLES },
      schema: { summary: 'Acknowledge an alert', tags: ['inbox'], params: alertParams, response: { 204: z.null() } },
    }, async (req, res) => {
      await db.transaction().execute((tx) => acknowledgeAlert(tx, req.params.id, acting(req)));
      return res.code(204).send(null);
    });
  };
}
