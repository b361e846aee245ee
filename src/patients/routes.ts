// The patients API for desk staff (admin, clinician, reception; analysts see aggregates only, never names):
// search, a patient's profile, desk edits, and the list as CSV (admin). Every access is in the audit trail
// (patient.search with the number of results, never the query; patient.view; patient.update with the names
// of the fields changed, never their values).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, currentConsents, recordAudit, type PurposeState } from '../compliance/index.js';
import type { DbOrTx } from '../db/database.js';
import { decodeCursor, page, listSchema, type Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { csv } from './csv.js';
import { getPatient, searchPatients, updatePatient, type PatientDetail, type PatientSummary } from './directory.js';
import { patientDetailSchema, patientParams, patientPatch, patientSummarySchema, searchQuery, type Consents } from './schemas.js';

export const DESK: readonly Role[] = ['admin', 'clinician', 'reception'];
const cursorSchema = z.object({ c: z.string().max(64), id: z.uuid() });

/** The patient's current consent per purpose (src/compliance/consent.ts). */
export async function consentsOf(db: DbOrTx, patientId: string): Promise<Consents> {
  const c = await currentConsents(db, patientId);
  const one = (p: PurposeState | null) => (p ? { granted: p.granted, at: p.at.toISOString(), channel: p.channel } : null);
  return { care: one(c.care), sensitive: one(c.sensitive), surveys: one(c.surveys), campaigns: one(c.campaigns) };
}

const summaryJson = (p: PatientSummary) => ({
  id: p.id, displayName: p.displayName, phoneMasked: p.phoneMasked, language: p.language,
  createdAt: p.createdAt.toISOString(), lastInboundAt: p.lastInboundAt?.toISOString() ?? null, optedOut: p.optedOut,
});
const detailJson = async (db: DbOrTx, p: PatientDetail) => ({
  ...summaryJson(p), givenName: p.givenName, familyName: p.familyName, dateOfBirth: p.dateOfBirth, consents: await consentsOf(db, p.id),
});

const notFound = () => new AppError('not_found', 404, 'Not found');

/** Today in UTC, 'YYYY-MM-DD'. */
const today = (now: Date) => now.toISOString().slice(0, 10);

export function patientRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  const deps = { cipher: ctx.cipher, keys: ctx.keys };
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.get('/patients', {
      config: { access: DESK },
      schema: { summary: 'Search patients by name word or phone number, newest first', tags: ['patients'], querystring: searchQuery, response: { 200: listSchema(patientSummarySchema) } },
    }, async (req) => {
      const q = req.query;
      const after = decodeCursor(cursorSchema, q.cursor);
      const found = await searchPatients(db, deps, { q: q.q, after, limit: q.limit + 1 });
      const result = page(found, q.limit, (f) => summaryJson(f.patient), (f) => f.cursor);
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'patient.search', ip: req.ip, details: { results: result.items.length } }));
      return result;
    });

    api.get('/patients.csv', {
      config: { access: ['admin'] },
      schema: { summary: 'The patient list as CSV (formula-safe)', tags: ['patients'], querystring: z.object({ q: z.string().max(200).optional() }) },
    }, async (req, reply) => {
      const rows: PatientSummary[] = [];
      let after: { c: string; id: string } | undefined;
      for (;;) {
        const found = await searchPatients(db, deps, { q: req.query.q, after, limit: 500 });
        rows.push(...found.map((f) => f.patient));
        if (found.length < 500) break;
        after = found[found.length - 1]!.cursor;
      }
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'patient.list_export', ip: req.ip, details: { results: rows.length } }));
      const body = csv(['id', 'displayName', 'phoneMasked', 'language', 'createdAt', 'lastInboundAt', 'optedOut'],
        rows.map((p) => [p.id, p.displayName, p.phoneMasked, p.language, p.createdAt.toISOString(), p.lastInboundAt?.toISOString() ?? null, p.optedOut]));
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="patients.csv"').header('cache-control', 'no-store').send(body);
    });

    api.get('/patients/:id', {
      config: { access: DESK },
      schema: { summary: 'A patient\'s profile', tags: ['patients'], params: patientParams, response: { 200: patientDetailSchema } },
    }, async (req) => {
      const p = await getPatient(db, deps, req.params.id);
      if (!p) throw notFound();
      await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'patient.view', patientId: p.id, ip: req.ip }));
      return detailJson(db, p);
    });

    api.patch('/patients/:id', {
      config: { access: DESK },
      schema: { summary: 'Edit a patient\'s name, date of birth or language (desk)', tags: ['patients'], params: patientParams, body: patientPatch, response: { 200: patientDetailSchema } },
    }, async (req) => {
      const patch = req.body;
      const now = ctx.clock.now();
      if (patch.dateOfBirth && patch.dateOfBirth > today(now)) {
        throw new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'body', path: '/dateOfBirth', message: 'must not be in the future' }] });
      }
      const fields = Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined).sort();
      const updated = await db.transaction().execute(async (tx) => {
        const p = await updatePatient(tx, deps, req.params.id, patch, now);
        if (!p) return null;
        await recordAudit(tx, { actor: actorOf(req), action: 'patient.update', patientId: p.id, ip: req.ip, details: { fields: fields.join(',') } });
        return p;
      });
      if (!updated) throw notFound();
      return detailJson(db, updated);
    });
  };
}
