// The patient phone page (/sandbox) and its JSON API under /sandbox/api: simulated patients, their chats,
// what the phone sends, live updates by server-sent events, and the sandbox settings a developer toggles.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { securityHeaders } from '../http/index.js';
import { AppError } from '../lib/errors.js';
import { checkUpload } from './media-rules.js';
import { patientSends, patientSendsMedia, phoneShowed, messageView, PhoneError, phoneInputSchema } from './phone.js';
import { chat, createPatient, findPatient, getMedia, LANGUAGES, listPatients, listTemplates, mediaBytes, messagesChangedSince, recentApiCalls, type SimPatient } from './repo.js';
import { bsuidFor, settingsPatchSchema, type Sandbox } from './sandbox.js';

/** web/sandbox at the project root, from src/sandbox (tsx, vitest) and dist/sandbox (npm start) alike. */
export const SANDBOX_WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/sandbox');
const PHONE_UPLOAD_BYTES = 25 * 1024 * 1024;
const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;
const LOOK_BEHIND = 50;

const patientParams = z.object({ id: z.uuid() });
const newPatientSchema = z.object({
  name: z.string().trim().min(1, 'a name is needed').max(60),
  phone: z.string().transform((s) => s.replace(/[\s().-]/g, '').replace(/^\+/, '')).pipe(z.string().regex(/^[1-9]\d{6,14}$/, 'an international number such as +33 6 12 34 56 78')),
  language: z.enum(LANGUAGES),
});
const seenSchema = z.object({ wamids: z.array(z.string().min(1).max(512)).min(1).max(100) });

// The page is same-origin static files: no inline script or style, no third-party anything. Beyond the
// console's CSP it shows picked photos before upload (blob: images) and plays media.
const CSP = { 'img-src': ["'self'", 'data:', 'blob:'], 'media-src': ["'self'"], 'base-uri': ["'none'"] };

function patientJson(p: SimPatient, now: Date) {
  return { id: p.id, name: p.name, phone: `+${p.waId}`, bsuid: p.bsuid, language: p.language, typing: p.typingUntil !== null && p.typingUntil > now, rev: p.rev };
}

export function phoneRoutes(sb: Sandbox, opts: { clinicName(): Promise<string | null> }) {
  return async (app: FastifyInstance) => {
    const streams = new Set<FastifyReply>();
    app.addHook('preClose', async () => {
      for (const s of streams) s.raw.end();
      streams.clear();
    });
    // Thrown, so that the app's one error handler renders it (problem+json).
    const fail = (_res: FastifyReply, status: number, code: string, title: string, detail?: string): never => {
      throw new AppError(code, status, title, detail === undefined ? undefined : { detail });
    };
    const patientOf = async (params: unknown) => {
      const p = patientParams.safeParse(params);
      return p.success ? findPatient(sb.db, sb.cipher, { id: p.data.id }) : null;
    };

    // Security headers (CSP, nosniff, no referrer) on the page, its assets and its API alike.
    await app.register(fastifyHelmet, securityHeaders({ https: false, csp: CSP }));
    await app.register(fastifyStatic, { root: SANDBOX_WEB_ROOT, prefix: '/sandbox/assets/', index: false, wildcard: false });
    app.get('/sandbox', async (_req, res) => res.header('cache-control', 'no-store').sendFile('index.html'));
    app.get('/sandbox/', async (_req, res) => res.redirect('/sandbox'));

    app.get('/sandbox/api/state', async () => ({
      business: { name: (await opts.clinicName()) ?? 'PatientLine Clinic', phone: `+${sb.business.displayPhoneNumber}` },
      patients: (await listPatients(sb.db, sb.cipher)).map((p) => patientJson(p, sb.clock.now())),
      languages: LANGUAGES,
      settings: await sb.settings(),
    }));

    app.post('/sandbox/api/patients', async (req, res) => {
      const body = newPatientSchema.safeParse(req.body);
      if (!body.success) return fail(res, 400, 'invalid_patient', 'Check the name, number and language', body.error.issues[0]?.message);
      const p = await createPatient(sb.db, sb.cipher, { waId: body.data.phone, bsuid: bsuidFor(body.data.phone), name: body.data.name, language: body.data.language, now: sb.clock.now() });
      if (!p) return fail(res, 409, 'number_taken', 'A simulated patient already has this number');
      sb.changed(null);
      return res.code(201).send(patientJson(p, sb.clock.now()));
    });

    app.get('/sandbox/api/patients/:id/messages', async (req, res) => {
      const p = await patientOf(req.params);
      if (!p) return fail(res, 404, 'patient_not_found', 'No such simulated patient');
      return { patient: patientJson(p, sb.clock.now()), messages: (await chat(sb.db, sb.cipher, p.id)).map(messageView) };
    });

    app.post('/sandbox/api/patients/:id/messages', async (req, res) => {
      const p = await patientOf(req.params);
      if (!p) return fail(res, 404, 'patient_not_found', 'No such simulated patient');
      const input = phoneInputSchema.safeParse(req.body);
      if (!input.success) return fail(res, 400, 'invalid_message', 'The message is not valid', input.error.issues[0]?.message);
      try {
        return res.code(201).send(messageView(await patientSends(sb, p, input.data)));
      } catch (e) {
        if (e instanceof PhoneError) return fail(res, 400, e.code, e.message);
        throw e;
      }
    });

    app.post('/sandbox/api/patients/:id/media', async (req, res) => {
      const p = await patientOf(req.params);
      if (!p) return fail(res, 404, 'patient_not_found', 'No such simulated patient');
      if (!req.isMultipart()) return fail(res, 415, 'multipart_needed', 'Send the file as multipart/form-data');
      let file: { bytes: Buffer; mime: string; filename: string | null } | null = null;
      let caption: string | null = null;
      try {
        for await (const part of req.parts({ limits: { fileSize: PHONE_UPLOAD_BYTES, files: 1, fields: 4 } })) {
          if (part.type === 'file') file = { bytes: await part.toBuffer(), mime: part.mimetype.toLowerCase(), filename: part.filename || null };
          else if (part.fieldname === 'caption' && typeof part.value === 'string' && part.value.trim()) caption = part.value.trim().slice(0, 1024);
        }
      } catch {
        return fail(res, 413, 'file_too_large', `The sandbox phone sends files up to ${PHONE_UPLOAD_BYTES / 1024 / 1024} MB`);
      }
      if (!file) return fail(res, 400, 'file_missing', 'Attach a photo or a PDF');
      const problemText = checkUpload(file.mime, file.filename, file.bytes);
      if (problemText !== null) return fail(res, 400, 'unsupported_media', 'WhatsApp would not send this file', problemText);
      try {
        return res.code(201).send(messageView(await patientSendsMedia(sb, p, { ...file, caption })));
      } catch (e) {
        if (e instanceof PhoneError) return fail(res, 400, e.code, e.message);
        throw e;
      }
    });

    app.post('/sandbox/api/patients/:id/seen', async (req, res) => {
      const p = await patientOf(req.params);
      if (!p) return fail(res, 404, 'patient_not_found', 'No such simulated patient');
      const body = seenSchema.safeParse(req.body);
      if (!body.success) return fail(res, 400, 'invalid_seen', 'wamids must be a list of message ids');
      return { read: await phoneShowed(sb, p, body.data.wamids) };
    });

    // The phone's own copy of a file in its chat (no Graph token: the phone already received it).
    app.get('/sandbox/api/media/:id', async (req, res) => {
      const id = z.object({ id: z.string().regex(/^\d{1,32}$/) }).safeParse(req.params);
      const media = id.success ? await getMedia(sb.db, id.data.id) : null;
      const bytes = media ? await mediaBytes(sb.db, sb.cipher, media.id) : null;
      if (!media || !bytes) return fail(res, 404, 'media_not_found', 'No such file (deleted, or never uploaded)');
      const inline = media.mimeType.startsWith('image/') || media.mimeType === 'application/pdf';
      const name = (media.filename ?? `file-${media.id}`).replace(/[^\w.\- ]/g, '_');
      return res.type(media.mimeType).header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename="${name}"`).send(bytes);
    });

    app.get('/sandbox/api/settings', async () => sb.settings());
    app.put('/sandbox/api/settings', async (req, res) => {
      const patch = settingsPatchSchema.safeParse(req.body);
      if (!patch.success) return fail(res, 400, 'invalid_settings', 'Invalid settings', patch.error.issues[0]?.message);
      return sb.updateSettings(patch.data);
    });
    app.get('/sandbox/api/log', async () => ({ items: (await recentApiCalls(sb.db)).map((r) => ({ ...r, at: r.at.toISOString() })) }));
    app.get('/sandbox/api/templates', async () => ({ items: (await listTemplates(sb.db, sb.clock.now())).map((t) => ({ id: t.id, name: t.name, language: t.language, category: t.category, status: t.status })) }));

    // Live updates: a snapshot, then every change of this chat as it happens. Changes made by another
    // instance are found by polling the chat's revision counter.
    app.get('/sandbox/api/patients/:id/events', async (req, res) => {
      const p = await patientOf(req.params);
      if (!p) return fail(res, 404, 'patient_not_found', 'No such simulated patient');
      res.hijack();
      const raw = res.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let rev = 0;
      let patientRev = p.rev;
      let busy = false;
      let again = false;
      // Revisions come from a sequence, but concurrent writers may commit out of order: each poll looks a
      // little behind the highest revision seen and sends only rows whose revision this page has not had.
      const shown = new Map<string, number>();
      const messages = await chat(sb.db, sb.cipher, p.id);
      for (const m of messages) {
        rev = Math.max(rev, m.rev);
        shown.set(m.wamid, m.rev);
      }
      send('snapshot', { patient: patientJson(p, sb.clock.now()), messages: messages.map(messageView) });
      streams.add(res);
      const push = async (): Promise<void> => {
        if (busy) { again = true; return; }
        busy = true;
        try {
          const changed = (await messagesChangedSince(sb.db, sb.cipher, p.id, rev - LOOK_BEHIND)).filter((m) => shown.get(m.wamid) !== m.rev);
          for (const m of changed) {
            rev = Math.max(rev, m.rev);
            shown.set(m.wamid, m.rev);
          }
          if (changed.length) send('messages', changed.map(messageView));
          const now = await findPatient(sb.db, sb.cipher, { id: p.id });
          if (now && now.rev !== patientRev) {
            patientRev = now.rev;
            send('patient', patientJson(now, sb.clock.now()));
          }
        } catch {
          // The database is closing or busy: the next poll tries again.
        } finally {
          busy = false;
          if (again) { again = false; void push(); }
        }
      };
      const off = sb.onChange((id) => { if (id === null || id === p.id) void push(); });
      const poll = setInterval(() => void push(), POLL_MS);
      const beat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      raw.on('close', () => {
        off();
        clearInterval(poll);
        clearInterval(beat);
        streams.delete(res);
      });
    });
  };
}
