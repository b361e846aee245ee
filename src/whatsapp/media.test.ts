// Inbound media against a local "Meta" over real sockets: files with and without Content-Length, bodies far
// over their type's limit, wrong hashes. Stored chunks are read back from the real database and tampered with.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { systemClock } from '../lib/clock.js';
import { createCipher, DecryptError } from '../compliance/crypto.js';
import { GraphClient } from './graph-client.js';
import { MEDIA_MAX_BYTES, type MediaKind } from './media-limits.js';
import { CHUNK_BYTES, countChunks, MediaIntegrityError } from './media-store.js';
import { MediaDownloader, openMedia, readMedia } from './media.js';

interface File {
  bytes?: Buffer;
  /** Streamed this many bytes of a repeating pattern, without Content-Length. */
  streamBytes?: number;
  /** Send Content-Length (default) or stream chunked. */
  contentLength?: boolean;
  /** What GET /{media-id} reports as file_size. */
  fileSize?: number;
  /** The body waits for this before it starts. */
  gate?: Promise<void>;
  mime: string;
}
interface Served { sent: number; completed: boolean }

const files = new Map<string, File>();
const served = new Map<string, Served>();
const infoCalls: string[] = [];
let server: http.Server;
let base = '';
let db: TestDatabase;
const cipher = createCipher(crypto.randomBytes(32));
let downloader: MediaDownloader;

const PIECE = 64 * 1024;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [, first, id] = (req.url ?? '').split('?')[0]!.split('/');
    if (req.headers.authorization !== 'Bearer media-test-token') return void res.writeHead(401).end();
    if (first === 'v26.0' && id && files.has(id)) {
      infoCalls.push(id);
      const f = files.get(id)!;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ messaging_product: 'whatsapp', url: `${base}/files/${id}`, mime_type: f.mime, ...(f.fileSize !== undefined ? { file_size: f.fileSize } : {}), id }));
    }
    const f = first === 'files' && id ? files.get(id) : undefined;
    if (!f || !id) return void res.writeHead(404).end();
    if (f.gate) {
      const gate = f.gate;
      delete f.gate;
      served.set(id, { sent: 0, completed: false }); // asked for, not answered yet
      return void gate.then(() => server.emit('request', req, res));
    }
    const record: Served = { sent: 0, completed: false };
    served.set(id, record);
    const total = f.bytes?.length ?? f.streamBytes ?? 0;
    res.writeHead(200, { 'content-type': f.mime, ...(f.contentLength !== false ? { 'content-length': String(total) } : {}) });
    const pattern = Buffer.alloc(PIECE, 0xab);
    // Writes only as fast as the client reads (backpressure), so `sent` tells how much the client took in.
    const pump = () => {
      while (record.sent < total && !res.destroyed) {
        const n = Math.min(PIECE, total - record.sent);
        const piece = f.bytes ? f.bytes.subarray(record.sent, record.sent + n) : pattern.subarray(0, n);
        record.sent += n;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(() => { record.completed = true; });
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await createTestDatabase();
  const graph = new GraphClient({ apiUrl: base, apiVersion: 'v26.0', accessToken: 'media-test-token', phoneNumberId: 'PN1', businessAccountId: 'WABA1', timeoutMs: 10_000 });
  downloader = new MediaDownloader({ db: db.db, cipher, graph, log: pino({ level: 'silent' }), clock: systemClock });
});

afterAll(async () => {
  await db?.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

let seq = 0;
/** An inbound message of `type` with its media row, as the inbound worker leaves it. */
async function inbound(type: MediaKind, f: File, sha256?: string): Promise<{ rowId: string; mediaId: string }> {
  const mediaId = `M${++seq}${crypto.randomBytes(3).toString('hex')}`;
  files.set(mediaId, f);
  const msg = await db.db.insertInto('inbound_messages')
    .values({ wamid: `wamid.${mediaId}`, phone_number_id: 'PN1', sender_key: 'p:1', wa_id: '33600000001', bsuid: null, type, sent_at: new Date(), payload: cipher.encryptJson({}), state: 'done', last_error: null, patient_id: null, processed_at: null, processed_order: null, processed_by: null })
    .returning('id').executeTakeFirstOrThrow();
  const sha = sha256 ?? (f.bytes ? crypto.createHash('sha256').update(f.bytes).digest('base64') : null);
  const row = await db.db.insertInto('media').values({ media_id: mediaId, inbound_message_id: msg.id, patient_id: null, mime_type: f.mime, sha256: sha, size: null, content: null, error: null, stored_at: null, next_attempt_at: new Date(Date.now() - 1000) })
    .returning('id').executeTakeFirstOrThrow();
  return { rowId: row.id, mediaId };
}

async function download(rowId: string) {
  // Rows left for a retry by earlier tests wait: this tick takes the row under test.
  await db.db.updateTable('media').set({ next_attempt_at: new Date(Date.now() + 3_600_000) }).where('state', '=', 'pending').where('id', '<>', rowId).execute();
  expect(await downloader.tick()).toBe(1);
  return db.db.selectFrom('media').selectAll().where('id', '=', rowId).executeTakeFirstOrThrow();
}

describe('inbound media download', () => {
  it('streams a file without Content-Length into encrypted chunks of bounded size and reads it back', async () => {
    const bytes = crypto.randomBytes(3 * CHUNK_BYTES + 12_345);
    const { rowId } = await inbound('document', { bytes, contentLength: false, mime: 'application/pdf' });
    const row = await download(rowId);
    expect({ state: row.state, size: row.size, chunks: row.chunk_count, error: row.error }).toStrictEqual({ state: 'stored', size: bytes.length, chunks: 4, error: null });
    expect(row.content).toBeNull();
    const stored = await db.db.selectFrom('media_chunks').select(['seq', 'content']).where('media_row_id', '=', rowId).orderBy('seq').execute();
    expect(stored.map((c) => c.seq)).toStrictEqual([0, 1, 2, 3]);
    for (const c of stored) {
      expect(c.content.length).toBeLessThanOrEqual(CHUNK_BYTES + 29);
      expect(Buffer.from(c.content).includes(bytes.subarray(CHUNK_BYTES, CHUNK_BYTES + 64))).toBe(false);
    }
    const media = await openMedia(db.db, cipher, rowId);
    const sizes: number[] = [];
    const h = crypto.createHash('sha256');
    for await (const c of media!.chunks()) {
      sizes.push(c.length);
      h.update(c);
    }
    expect(sizes).toStrictEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 12_345]);
    expect(h.digest('hex')).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
  });

  it('stores a file of exactly whole chunks, and an empty one', async () => {
    const bytes = crypto.randomBytes(2 * CHUNK_BYTES);
    const { rowId } = await inbound('video', { bytes, mime: 'video/mp4' });
    const whole = await download(rowId);
    expect({ chunks: whole.chunk_count, error: whole.error }).toStrictEqual({ chunks: 2, error: null });
    expect((await readMedia(db.db, cipher, rowId))?.bytes.equals(bytes)).toBe(true);
    const empty = await inbound('document', { bytes: Buffer.alloc(0), mime: 'text/plain' });
    const none = await download(empty.rowId);
    expect({ state: none.state, error: none.error }).toStrictEqual({ state: 'stored', error: null });
    expect((await readMedia(db.db, cipher, empty.rowId))?.bytes.length).toBe(0);
  });

  it('cuts off a 60 MB image streamed without Content-Length just past its 5 MB limit, keeping nothing', async () => {
    const total = 60 * 1024 * 1024;
    const { rowId, mediaId } = await inbound('image', { streamBytes: total, contentLength: false, mime: 'image/jpeg' }, 'x');
    const row = await download(rowId);
    expect(row.state).toBe('failed');
    expect(row.error).toBe(`media is larger than the ${MEDIA_MAX_BYTES.image}-byte limit for image messages`);
    expect(row.attempts).toBe(1);
    expect(await countChunks(db.db, rowId)).toBe(0);
    const s = served.get(mediaId)!;
    expect(s.completed).toBe(false);
    // What left the server is the limit plus what the sockets' buffers hold, far from the whole body.
    expect(s.sent).toBeGreaterThan(MEDIA_MAX_BYTES.image);
    expect(s.sent).toBeLessThan(MEDIA_MAX_BYTES.image + 20 * 1024 * 1024);
  });

  it.each(['audio', 'image', 'sticker', 'video'] as const)('refuses a %s one byte over its limit while reading, and keeps one at the limit', async (kind) => {
    const mime = { audio: 'audio/ogg', image: 'image/png', sticker: 'image/webp', video: 'video/mp4' }[kind];
    const over = await inbound(kind, { streamBytes: MEDIA_MAX_BYTES[kind] + 1, contentLength: false, mime }, 'x');
    const failed = await download(over.rowId);
    expect([failed.state, failed.error]).toStrictEqual(['failed', `media is larger than the ${MEDIA_MAX_BYTES[kind]}-byte limit for ${kind} messages`]);
    const at = await inbound(kind, { bytes: crypto.randomBytes(MEDIA_MAX_BYTES[kind]), contentLength: false, mime });
    const stored = await download(at.rowId);
    expect([stored.state, stored.size]).toStrictEqual(['stored', MEDIA_MAX_BYTES[kind]]);
  });

  it('refuses a declared Content-Length or file_size over the limit before reading the body', async () => {
    const declared = await inbound('image', { streamBytes: 40 * 1024 * 1024, mime: 'image/jpeg' }, 'x');
    const row = await download(declared.rowId);
    expect([row.state, row.error]).toStrictEqual(['failed', `media is larger than the ${MEDIA_MAX_BYTES.image}-byte limit for image messages (declared size)`]);
    expect(served.get(declared.mediaId)!.completed).toBe(false);
    const info = await inbound('audio', { streamBytes: 1000, fileSize: MEDIA_MAX_BYTES.audio + 1, mime: 'audio/ogg' }, 'x');
    expect((await download(info.rowId)).state).toBe('failed');
    expect(infoCalls).toContain(info.mediaId);
    expect(served.has(info.mediaId)).toBe(false);
  });

  it('keeps nothing when the sha256 does not match, and tries again later', async () => {
    const { rowId } = await inbound('document', { bytes: crypto.randomBytes(CHUNK_BYTES + 10), mime: 'application/pdf' }, crypto.randomBytes(32).toString('base64'));
    const row = await download(rowId);
    expect([row.state, row.error, row.attempts]).toStrictEqual(['pending', 'media sha256 does not match', 1]);
    expect(row.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
    expect(await countChunks(db.db, rowId)).toBe(0);
  });
});

describe('two instances on one media row', () => {
  it('lets only the download that still holds the lease mark the row stored; the overtaken one leaves no chunks', async () => {
    let open = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const bytes = crypto.randomBytes(2 * CHUNK_BYTES + 1);
    const { rowId, mediaId } = await inbound('document', { bytes, mime: 'application/pdf', gate });
    const first = downloader.tick();
    await new Promise<void>((resolve) => {
      const check = () => (served.has(mediaId) ? resolve() : setImmediate(check));
      check();
    });
    // Its lease ran out and another instance took the row (attempt 2) while this download was slow.
    await db.db.updateTable('media').set({ attempts: 2 }).where('id', '=', rowId).execute();
    open();
    expect(await first).toBe(1);
    const row = await db.db.selectFrom('media').selectAll().where('id', '=', rowId).executeTakeFirstOrThrow();
    expect([row.state, row.chunk_count, row.attempts]).toStrictEqual(['pending', null, 2]);
    expect(await countChunks(db.db, rowId)).toBe(0);
  });
});

describe('stored media chunks', () => {
  async function storedFile(chunks: number): Promise<{ rowId: string; bytes: Buffer }> {
    const bytes = crypto.randomBytes(chunks * CHUNK_BYTES - 100);
    const { rowId } = await inbound('document', { bytes, mime: 'application/pdf' });
    expect((await download(rowId)).chunk_count).toBe(chunks);
    return { rowId, bytes };
  }
  const readAll = async (rowId: string) => (await readMedia(db.db, cipher, rowId))?.bytes;

  it('detects reordered chunks', async () => {
    const { rowId } = await storedFile(3);
    await db.db.updateTable('media_chunks').set({ seq: 99 }).where('media_row_id', '=', rowId).where('seq', '=', 0).execute();
    await db.db.updateTable('media_chunks').set({ seq: 0 }).where('media_row_id', '=', rowId).where('seq', '=', 1).execute();
    await db.db.updateTable('media_chunks').set({ seq: 1 }).where('media_row_id', '=', rowId).where('seq', '=', 99).execute();
    await expect(readAll(rowId)).rejects.toThrow(DecryptError);
  });

  it('detects a file cut short at a chunk boundary, even with its count and size changed to match', async () => {
    const { rowId } = await storedFile(3);
    await db.db.deleteFrom('media_chunks').where('media_row_id', '=', rowId).where('seq', '=', 2).execute();
    await expect(readAll(rowId)).rejects.toThrow(MediaIntegrityError);
    await db.db.updateTable('media').set({ chunk_count: 2, size: 2 * CHUNK_BYTES }).where('id', '=', rowId).execute();
    await expect(readAll(rowId)).rejects.toThrow(DecryptError);
  });

  it('detects a chunk moved from another file', async () => {
    const a = await storedFile(2);
    const b = await storedFile(2);
    const chunk = await db.db.selectFrom('media_chunks').select('content').where('media_row_id', '=', a.rowId).where('seq', '=', 0).executeTakeFirstOrThrow();
    await db.db.updateTable('media_chunks').set({ content: chunk.content }).where('media_row_id', '=', b.rowId).where('seq', '=', 0).execute();
    expect((await readAll(a.rowId))?.equals(a.bytes)).toBe(true);
    await expect(readAll(b.rowId)).rejects.toThrow(DecryptError);
  });

  it('still reads media stored as one encrypted value before chunks existed', async () => {
    const bytes = crypto.randomBytes(5000);
    const row = await db.db.insertInto('media')
      .values({ media_id: `legacy-${crypto.randomUUID()}`, inbound_message_id: null, patient_id: null, mime_type: 'image/png', sha256: null, size: bytes.length, content: cipher.encrypt(bytes), state: 'stored', error: null, stored_at: new Date() })
      .returning('id').executeTakeFirstOrThrow();
    const read = await readMedia(db.db, cipher, row.id);
    expect(read?.bytes.equals(bytes)).toBe(true);
    expect(read?.mimeType).toBe('image/png');
  });
});
