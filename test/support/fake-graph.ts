// A small Graph API inside the tests: records every request, answers like the Cloud API, can be told to
// fail (429, 500, no answer, answer lost after delivery, no answer after delivery, token error), and posts signed status webhooks
// to the app like Meta, retrying a webhook the app did not accept (Meta retries for 7 days).
// It checks every messages request as the sandbox does (src/sandbox/validate.ts): a malformed body gets the
// Cloud API's error (code 100, 131009…) and is recorded in `invalid`, and close() fails while any is left
// there, so a malformed request fails the end-to-end test that made it even when nothing else looks at it.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateTemplateCreate } from '../../src/sandbox/templates.js';
import { validateSend } from '../../src/sandbox/validate.js';

export type Fault = 'ok' | '429' | '500' | '131056' | '190' | 'timeout' | 'lost' | 'unanswered' | '131047';

export interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
  fault: Fault;
  wamid: string | null;
  at: number;
  /** The Cloud API's refusal of a malformed request (then it reached nobody), else null. */
  rejected: { code: number; details: string } | null;
}

export interface FakeGraph {
  url: string;
  received: Received[];
  /** Requests the Cloud API would refuse as malformed. A test that sends one on purpose removes it. */
  invalid: Received[];
  /** Throws, naming each malformed request (path, error code and the field at fault), if there is any. */
  expectNoInvalidRequests(): void;
  /** Messages that reached the "patient" (accepted, or delivered with a lost answer). Mark-as-read excluded. */
  delivered(to?: string): Received[];
  /** Decides the fault for each messages request (default: always ok). */
  setFaults(pick: (body: Record<string, unknown>, n: number) => Fault): void;
  setWebhook(url: string | null): void;
  /** Media a patient "sent": the app downloads it through GET /{media-id} with the bearer token. */
  addMedia(id: string, bytes: Buffer, mime: string): void;
  /**
   * Message templates on the WABA, as POST /{waba-id}/message_templates created them (PENDING, like Meta and
   * shared/acceptance/fakegraph.mjs) or `addTemplate` put them; GET /{waba-id}/message_templates lists them
   * in pages. The review is the test's: approve, reject, pause or recategorise with `setTemplate`.
   */
  templates: FakeTemplate[];
  addTemplate(t: Pick<FakeTemplate, 'name' | 'language' | 'category'> & Partial<FakeTemplate>): FakeTemplate;
  /** Changes the templates named (all languages unless given); returns how many. */
  setTemplate(name: string | ((t: FakeTemplate) => boolean), patch: Partial<Pick<FakeTemplate, 'status' | 'category' | 'rejectedReason'>>, language?: string): number;
  /** Approves every PENDING template (Meta's review is over). */
  approveTemplates(): number;
  close(): Promise<void>;
}

export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  rejectedReason: string | null;
  components: unknown[];
}

export interface FakeGraphOptions {
  appSecret: string;
  token: string;
  webhook?: string | null;
  statuses?: boolean;
  /** The phone number id the app sends from (default PN1, the id the status webhooks carry). */
  phoneNumberId?: string;
  /** The WhatsApp Business Account id templates are created on (default WABA1, as test/support/app.ts). */
  businessAccountId?: string;
  /** Templates listed per page at most (Meta's default is 25; the app asks for more with `limit`). */
  templatePageSize?: number;
}

function describeInvalid(list: Received[]): string {
  return list.map((r) => `${r.method} ${r.path}: (#${r.rejected?.code ?? '?'}) ${r.rejected?.details ?? ''}`).join('; ');
}

export async function startFakeGraph(opts: FakeGraphOptions): Promise<FakeGraph> {
  const received: Received[] = [];
  const invalid: Received[] = [];
  const phoneNumberId = opts.phoneNumberId ?? 'PN1';
  let pick: (body: Record<string, unknown>, n: number) => Fault = () => 'ok';
  let webhook = opts.webhook ?? null;
  let seq = 0;
  let closed = false;
  const hanging = new Set<http.ServerResponse>();
  const media = new Map<string, { bytes: Buffer; mime: string }>();
  const wabaId = opts.businessAccountId ?? 'WABA1';
  const templates: FakeTemplate[] = [];
  let templateSeq = 0;
  const addTemplate = (t: Pick<FakeTemplate, 'name' | 'language' | 'category'> & Partial<FakeTemplate>): FakeTemplate => {
    const rec: FakeTemplate = { id: String(1_000_000_000_000 + ++templateSeq), status: 'PENDING', rejectedReason: null, components: [], ...t };
    templates.push(rec);
    return rec;
  };

  const postStatus = async (st: Record<string, unknown>, tries = 0): Promise<void> => {
    if (!webhook || closed) return;
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: 'PN1' }, statuses: [st] } }] }],
    });
    const sig = 'sha256=' + crypto.createHmac('sha256', opts.appSecret).update(body).digest('hex');
    let ok = false;
    try {
      const r = await fetch(webhook, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } });
      ok = r.ok;
    } catch {
      ok = false;
    }
    // Meta retries for days; two minutes covers a restart under a loaded test run.
    if (!ok && tries < 480 && !closed) setTimeout(() => void postStatus(st, tries + 1), 250);
  };

  const statuses = (wamid: string, body: Record<string, unknown>, failedCode?: number) => {
    if (opts.statuses === false) return;
    const base = { id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: String(body['to'] ?? '').replace('+', ''), ...(body['biz_opaque_callback_data'] ? { biz_opaque_callback_data: body['biz_opaque_callback_data'] } : {}) };
    if (failedCode) {
      setTimeout(() => void postStatus({ ...base, status: 'failed', errors: [{ code: failedCode, title: 'Re-engagement message' }] }), 20);
      return;
    }
    setTimeout(() => void postStatus({ ...base, status: 'sent' }), 20);
    setTimeout(() => void postStatus({ ...base, status: 'delivered' }), 60);
    setTimeout(() => void postStatus({ ...base, status: 'read' }), 120);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      let parsed: unknown = {};
      try {
        parsed = raw ? (JSON.parse(raw) as unknown) : {};
        body = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
      } catch {
        parsed = undefined;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (code: number, obj: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const isMessages = req.method === 'POST' && url.pathname.endsWith('/messages');
      const rec: Received = { method: req.method ?? '', path: url.pathname, auth: req.headers.authorization, body, fault: 'ok', wamid: null, at: Date.now(), rejected: null };
      received.push(rec);
      if (req.headers.authorization !== `Bearer ${opts.token}`) {
        return json(401, { error: { message: 'Error validating access token', type: 'OAuthException', code: 190, fbtrace_id: 'x' } });
      }
      if (isMessages) {
        // The Cloud API's own checks come before anything this test asked the fake to do.
        const pathId = url.pathname.split('/').filter(Boolean).at(-2) ?? '';
        const v =
          parsed === undefined ? { ok: false as const, code: 100, title: 'Invalid parameter', details: 'The request body is not valid JSON' }
          : pathId !== phoneNumberId ? { ok: false as const, code: 100, title: 'Invalid parameter', details: `Unsupported post request. Object with ID '${pathId}' does not exist` }
          : validateSend(parsed);
        if (!v.ok) {
          rec.rejected = { code: v.code, details: v.details };
          invalid.push(rec);
          return json(400, { error: { message: `(#${v.code}) ${v.title}`, type: 'OAuthException', code: v.code, error_data: { messaging_product: 'whatsapp', details: v.details }, fbtrace_id: 'x' } });
        }
        rec.fault = pick(body, received.length - 1);
      }
      const fault = rec.fault;
      if (fault === '190') {
        return json(401, { error: { message: 'Error validating access token', type: 'OAuthException', code: 190, fbtrace_id: 'x' } });
      }
      // Media: GET /{version}/{media-id} gives a short-lived URL; the URL needs the same bearer token.
      const parts = url.pathname.split('/').filter(Boolean);
      if (req.method === 'GET' && parts[0] === '_media' && parts[1] && media.has(parts[1])) {
        const m = media.get(parts[1])!;
        res.writeHead(200, { 'content-type': m.mime });
        return res.end(m.bytes);
      }
      if (req.method === 'GET' && parts.length === 2 && parts[1] && media.has(parts[1])) {
        const m = media.get(parts[1])!;
        return json(200, { messaging_product: 'whatsapp', url: `http://127.0.0.1:${port}/_media/${parts[1]}`, mime_type: m.mime, sha256: crypto.createHash('sha256').update(m.bytes).digest('hex'), file_size: m.bytes.length, id: parts[1] });
      }
      if (parts.length === 3 && parts[2] === 'message_templates') {
        if (parts[1] !== wabaId) return json(400, { error: { message: `Unsupported ${req.method?.toLowerCase() ?? 'get'} request. Object with ID '${parts[1] ?? ''}' does not exist`, type: 'GraphMethodException', code: 100, error_subcode: 33 } });
        if (req.method === 'POST') {
          const v = parsed === undefined ? { ok: false as const, code: 100, title: 'Invalid parameter', details: 'The request body is not valid JSON' } : validateTemplateCreate(parsed);
          if (!v.ok) {
            rec.rejected = { code: v.code, details: v.details };
            invalid.push(rec);
            return json(400, { error: { message: `(#${v.code}) ${v.title}`, type: 'OAuthException', code: v.code, error_data: { details: v.details }, fbtrace_id: 'x' } });
          }
          const t = v.template;
          if (templates.some((x) => x.name === t.name && x.language === t.language)) {
            return json(400, { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2388024, is_transient: false, error_user_title: 'Message template already exists', error_user_msg: `There is already ${t.language} content for this template.`, fbtrace_id: 'x' } });
          }
          const created = addTemplate({ name: t.name, language: t.language, category: t.category, components: t.components });
          return json(200, { id: created.id, status: created.status, category: created.category });
        }
        const size = Math.min(Number(url.searchParams.get('limit') ?? opts.templatePageSize ?? 25), opts.templatePageSize ?? 1000);
        const name = url.searchParams.get('name');
        const all = templates.filter((t) => name === null || t.name.includes(name));
        const start = Number(Buffer.from(url.searchParams.get('after') ?? '', 'base64url').toString() || '0');
        const pageItems = all.slice(start, start + size);
        const after = Buffer.from(String(start + pageItems.length)).toString('base64url');
        const more = start + size < all.length;
        return json(200, {
          data: pageItems.map((t) => ({ name: t.name, language: t.language, status: t.status, category: t.category, id: t.id, ...(t.rejectedReason !== null ? { rejected_reason: t.rejectedReason } : {}) })),
          paging: { cursors: { before: Buffer.from(String(start)).toString('base64url'), after }, ...(more ? { next: `https://graph.facebook.com${url.pathname}?limit=${size}&after=${after}` } : {}) },
        });
      }
      if (!isMessages) return json(404, { error: { message: 'Unknown path', code: 100 } });
      if (fault === '429') return json(429, { error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429, error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' } } });
      if (fault === '131056') return json(400, { error: { message: '(#131056) (Business Account, Consumer Account) pair rate limit hit', type: 'OAuthException', code: 131056, error_data: { messaging_product: 'whatsapp', details: 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.' } } });
      if (fault === '500') return json(500, { error: { message: 'An unknown error occurred', type: 'OAuthException', code: 131000 } });
      if (fault === 'timeout') {
        hanging.add(res);
        return;
      }
      if (body['status'] === 'read') return json(200, { success: true });
      const wamid = `wamid.FAKE${++seq}`;
      rec.wamid = wamid;
      if (fault === 'lost') {
        req.socket.destroy();
      } else if (fault === 'unanswered') {
        hanging.add(res); // delivered, but the answer never comes (the sender times out, or dies waiting)
      } else {
        json(200, { messaging_product: 'whatsapp', contacts: [{ input: body['to'], wa_id: String(body['to'] ?? '').replace('+', '') }], messages: [{ id: wamid }] });
      }
      statuses(wamid, body, fault === '131047' ? 131047 : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    invalid,
    expectNoInvalidRequests() {
      if (invalid.length > 0) throw new Error(`the app sent ${invalid.length} request(s) the Cloud API refuses: ${describeInvalid(invalid)}`);
    },
    delivered(to?: string) {
      return received.filter(
        (r) => r.path.endsWith('/messages') && r.rejected === null && r.body['status'] !== 'read' && (r.fault === 'ok' || r.fault === 'lost' || r.fault === 'unanswered') && (!to || String(r.body['to']).replace('+', '') === to),
      );
    },
    setFaults(p) {
      pick = p;
    },
    setWebhook(u) {
      webhook = u;
    },
    addMedia(id, bytes, mime) {
      media.set(id, { bytes, mime });
    },
    templates,
    addTemplate,
    setTemplate(name, patch, language) {
      const hit = templates.filter((t) => (typeof name === 'function' ? name(t) : t.name === name) && (language === undefined || t.language === language));
      for (const t of hit) Object.assign(t, patch);
      return hit.length;
    },
    approveTemplates() {
      const pending = templates.filter((t) => t.status === 'PENDING');
      for (const t of pending) t.status = 'APPROVED';
      return pending.length;
    },
    async close() {
      closed = true;
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      // Last line of defence for files that do not check after each test: the file fails.
      if (invalid.length > 0) throw new Error(`the app sent ${invalid.length} request(s) the Cloud API refuses: ${describeInvalid(invalid)}`);
    },
  };
}

let n = 0;
export function inboundText(from: string, text: string, opts: { name?: string; id?: string; userId?: string; phoneNumberId?: string } = {}): Record<string, unknown> {
  const id = opts.id ?? `wamid.IN${Date.now()}${++n}${crypto.randomBytes(3).toString('hex')}`;
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA1', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550001111', phone_number_id: opts.phoneNumberId ?? 'PN1' },
      contacts: [{ profile: { name: opts.name ?? 'Test Patient' }, wa_id: from, ...(opts.userId ? { user_id: opts.userId } : {}) }],
      messages: [{ from, ...(opts.userId ? { from_user_id: opts.userId } : {}), id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
    } }] }],
  };
}

export function sign(body: string | Buffer, secret: string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

/** POSTs a signed webhook as Meta would; returns the HTTP status. */
export async function postWebhook(base: string, payload: unknown, secret: string): Promise<number> {
  const body = JSON.stringify(payload);
  const r = await fetch(`${base}/webhooks/whatsapp`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secret) } });
  await r.arrayBuffer();
  return r.status;
}
