// GET /api/patients/:id/export (admin, clinician) and POST /api/patients/:id/erase (admin, with the typed
// confirmation `ERASE <id>`). The patient list and profile are the patients module's.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { actorOf } from './actor.js';
import { EXPORT_FORMAT } from './export.js';
import { eraseAndRecord, eraseConfirmation, exportAndRecord } from './gdpr-service.js';

const params = z.object({ id: z.string().max(100) });
const row = z.record(z.string(), z.unknown());
export const exportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  exportedAt: z.iso.datetime(),
  patient: row,
  sections: z.record(z.string(), z.array(row)),
  notExported: z.array(z.object({ table: z.string(), why: z.string() })),
});

export function gdprRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const deps = { db: ctx.database.db, cipher: ctx.cipher, keys: ctx.keys };
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get('/patients/:id/export', {
      config: { access: ['admin', 'clinician'] },
      schema: { summary: 'Everything PatientLine holds about a patient, decrypted (GDPR art. 15/20)', tags: ['patients', 'gdpr'], params, response: { 200: exportSchema } },
    }, async (req, reply) => {
      const doc = await exportAndRecord(deps, req.params.id, { actor: actorOf(req), ip: req.ip, at: ctx.clock.now() });
      if (!doc) throw new AppError('not_found', 404, 'Not found');
      reply.header('content-disposition', `attachment; filename="patient-${req.params.id}.json"`).header('cache-control', 'no-store');
      return doc;
    });

    api.post('/patients/:id/erase', {
      config: { access: ['admin'] },
      schema: {
        summary: 'Erase a patient (GDPR art. 17): crypto-shred their key, remove their data everywhere; the audit trail stays',
        tags: ['patients', 'gdpr'], params, body: z.object({ confirm: z.string().max(200) }), response: { 200: z.object({ erased: z.literal(true) }) },
      },
    }, async (req) => {
      if (req.body.confirm !== eraseConfirmation(req.params.id)) {
        throw new AppError('confirmation_mismatch', 400, 'The confirmation does not match', { detail: 'send confirm: "ERASE <the patient id>"' });
      }
      const r = await eraseAndRecord(deps, req.params.id, { actor: actorOf(req), ip: req.ip, at: ctx.clock.now() });
      if (!r) throw new AppError('not_found', 404, 'Not found');
      return { erased: true as const };
    });
  };
}
