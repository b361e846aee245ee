// A patient's consent history and desk consent (GET/POST /api/patients/:id/consents), and their
// identity verification state (GET /api/patients/:id/verification), for admin, clinician and reception.
// An unknown patient is 404 for every role allowed; analysts get 403 before anything is looked up.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db, DbOrTx } from '../db/database.js';
import { decodeCursor, listQuery, listSchema, page, principalOf, type Role } from '../http/api.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import { recordAudit } from './audit.js';
import { actorOf } from './actor.js';
import { CONSENT_CHANNELS, CONSENT_PURPOSES, consentHistory, recordConsent, type ConsentEvent } from './consent.js';
import { verificationStatus } from './verification.js';

const ACCESS: readonly Role[] = ['admin', 'clinician', 'reception'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const params = z.object({ id: z.string().max(100) });

const eventSchema = z.object({
  id: z.string(),
  purpose: z.enum(['all', ...CONSENT_PURPOSES]),
  granted: z.boolean(),
  textVersion: z.string().nullable(),
  language: z.string().nullable(),
  channel: z.enum(CONSENT_CHANNELS),
  recordedBy: z.string().nullable(),
  at: z.iso.datetime(),
});

const deskConsent = z.object({
  purpose: z.enum(CONSENT_PURPOSES),
  granted: z.boolean(),
  textVersion: z.string().trim().min(1).max(100),
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as fr or pt-BR'),
}).strict();

const verificationSchema = z.object({ verified: z.boolean(), until: z.iso.datetime().nullable(), locked: z.boolean() });

const wire = (e: ConsentEvent) => ({
  id: e.id, purpose: e.purpose, granted: e.granted, textVersion: e.textVersion, language: e.language, channel: e.channel,
  recordedBy: e.recordedBy, at: e.at.toISOString(),
});

async function existingPatient(db: DbOrTx, id: string): Promise<string> {
  if (!UUID.test(id)) throw new AppError('not_found', 404, 'Not found');
  const row = await db.selectFrom('patients').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not_found', 404, 'Not found');
  return row.id;
}

export function consentRoutes(db: Db, clock: Clock): FastifyPluginAsync {
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.get('/patients/:id/consents', {
      config: { access: ACCESS },
      schema: { summary: "A patient's consent history, newest first", tags: ['patients'], params, querystring: listQuery, response: { 200: listSchema(eventSchema) } },
    }, async (req) => {
      const id = await existingPatient(db, req.params.id);
      const before = decodeCursor(z.object({ before: z.string().regex(/^\d+$/) }), req.query.cursor)?.before;
      const rows = await consentHistory(db, id, { before, limit: req.query.limit + 1 });
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'consent.view', patientId: id, ip: req.ip, at: clock.now() }));
      return page(rows, req.query.limit, wire, (e) => ({ before: e.id }));
    });

    api.post('/patients/:id/consents', {
      config: { access: ACCESS },
      schema: { summary: 'Record consent collected at the desk', tags: ['patients'], params, body: deskConsent, response: { 201: eventSchema } },
    }, async (req, reply) => {
      const id = await existingPatient(db, req.params.id);
      const p = principalOf(req);
      const b = req.body;
      const event = await db.transaction().execute((tx) => recordConsent(tx, {
        patientId: id, purpose: b.purpose, granted: b.granted, textVersion: b.textVersion, language: b.language, channel: 'desk',
        recordedBy: p.userId, source: 'desk', actor: actorOf(req), ip: req.ip, at: clock.now(),
      }));
      return reply.code(201).send(wire(event));
    });

    api.get('/patients/:id/verification', {
      config: { access: ACCESS },
      schema: { summary: "Whether the patient's conversation is identity-verified now", tags: ['patients'], params, response: { 200: verificationSchema } },
    }, async (req) => {
      const id = await existingPatient(db, req.params.id);
      const s = await verificationStatus(db, id, clock.now());
      return { verified: s.verified, until: s.until ? s.until.toISOString() : null, locked: s.locked };
    });
  };
}
