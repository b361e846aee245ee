// The templates API: GET /api/templates lists our templates per language with their Meta review status (the
// desk reads it to know why a reminder did not go out); POST /api/templates/sync (admin) applies the stored
// template webhooks, lists the WABA and creates what is missing now instead of at the next round, audited
// as templates.sync with what changed (template names and counts: no PHI).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import { errorSummary } from '../lib/logger.js';
import type { ModuleContext } from '../lib/module.js';
import { listTemplateRows, type TemplateItem, type TemplateSync } from './template-sync.js';
import { TEMPLATE_CATEGORIES, TEMPLATE_STATUSES } from './templates.js';

export const TEMPLATE_READERS: readonly Role[] = ['admin', 'clinician', 'reception'];
export const TEMPLATE_SYNCERS: readonly Role[] = ['admin'];

export const templateItem = z.object({
  name: z.string(),
  language: z.string(),
  category: z.enum(TEMPLATE_CATEGORIES),
  status: z.enum(TEMPLATE_STATUSES),
  reason: z.string().nullable(),
  metaId: z.string().nullable(),
  syncedAt: z.iso.datetime().nullable(),
});
const templateList = z.object({ items: z.array(templateItem) });
const syncResult = templateList.extend({
  created: z.number().int(),
  adopted: z.number().int(),
  refused: z.number().int(),
  webhooks: z.number().int(),
  limited: z.boolean(),
});

const toItem = (t: TemplateItem) => ({ ...t, syncedAt: t.syncedAt ? t.syncedAt.toISOString() : null });

export function templateRoutes(ctx: ModuleContext, sync: TemplateSync): FastifyPluginAsync {
  const db = ctx.database.db;
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.get('/templates', {
      config: { access: TEMPLATE_READERS },
      schema: { summary: 'Our message templates per language with their Meta review status', tags: ['templates'], response: { 200: templateList } },
    }, async () => ({ items: (await listTemplateRows(db)).map(toItem) }));

    api.post('/templates/sync', {
      config: { access: TEMPLATE_SYNCERS },
      schema: { summary: 'Sync the templates with the WhatsApp Business Account now (create missing ones, fetch statuses)', tags: ['templates'], response: { 200: syncResult } },
    }, async (req) => {
      let outcome: Awaited<ReturnType<TemplateSync['run']>>;
      try {
        outcome = await sync.run({ retryRefused: true });
      } catch (e) {
        const err = errorSummary(e);
        await db.transaction().execute((tx) => recordAudit(tx, { actor: actorOf(req), action: 'templates.sync', ip: req.ip, details: { outcome: 'failed', error: err.type } }));
        req.log.warn({ err }, 'template sync failed');
        throw new AppError('templates_sync_failed', 502, 'The WhatsApp Business Account could not be reached', { detail: 'The Graph API refused or did not answer; the worker tries again by itself.' });
      }
      const { ensure, webhooks } = outcome;
      await db.transaction().execute((tx) => recordAudit(tx, {
        actor: actorOf(req), action: 'templates.sync', ip: req.ip,
        details: { outcome: 'ok', created: ensure.created, adopted: ensure.adopted, refused: ensure.refused, webhooks, limited: ensure.limited },
      }));
      return { items: (await listTemplateRows(db)).map(toItem), created: ensure.created, adopted: ensure.adopted, refused: ensure.refused, webhooks, limited: ensure.limited };
    });
  };
}
