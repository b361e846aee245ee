// Inbound media: downloaded with the bearer token (webhook media ids live 7 days), streamed through the
// sha256 check WhatsApp gave and into encrypted chunks (media-store.ts), within the Cloud API's size limit
// for the message's type. Memory stays at about one chunk whatever the file's size. Read it back with
// openMedia() (streaming) or readMedia(); nothing else touches the bytes.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Cipher } from '../compliance/crypto.js';
import type { Crypt } from '../compliance/identifiers.js';
import type { KeyRing } from '../compliance/keys.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../db/database.js';
import { errorSummary } from '../lib/logger.js';
import type { GraphClient } from './graph-client.js';
import { isMediaKind, MAX_MEDIA_BYTES, MEDIA_MAX_BYTES, MediaTooLargeError, type MediaKind } from './media-limits.js';
import { deleteChunks, openMedia, writeChunks } from './media-store.js';

export { MAX_MEDIA_BYTES } from './media-limits.js';
export { openMedia, type StoredMedia } from './media-store.js';

const MAX_ATTEMPTS = 6;
/** How long a claimed download is left to its instance before another may take it over. */
const LEASE_MS = 5 * 60_000;

export interface MediaDeps {
  db: Db;
  cipher: Cipher;
  /** Media of a patient is sealed under the patient's data key; without it (tests) under `cipher`. */
  keys?: KeyRing;
  graph: GraphClient;
  log: Logger;
  clock: Clock;
}

/** WhatsApp gives sha256 as base64 in webhooks and as hex from GET /{media-id}: accept both. */
export function sha256Matches(expected: string | null, digest: Buffer): boolean {
  if (!expected) return true;
  return expected.toLowerCase() === digest.toString('hex') || expected === digest.toString('base64');
}

export class MediaDownloader {
  constructor(private readonly d: MediaDeps) {}

  async tick(): Promise<number> {
    const { db, clock } = this.d;
    const job = await db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('media').select(['id', 'media_id', 'sha256', 'attempts', 'inbound_message_id', 'patient_id'])
        .where('state', '=', 'pending').where('next_attempt_at', '<=', clock.now())
        .orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!row) return null;
      // Lease the row: another instance will not take it before this download has had its chance.
      await tx.updateTable('media').set({ attempts: row.attempts + 1, next_attempt_at: new Date(clock.now().getTime() + LEASE_MS) }).where('id', '=', row.id).execute();
      const message = row.inbound_message_id === null ? undefined
        : await tx.selectFrom('inbound_messages').select('type').where('id', '=', row.inbound_message_id).executeTakeFirst();
      return { ...row, attempts: row.attempts + 1, kind: message && isMediaKind(message.type) ? message.type : null };
    });
    if (!job) return 0;
    await this.download(job);
    return 1;
  }

  private async download(job: { id: string; media_id: string; sha256: string | null; attempts: number; kind: MediaKind | null; patient_id: string | null }): Promise<void> {
    const { db, clock } = this.d;
    const limit = job.kind ? MEDIA_MAX_BYTES[job.kind] : MAX_MEDIA_BYTES;
    try {
      const cipher = job.patient_id && this.d.keys ? await this.d.keys.forPatient(db, job.patient_id) : this.d.cipher;
      const info = await this.d.graph.mediaInfo(job.media_id);
      if (info.fileSize !== null && info.fileSize > limit) throw new MediaTooLargeError(limit, job.kind, true);
      const dl = await this.d.graph.download(info.url, limit, job.kind);
      const written = await writeChunks(db, cipher, job.id, job.attempts, dl.chunks);
      if (!sha256Matches(job.sha256 ?? info.sha256, written.sha256)) throw new Error('media sha256 does not match');
      const stored = await db.transaction().execute(async (tx) => {
        // Only the download that still holds the lease marks the row: a slower, overtaken one does not.
        const r = await tx.updateTable('media')
          .set({ state: 'stored', content: null, size: written.size, chunk_count: written.chunks, chunk_attempt: job.attempts, mime_type: info.mimeType ?? dl.mimeType, stored_at: clock.now(), error: null })
          .where('id', '=', job.id).where('state', '=', 'pending').where('attempts', '=', job.attempts).executeTakeFirst();
        const won = r.numUpdatedRows > 0n;
        await deleteChunks(tx, job.id, won ? { except: job.attempts } : { only: job.attempts });
        return won;
      });
      if (!stored) this.d.log.info({ mediaRowId: job.id, attempt: job.attempts }, 'media download overtaken by a later attempt');
    } catch (e) {
      const err = errorSummary(e);
      // Too large stays too large: retrying would only download it again.
      const failed = e instanceof MediaTooLargeError || job.attempts >= MAX_ATTEMPTS;
      this.d.log.warn({ mediaRowId: job.id, err, attempt: job.attempts, failed, ...(e instanceof MediaTooLargeError ? { limit: e.limit, kind: e.kind } : {}) }, 'media download failed');
      await db.transaction().execute(async (tx) => {
        const r = await tx.updateTable('media')
          .set({ state: failed ? 'failed' : 'pending', error: err.message.slice(0, 200), next_attempt_at: new Date(clock.now().getTime() + Math.min(2 ** job.attempts * 1000, 300_000)) })
          .where('id', '=', job.id).where('state', '=', 'pending').where('attempts', '=', job.attempts).executeTakeFirst();
        // A failed file keeps no bytes at all (also from crashed attempts); a retried one drops this attempt's.
        const holder = r.numUpdatedRows > 0n;
        await deleteChunks(tx, job.id, holder && failed ? { except: -1 } : { only: job.attempts });
      });
    }
  }
}

/** The whole file in memory: for small media only (tests, thumbnails). Stream large ones with openMedia(). */
export async function readMedia(db: Db, cipher: Cipher | Crypt, mediaRowId: string): Promise<{ bytes: Buffer; mimeType: string | null } | null> {
  const m = await openMedia(db, cipher, mediaRowId);
  if (!m) return null;
  const parts: Buffer[] = [];
  for await (const c of m.chunks()) parts.push(c);
  return { bytes: Buffer.concat(parts), mimeType: m.mimeType };
}

/** SHA-256 of a stored file, computed while streaming it. */
export async function storedSha256(db: Db, cipher: Cipher | Crypt, mediaRowId: string): Promise<string | null> {
  const m = await openMedia(db, cipher, mediaRowId);
  if (!m) return null;
  const h = crypto.createHash('sha256');
  for await (const c of m.chunks()) h.update(c);
  return h.digest('hex');
}
