// GET /api/audit: the audit trail for staff with the right (admins), newest first, filtered by actor,
// patient, action (a dotted prefix: 'auth' matches 'auth.login'), and a date range.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { decodeCursor, listQuery, listSchema, page } from '../http/api.js';
import { listAudit, recordAudit } from './audit.js';
import { actorOf } from './actor.js';

const entrySchema = z.object({
  id: z.string(),
  at: z.iso.datetime(),
  actorType: z.enum(['staff', 'token', 'system', 'patient']),
  actorId: z.string().nullable(),
  action: z.string(),
  patientId: z.string().nullable(),
  target: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

const query = listQuery.extend({
  actor: z.string().max(100).optional(),
  patient: z.uuid().optional(),
  action: z.string().regex(/^[a-z][a-z0-9_.]*$/).max(100).optional(),
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
});

export function auditRoutes(db: Db): FastifyPluginAsync {
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get('/audit', {
      config: { access: ['admin'] },
      schema: { summary: 'The audit trail, newest first', tags: ['audit'], querystring: query, response: { 200: listSchema(entrySchema) } },
    }, async (req) => {
      const q = req.query;
      const before = decodeCursor(z.object({ before: z.string().regex(/^\d+$/) }), q.cursor)?.before;
      const rows = await listAudit(db, {
        actorId: q.actor, patientId: q.patient, action: q.action,
        from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, before, limit: q.limit + 1,
      });
      // Reading the trail is itself an access to patient data when it is filtered by patient.
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'audit.view', patientId: q.patient ?? null, ip: req.ip }));
      return page(rows, q.limit, (e) => ({ ...e, at: e.at.toISOString() }), (e) => ({ before: e.id }));
    });
  };
}
