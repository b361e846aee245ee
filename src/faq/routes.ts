// The FAQ API: /api/faq lists, reads, creates, replaces and deletes the clinic's entries; /api/faq/match
// runs the matcher patients get ("try a question" in the console). The FAQ is published clinic content:
// admins and clinicians edit it, reception and analysts read it. Every change is audited (faq.create,
// faq.update, faq.delete with the entry's topic and language: FAQ text is clinic content, not PHI, but the
// trail stays small) and records the staff user in updated_by.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../compliance/index.js';
import type { DbOrTx } from '../db/database.js';
import { decodeCursor, listSchema, page, principalOf, ROLES, type Role } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { ModuleContext } from '../lib/module.js';
import { createFaqLookup } from './lookup.js';
import { MATCH_THRESHOLD } from './matcher.js';
import { clinicId, createEntry, deleteEntry, getEntry, listEntries, locationInClinic, replaceEntry, toItem, type ListCursor } from './repo.js';
import { faqInput, faqItem, faqListQuery, faqMatchBody, faqMatchResult, faqParams, type FaqInput } from './schemas.js';

export const FAQ_EDITORS: readonly Role[] = ['admin', 'clinician'];
export const FAQ_READERS: readonly Role[] = ROLES;

const cursorSchema = z.object({ t: z.string().max(64), l: z.string().max(16), id: z.uuid() });
const notFound = () => new AppError('not_found', 404, 'Not found');
const duplicate = () =>
  new AppError('faq_entry_exists', 409, 'The clinic already has an answer for this topic, language and location', { detail: 'Edit that entry instead.' });

/** Who edited: the staff user (a session, or a token they made), else the API token's id. */
function editorOf(req: FastifyRequest): string {
  const p = principalOf(req);
  return p.userId ?? p.id;
}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === '23505';
}

export function faqRoutes(ctx: ModuleContext): FastifyPluginAsync {
  const db = ctx.database.db;
  const lookup = createFaqLookup(db, { refreshMs: 1_000 });

  async function theClinic(via: DbOrTx): Promise<string> {
    const id = await clinicId(via);
    if (!id) throw new AppError('no_clinic', 409, 'No clinic is configured yet', { detail: 'Seed the clinic first (patientline seed-demo or an import).' });
    return id;
  }
  async function checkLocation(via: DbOrTx, clinic: string, v: FaqInput): Promise<void> {
    if (v.locationId !== null && !(await locationInClinic(via, clinic, v.locationId))) {
      throw new AppError('validation_failed', 400, 'The request is not valid', { issues: [{ in: 'body', path: '/locationId', message: 'is not a location of this clinic' }] });
    }
  }

  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();

    api.get('/faq', {
      config: { access: FAQ_READERS },
      schema: { summary: 'The clinic FAQ by topic and language', tags: ['faq'], querystring: faqListQuery, response: { 200: listSchema(faqItem) } },
    }, async (req) => {
      const q = req.query;
      const clinic = await theClinic(db);
      const after = decodeCursor<ListCursor>(cursorSchema, q.cursor);
      const rows = await listEntries(db, clinic, { topic: q.topic, language: q.language, after, limit: q.limit + 1 });
      return page(rows, q.limit, toItem, (r) => ({ t: r.intent, l: r.language, id: r.id }));
    });

    api.get('/faq/:id', {
      config: { access: FAQ_READERS },
      schema: { summary: 'One FAQ entry', tags: ['faq'], params: faqParams, response: { 200: faqItem } },
    }, async (req) => {
      const row = await getEntry(db, await theClinic(db), req.params.id);
      if (!row) throw notFound();
      return toItem(row);
    });

    api.post('/faq', {
      config: { access: FAQ_EDITORS },
      schema: { summary: 'Add an FAQ entry (a topic in a language, clinic-wide or for one location)', tags: ['faq'], body: faqInput, response: { 201: faqItem } },
    }, async (req, reply) => {
      const v = req.body;
      const row = await db.transaction().execute(async (tx) => {
        const clinic = await theClinic(tx);
        await checkLocation(tx, clinic, v);
        const r = await createEntry(tx, clinic, v, editorOf(req));
        if (!r) throw duplicate();
        await recordAudit(tx, { actor: actorOf(req), action: 'faq.create', target: `faq:${r.id}`, ip: req.ip, details: { topic: r.intent, language: r.language } });
        return r;
      });
      return reply.code(201).send(toItem(row));
    });

    api.put('/faq/:id', {
      config: { access: FAQ_EDITORS },
      schema: { summary: 'Replace an FAQ entry', tags: ['faq'], params: faqParams, body: faqInput, response: { 200: faqItem } },
    }, async (req) => {
      const v = req.body;
      try {
        const row = await db.transaction().execute(async (tx) => {
          const clinic = await theClinic(tx);
          await checkLocation(tx, clinic, v);
          const r = await replaceEntry(tx, clinic, req.params.id, v, editorOf(req));
          if (!r) throw notFound();
          await recordAudit(tx, { actor: actorOf(req), action: 'faq.update', target: `faq:${r.id}`, ip: req.ip, details: { topic: r.intent, language: r.language } });
          return r;
        });
        return toItem(row);
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate();
        throw e;
      }
    });

    api.delete('/faq/:id', {
      config: { access: FAQ_EDITORS },
      schema: { summary: 'Delete an FAQ entry', tags: ['faq'], params: faqParams },
    }, async (req, reply) => {
      await db.transaction().execute(async (tx) => {
        const r = await deleteEntry(tx, await theClinic(tx), req.params.id);
        if (!r) throw notFound();
        await recordAudit(tx, { actor: actorOf(req), action: 'faq.delete', target: `faq:${r.id}`, ip: req.ip, details: { topic: r.intent, language: r.language } });
      });
      return reply.code(204).send();
    });

    api.post('/faq/match', {
      config: { access: FAQ_READERS },
      schema: { summary: 'What a patient writing this would get from the FAQ (the meaning match, without the NLU)', tags: ['faq'], body: faqMatchBody, response: { 200: faqMatchResult } },
    }, async (req) => {
      await lookup.refresh(); // staff trying a question right after an edit see the edit
      const m = await lookup.matchEntry(req.body.text, req.body.language, null);
      return {
        match: m ? { id: m.id, topic: m.topic, language: m.language, question: m.question, answer: m.answer, link: m.link, score: m.score } : null,
        threshold: MATCH_THRESHOLD,
      };
    });
  };
}
