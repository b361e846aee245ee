// The one real client of the Cloud API (Graph API) for the calls we make. Production, the sandbox and the
// tests all go through it over HTTP, so the wire format is always the real one.
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { parseGraphError, type GraphError } from './graph-errors.js';
import { MediaTooLargeError, type MediaKind } from './media-limits.js';

/** At least this long for a whole download: 100 MB over a slow link. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

const mediaInfoSchema = z.object({
  url: z.string().min(1),
  mime_type: z.string().optional(),
  sha256: z.string().optional(),
  file_size: z.coerce.number().optional(),
});

export interface GraphClientOptions {
  apiUrl: string;
  apiVersion: string;
  accessToken: string;
  phoneNumberId: string;
  businessAccountId: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export type SendOutcome =
  | { kind: 'accepted'; wamid: string | null; raw: unknown }
  | { kind: 'error'; error: GraphError }
  /** The request may or may not have reached Meta: no answer, a cut connection, an unreadable 5xx. */
  | { kind: 'in_doubt'; reason: string }
  /** The request certainly never left (no connection could be made): it may be sent again at once. */
  | { kind: 'not_sent'; reason: string };

/** A message send with a connected socket reserved and nothing written yet (GraphClient.openMessage). */
export interface OpenSend {
  /** True once the request holds a connected socket; false when none could be had (nothing was written). */
  ready: Promise<boolean>;
  /** Writes the whole request now and gives its outcome. */
  send(): Promise<SendOutcome>;
  /** Drops the request unwritten. */
  abandon(): void;
}

export interface MediaInfo {
  url: string;
  mimeType: string | null;
  sha256: string | null;
  fileSize: number | null;
}

export class GraphClient {
  private readonly f: typeof fetch;
  /**
   * Kept-alive connections for message sends, the most recently used first (warm sockets stay warm); an idle
   * one is closed after 4 s, before a server would close it under a request.
   */
  private readonly httpAgent = new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 4_000 });
  constructor(readonly opts: GraphClientOptions) {
    this.f = opts.fetch ?? fetch;
  }

  /** Closes the kept-alive connections (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private url(path: string): string {
    return `${this.opts.apiUrl}/${this.opts.apiVersion}/${path}`;
  }

  /**
   * A GET, sent again once when its connection was closed under it before any answer (a kept-alive socket the
   * other end had just closed: Node's fetch reuses it and fails at once). GETs are idempotent; any other
   * failure, and a timeout, is the caller's.
   */
  private async get(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.f(url, init);
    } catch (e) {
      if (init.signal?.aborted || !connectionClosed(e)) throw e;
      return this.f(url, init);
    }
  }

  private headers(json = true): Record<string, string> {
    return { authorization: `Bearer ${this.opts.accessToken}`, ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  /** POST /{phone-number-id}/messages: messages, mark-as-read and typing indicators. */
  async sendMessage(body: unknown): Promise<SendOutcome> {
    const open = this.openMessage(body);
    if (!(await open.ready)) return { kind: 'not_sent', reason: 'unreachable' };
    return open.send();
  }

  /**
   * A message send in two steps: `ready` settles once a connected socket is reserved for the request (a kept-alive
   * one, else a new connection), with nothing written; then `send()` writes the whole request at once, before
   * the process handles any other I/O. The sender commits a send's dispatch mark between the two, so that a
   * crash leaves as few marked sends as possible that never left (each of those waits for status webhooks
   * before it can be sent again). `abandon()` drops it unwritten.
   */
  openMessage(body: unknown): OpenSend {
    if (this.opts.fetch) return { ready: Promise.resolve(true), send: () => this.fetchMessage(body), abandon: () => {} };
    const payload = Buffer.from(JSON.stringify(body));
    const url = new URL(this.url(`${this.opts.phoneNumberId}/messages`));
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? this.httpsAgent : this.httpAgent,
      headers: { ...this.headers(), 'content-length': String(payload.length) },
    });
    let phase: 'opening' | 'sending' | 'done' = 'opening';
    let onReady: (ok: boolean) => void = () => {};
    let onOutcome: (o: SendOutcome) => void = () => {};
    const ready = new Promise<boolean>((r) => (onReady = r));
    const outcome = new Promise<SendOutcome>((r) => (onOutcome = r));
    let timedOut = false;
    const fail = (): void => {
      clearTimeout(timer);
      if (phase === 'opening') onReady(false);
      else if (phase === 'sending') onOutcome({ kind: 'in_doubt', reason: timedOut ? 'timeout' : 'network' });
      phase = 'done';
    };
    // One bound for the connection, another (from send()) for the answer; either one destroys the request.
    const arm = () => setTimeout(() => ((timedOut = true), req.destroy(new Error('timed out'))), this.opts.timeoutMs);
    let timer = arm();
    req.on('error', fail);
    req.once('socket', (socket) => {
      // A kept-alive socket is connected (and its TLS session up); a new one is ready once connected.
      if (req.reusedSocket || !socket.connecting) return void onReady(true);
      socket.once(secure ? 'secureConnect' : 'connect', () => phase === 'opening' && onReady(true));
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        if (phase !== 'sending') return;
        phase = 'done';
        onOutcome(outcomeOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      });
    });
    return {
      ready,
      send: () => {
        if (phase !== 'opening') return Promise.resolve({ kind: 'not_sent', reason: 'unreachable' });
        phase = 'sending';
        clearTimeout(timer);
        timer = arm();
        req.end(payload);
        return outcome;
      },
      abandon: () => {
        if (phase !== 'opening') return;
        phase = 'done';
        clearTimeout(timer);
        onReady(false);
        req.destroy();
      },
    };
  }

  /** sendMessage through an injected fetch (tests that shape the HTTP exchange themselves). */
  private async fetchMessage(body: unknown): Promise<SendOutcome> {
    let res: Response;
    let text: string;
    // A timer cleared once the answer is read: AbortSignal.timeout() would keep its timer and signal alive
    // for the whole timeout after every request (thousands at a time when sending at 1,000 a second).
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('The request timed out', 'TimeoutError')), this.opts.timeoutMs);
    try {
      res = await this.f(this.url(`${this.opts.phoneNumberId}/messages`), {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(body),
        signal: timeout.signal,
      });
      text = await res.text();
    } catch (e) {
      const name = e instanceof Error ? e.name : 'Error';
      return { kind: 'in_doubt', reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network' };
    } finally {
      clearTimeout(timer);
    }
    return outcomeOf(res.status, text);
  }

  /**
   * POST /{waba-id}/message_templates: submits a template for review. Meta answers {id, status, category};
   * a refusal carries the Graph error and its error_subcode (2388024: the name exists in this language).
   * A failed connection or timeout throws: the next sync finds out whether the template was created.
   */
  async createTemplate(body: unknown): Promise<TemplateCreated | { ok: false; error: GraphError; subcode: number | null }> {
    const res = await this.f(this.url(`${encodeURIComponent(this.opts.businessAccountId)}/message_templates`), {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) return { ok: false, error: parseGraphError(res.status, json), subcode: subcodeOf(json) };
    const created = templateCreatedSchema.safeParse(json);
    if (!created.success) throw new GraphRequestError(parseGraphError(502, { error: { message: 'template creation answer not understood' } }));
    return { ok: true, id: created.data.id, status: created.data.status ?? 'PENDING', category: created.data.category ?? null };
  }

  /**
   * GET /{waba-id}/message_templates, every page: `fields` and filters in `query`. Pages are followed by the
   * `after` cursor on our own URL (never by fetching paging.next, an absolute URL, with our token).
   */
  async listTemplates(query: Readonly<Record<string, string>>, maxPages = 100): Promise<RemoteTemplate[]> {
    const out: RemoteTemplate[] = [];
    let after: string | null = null;
    for (let pageNo = 0; pageNo < maxPages; pageNo++) {
      const params = new URLSearchParams({ ...query, ...(after ? { after } : {}) });
      const res = await this.get(this.url(`${encodeURIComponent(this.opts.businessAccountId)}/message_templates?${params.toString()}`), {
        headers: this.headers(false),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      const json: unknown = await res.json().catch(() => null);
      if (!res.ok) throw new GraphRequestError(parseGraphError(res.status, json));
      const page = templatePageSchema.safeParse(json);
      if (!page.success) throw new GraphRequestError(parseGraphError(502, { error: { message: 'template list not understood' } }));
      for (const t of page.data.data) {
        const r = remoteTemplateSchema.safeParse(t);
        if (r.success) out.push({ id: r.data.id, name: r.data.name, language: r.data.language, status: r.data.status.toUpperCase(), category: r.data.category?.toUpperCase() ?? null, rejectedReason: r.data.rejected_reason ?? null });
      }
      const next = page.data.paging?.next;
      const cursor = page.data.paging?.cursors?.after ?? (next ? afterOf(next) : null);
      if (!next || !cursor || cursor === after || page.data.data.length === 0) return out;
      after = cursor;
    }
    return out;
  }

  /** GET /{media-id}: a short-lived download URL (5 min) and the file's facts. */
  async mediaInfo(mediaId: string): Promise<MediaInfo> {
    const res = await this.get(this.url(`${encodeURIComponent(mediaId)}?phone_number_id=${encodeURIComponent(this.opts.phoneNumberId)}`), {
      headers: this.headers(false),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) throw new GraphRequestError(parseGraphError(res.status, json));
    const info = mediaInfoSchema.safeParse(json);
    if (!info.success) throw new GraphRequestError(parseGraphError(502, { error: { message: 'media URL missing' } }));
    const o = info.data;
    return { url: o.url, mimeType: o.mime_type ?? null, sha256: o.sha256 ?? null, fileSize: o.file_size ?? null };
  }

  /**
   * Opens a media URL (it needs the same bearer token) and hands its body over piece by piece as it arrives:
   * nothing is buffered here. A declared Content-Length over `maxBytes` stops before the body is read; a body
   * without one (or lying about it) is counted while it is read and cut off the moment it passes the limit.
   */
  async download(url: string, maxBytes: number, kind: MediaKind | null = null): Promise<MediaDownload> {
    const stop = new AbortController();
    // The timeout covers the whole body, not only the headers: a trickling body cannot hold a worker forever.
    const signal = AbortSignal.any([stop.signal, AbortSignal.timeout(Math.max(this.opts.timeoutMs, DOWNLOAD_TIMEOUT_MS))]);
    const res = await this.get(url, { headers: this.headers(false), signal });
    if (!res.ok || !res.body) {
      stop.abort();
      throw new GraphRequestError(parseGraphError(res.status, null));
    }
    const declared = res.headers.get('content-length');
    const declaredBytes = declared !== null && /^\d+$/.test(declared) ? Number(declared) : null;
    if (declaredBytes !== null && declaredBytes > maxBytes) {
      stop.abort();
      throw new MediaTooLargeError(maxBytes, kind, true);
    }
    const body = res.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let read = 0;
      try {
        for await (const piece of body) {
          read += piece.byteLength;
          if (read > maxBytes) throw new MediaTooLargeError(maxBytes, kind, false);
          yield piece;
        }
      } finally {
        // Whether it ended, failed or the caller stopped reading: never leave the connection half-read.
        stop.abort();
      }
    }
    return { mimeType: res.headers.get('content-type'), declaredBytes, chunks: chunks() };
  }
}

/** What an answer to POST /messages means for the send. */
function outcomeOf(status: number, text: string): SendOutcome {
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (status >= 200 && status < 300) return { kind: 'accepted', wamid: extractWamid(json), raw: json };
  const error = parseGraphError(status, json);
  // A 5xx without a Graph error code says nothing about whether the message went out.
  if (error.code === null && status >= 500) return { kind: 'in_doubt', reason: `http_${status}` };
  return { kind: 'error', error };
}

/** Node's fetch failed because the socket closed or reset before an answer (undici names it in `cause`). */
function connectionClosed(e: unknown): boolean {
  const code = (e as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED';
}

/** A download in progress: iterate `chunks` once; breaking out of the loop closes the connection. */
export interface MediaDownload {
  mimeType: string | null;
  declaredBytes: number | null;
  chunks: AsyncGenerator<Uint8Array>;
}

export type TemplateCreated = { ok: true; id: string; status: string; category: string | null };
/** One template as GET /{waba-id}/message_templates lists it (status and category upper case). */
export interface RemoteTemplate {
  id: string;
  name: string;
  /** Meta's code (pt_PT). */
  language: string;
  status: string;
  category: string | null;
  rejectedReason: string | null;
}

const templateCreatedSchema = z.object({ id: z.coerce.string(), status: z.string().optional(), category: z.string().optional() });
const remoteTemplateSchema = z.object({
  id: z.coerce.string(), name: z.string(), language: z.string(), status: z.string(), category: z.string().optional(), rejected_reason: z.string().nullable().optional(),
});
const templatePageSchema = z.object({
  data: z.array(z.unknown()),
  paging: z.object({ next: z.string().optional(), cursors: z.object({ after: z.string().optional() }).optional() }).optional(),
});

function subcodeOf(json: unknown): number | null {
  const r = z.object({ error: z.object({ error_subcode: z.coerce.number() }) }).safeParse(json);
  return r.success ? r.data.error.error_subcode : null;
}

function afterOf(next: string): string | null {
  try {
    return new URL(next, 'http://x').searchParams.get('after');
  } catch {
    return null;
  }
}

export class GraphRequestError extends Error {
  constructor(readonly error: GraphError) {
    super(`Graph API error ${error.code ?? 'unknown'} (HTTP ${error.httpStatus})`);
    this.name = 'GraphRequestError';
  }
}

function extractWamid(json: unknown): string | null {
  if (json && typeof json === 'object' && 'messages' in json && Array.isArray(json.messages)) {
    const first: unknown = json.messages[0];
    if (first && typeof first === 'object' && 'id' in first && typeof first.id === 'string') return first.id;
  }
  return null;
}
