// The simulated Cloud API over HTTP, under /sandbox/graph/{version}/…: the endpoints PatientLine uses, with
// Meta's authentication, paths, error bodies and codes. The app reaches it through its one real Graph client
// (WHATSAPP_API_URL points here in sandbox mode), so the production wire format is what gets exercised.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CURRENT_GRAPH_VERSION } from '../config.js';
import { markRead, sendMessage } from './cloud-api.js';
import { checkUpload, MAX_UPLOAD_BYTES, sha256Hex } from './media-rules.js';
import { deleteMedia, findTemplate, getMedia, insertTemplate, listTemplates, logApiCall, mediaBytes, putMedia, takeNewlyApproved, type SimTemplate } from './repo.js';
import { graphError, ok, type GraphReply, type Sandbox } from './sandbox.js';
import { validateTemplateCreate } from './templates.js';
import { validateSend } from './validate.js';
import { newNumericId, templateStatusWebhook } from './webhooks.js';

const MIN_MAJOR = 21;
const CURRENT_MAJOR = Number(/^v(\d+)/.exec(CURRENT_GRAPH_VERSION)?.[1] ?? '26');
const URL_TTL_S = 300;

const versioned = z.object({ version: z.string() });
const withId = versioned.extend({ id: z.string().min(1).max(64) });
const attachmentQuery = z.object({ mid: z.string().max(64), ext: z.coerce.number().int(), hash: z.string().max(128) });
const uploadQuery = z.object({ messaging_product: z.string().optional(), type: z.string().optional() });
const templateListQuery = z.object({
  name: z.string().optional(), status: z.string().optional(), language: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(), after: z.string().optional(),
});

export function graphRoutes(sb: Sandbox) {
  return async (app: FastifyInstance) => {
    const reply = async (req: FastifyRequest, res: FastifyReply, r: GraphReply) => {
      // The API log is what a developer reads on the sandbox page: ids, codes and field names, no content.
      await logApiCall(sb.db, { at: sb.clock.now(), method: req.method, path: req.url.split('?')[0] ?? '', status: r.status, errorCode: r.errorCode, details: r.details });
      if (r.errorCode !== null) sb.log.info({ code: r.errorCode, status: r.status, route: req.routeOptions.url }, 'sandbox Cloud API refused a request');
      return res.code(r.status).type('application/json').send(r.body);
    };

    app.setErrorHandler(async (err: Error & { statusCode?: number }, req, res) => {
      const status = typeof err.statusCode === 'number' && err.statusCode < 500 ? 400 : 500;
      const r = status === 400
        ? graphError(400, 100, 'Invalid parameter', err.name === 'SyntaxError' || /JSON/i.test(err.message) ? 'The request body is not valid JSON' : 'The request could not be read')
        : graphError(500, 1, 'An unknown error occurred', 'Please retry your request later.');
      return reply(req, res, r);
    });
    app.setNotFoundHandler(async (req, res) => reply(req, res, graphError(400, 2500, 'Unknown path components', `Unknown path components: ${req.url.split('?')[0] ?? ''}`)));

    // Authentication and version checks come first, as at Meta.
    app.addHook('preHandler', async (req, res) => {
      const header = req.headers.authorization;
      const query = z.object({ access_token: z.string().optional() }).safeParse(req.query);
      const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : query.success ? query.data.access_token : undefined;
      if (token === undefined) return reply(req, res, graphError(401, 104, 'An access token is required to request this resource.', 'Send Authorization: Bearer <access token>.'));
      const expected = Buffer.from(sb.config.whatsapp.accessToken);
      const given = Buffer.from(token);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
        return reply(req, res, graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token', 'The access token is not valid for this app.'));
      }
      const p = versioned.safeParse(req.params);
      if (p.success) {
        const m = /^v(\d+)\.(\d+)$/.exec(p.data.version);
        if (!m) return reply(req, res, graphError(400, 2500, 'Unknown path components', `Unknown version ${p.data.version}`));
        const major = Number(m[1]);
        if (major < MIN_MAJOR) return reply(req, res, graphError(400, 2635, `You are calling a deprecated version of the Graph API. Please update to the latest version: ${CURRENT_GRAPH_VERSION}.`, `Version ${p.data.version} is no longer available.`));
        if (major > CURRENT_MAJOR) return reply(req, res, graphError(400, 2500, 'Unknown path components', `Unknown version ${p.data.version}`));
      }
      return undefined;
    });

    const phoneOk = (id: string) => id === sb.config.whatsapp.phoneNumberId;
    const wabaOk = (id: string) => id === sb.config.whatsapp.businessAccountId;
    const noObject = (method: string, id: string) => graphError(400, 100, `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`, 'Check the id in the path (phone number id, WhatsApp Business Account id or media id).');

    app.post('/:version/:id/messages', async (req, res) => {
      const { id } = withId.parse(req.params);
      if (!phoneOk(id)) return reply(req, res, noObject('post', id));
      const v = validateSend(req.body);
      if (!v.ok) return reply(req, res, graphError(400, v.code, v.title, v.details));
      if (v.kind === 'read') {
        const r = await markRead(sb, v.messageId, v.typing);
        return reply(req, res, r.errorCode === null ? { ...r, details: v.typing ? 'mark as read, with typing indicator' : 'mark as read' } : r);
      }
      const r = await sendMessage(sb, v.message);
      const c = v.message.content;
      const kind = v.message.type === 'interactive' && 'type' in c ? `interactive ${c.type}` : v.message.type === 'template' && 'name' in c ? `template ${c.name}` : v.message.type;
      return reply(req, res, r.errorCode === null && r.details === null ? { ...r, details: `${kind} accepted` } : r);
    });

    app.post('/:version/:id/media', async (req, res) => {
      const { id } = withId.parse(req.params);
      if (!phoneOk(id)) return reply(req, res, noObject('post', id));
      if (!req.isMultipart()) return reply(req, res, graphError(400, 100, 'Invalid parameter', 'The upload must be multipart/form-data with fields messaging_product, type and file'));
      const fields: Record<string, string> = {};
      let file: { bytes: Buffer; mime: string; filename: string | null } | null = null;
      try {
        for await (const part of req.parts({ limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10 } })) {
          if (part.type === 'file') file = { bytes: await part.toBuffer(), mime: part.mimetype, filename: part.filename || null };
          else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        }
      } catch {
        return reply(req, res, graphError(400, 131053, 'Media upload error', `The file is larger than ${MAX_UPLOAD_BYTES} bytes or the upload was cut.`));
      }
      // The Graph API takes parameters from the query string as well as the body (whatsapp-api-js sends
      // messaging_product in the query): a form field wins when both are given.
      const query = uploadQuery.safeParse(req.query);
      const param = (name: 'messaging_product' | 'type') => fields[name] ?? (query.success ? query.data[name] : undefined);
      if (param('messaging_product') !== 'whatsapp') return reply(req, res, graphError(400, 100, 'Invalid parameter', 'Param messaging_product must be "whatsapp"'));
      if (!file) return reply(req, res, graphError(400, 100, 'Invalid parameter', 'Param file is required'));
      const mime = (param('type') ?? file.mime).split(';')[0]?.trim().toLowerCase() ?? '';
      const problem = checkUpload(mime, file.filename, file.bytes);
      if (problem !== null) return reply(req, res, graphError(400, 131053, 'Media upload error', problem));
      const mediaId = newNumericId();
      await putMedia(sb.db, sb.cipher, { id: mediaId, mimeType: mime, sha256: sha256Hex(file.bytes), filename: file.filename, origin: 'business', createdAt: sb.clock.now(), bytes: file.bytes });
      return reply(req, res, ok({ id: mediaId }));
    });

    app.get('/:version/:id', async (req, res) => {
      const { id } = withId.parse(req.params);
      const media = await getMedia(sb.db, id);
      if (media) {
        const exp = Math.floor(sb.clock.now().getTime() / 1000) + URL_TTL_S;
        const url = `${sb.config.publicUrl}/sandbox/graph/attachments?mid=${encodeURIComponent(id)}&ext=${exp}&hash=${urlHash(sb, id, exp)}`;
        return reply(req, res, ok({ messaging_product: 'whatsapp', url, mime_type: media.mimeType, sha256: media.sha256, file_size: media.size, id }));
      }
      const t = await findTemplate(sb.db, { id }, sb.clock.now());
      if (t) return reply(req, res, ok(templateJson(t)));
      return reply(req, res, noObject('get', id));
    });

    app.delete('/:version/:id', async (req, res) => {
      const { id } = withId.parse(req.params);
      if (await deleteMedia(sb.db, id, sb.clock.now())) return reply(req, res, ok({ success: true }));
      return reply(req, res, noObject('delete', id));
    });

    app.get('/attachments', async (req, res) => {
      const q = attachmentQuery.safeParse(req.query);
      // Meta answers 404 for an expired or unknown URL: the client fetches a fresh one with GET /{media-id}.
      const expired = !q.success || q.data.ext < Math.floor(sb.clock.now().getTime() / 1000) || !safeEqual(q.data.hash, urlHash(sb, q.data.mid, q.data.ext));
      const media = q.success && !expired ? await getMedia(sb.db, q.data.mid) : null;
      const bytes = media ? await mediaBytes(sb.db, sb.cipher, media.id) : null;
      if (!media || !bytes) return reply(req, res, graphError(404, 100, 'Invalid parameter', 'The media URL has expired or the media was deleted; get a new URL with GET /{media-id}.'));
      await logApiCall(sb.db, { at: sb.clock.now(), method: 'GET', path: '/sandbox/graph/attachments', status: 200, errorCode: null, details: null });
      return res.type(media.mimeType).header('content-length', bytes.length).send(bytes);
    });

    app.get('/:version/:id/message_templates', async (req, res) => {
      const { id } = withId.parse(req.params);
      if (!wabaOk(id)) return reply(req, res, noObject('get', id));
      const q = templateListQuery.safeParse(req.query);
      if (!q.success) return reply(req, res, graphError(400, 100, 'Invalid parameter', 'Params limit, after, name, status, language are the supported filters'));
      const all = (await listTemplates(sb.db, sb.clock.now())).filter((t) =>
        (q.data.name === undefined || t.name.includes(q.data.name)) && (q.data.status === undefined || t.status === q.data.status.toUpperCase()) && (q.data.language === undefined || t.language === q.data.language));
      const start = q.data.after ? Number(Buffer.from(q.data.after, 'base64url').toString()) || 0 : 0;
      const limit = q.data.limit ?? 25;
      const page = all.slice(start, start + limit);
      const cursors = { before: Buffer.from(String(start)).toString('base64url'), after: Buffer.from(String(start + page.length)).toString('base64url') };
      return reply(req, res, ok({ data: page.map(templateJson), paging: { cursors, ...(start + limit < all.length ? { next: `?after=${cursors.after}&limit=${limit}` } : {}) } }));
    });

    app.post('/:version/:id/message_templates', async (req, res) => {
      const { id } = withId.parse(req.params);
      if (!wabaOk(id)) return reply(req, res, noObject('post', id));
      const v = validateTemplateCreate(req.body);
      if (!v.ok) return reply(req, res, graphError(400, v.code, v.title, v.details));
      const now = sb.clock.now();
      const { templateApprovalMs } = await sb.settings();
      const t = v.template;
      const templateId = newNumericId();
      const created = await insertTemplate(sb.db, {
        id: templateId, name: t.name, language: t.language, category: t.category, parameterFormat: t.parameter_format ?? null, components: t.components,
        status: 'PENDING', createdAt: now, approveAt: new Date(now.getTime() + templateApprovalMs),
      });
      if (!created) return reply(req, res, graphError(400, 100, 'Invalid parameter', `Message template "${t.name}" already exists in language ${t.language}; create a new name or edit the existing template`));
      const timer = setTimeout(() => void notifyApprovals(sb).catch(() => {}), templateApprovalMs + 10);
      timer.unref();
      sb.changed(null);
      return reply(req, res, ok({ id: templateId, status: 'PENDING', category: t.category }));
    });
  };
}

/** Sends `message_template_status_update` webhooks for templates whose review is over. */
export async function notifyApprovals(sb: Sandbox): Promise<number> {
  const approved = await takeNewlyApproved(sb.db, sb.clock.now());
  for (const t of approved) {
    await sb.dispatcher.enqueue({ kind: 'template', refWamid: null, delayMs: 0, payload: templateStatusWebhook(sb.business, { id: t.id, name: t.name, language: t.language, event: 'APPROVED' }) });
  }
  if (approved.length) sb.changed(null);
  return approved.length;
}

function templateJson(t: SimTemplate) {
  return { name: t.name, parameter_format: t.parameterFormat ?? 'POSITIONAL', components: t.components, language: t.language, status: t.status, category: t.category, id: t.id };
}

function urlHash(sb: Sandbox, id: string, exp: number): string {
  return crypto.createHmac('sha256', sb.config.whatsapp.appSecret).update(`media:${id}:${exp}`).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
