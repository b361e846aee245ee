// Inbound media: downloaded with the bearer token (webhook media ids live 7 days), checked against the
// sha256 WhatsApp gave, and kept encrypted in the database behind this one module. Read it back with
// readMedia(); nothing else touches the bytes.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Cipher } from '../compliance/crypto.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../db/database.js';
import { errorSummary } from '../lib/logger.js';
import type { GraphClient } from './graph-client.js';

/** The Cloud API's largest inbound media (documents): 100 MB. */
export const MAX_MEDIA_BYTES = 100 * 1024 * 1024;
const MAX_ATTEMPTS = 6;

export interface MediaDeps {
  db: Db;
  cipher: Cipher;
  graph: GraphClient;
  log: Logger;
  clock: Clock;
}

/** WhatsApp gives sha256 as base64 in webhooks and as hex from GET /{media-id}: accept both. */
export function sha256Matches(expected: string | null, bytes: Buffer): boolean {
  if (!expected) return true;
  const digest = crypto.createHash('sha256').update(bytes).digest();
  return expected.toLowerCase() === digest.toString('hex') || expected === digest.toString('base64');
}

export class MediaDownloader {
  constructor(private readonly d: MediaDeps) {}

  async tick(): Promise<number> {
    const { db, clock } = this.d;
    const job = await db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('media').select(['id', 'media_id', 'sha256', 'attempts'])
        .where('state', '=', 'pending').where('next_attempt_at', '<=', clock.now())
        .orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!row) return null;
      // Lease the row: another instance will not take it before this download has had its chance.
      await tx.updateTable('media').set({ attempts: row.attempts + 1, next_attempt_at: new Date(clock.now().getTime() + 5 * 60_000) }).where('id', '=', row.id).execute();
      return { ...row, attempts: row.attempts + 1 };
    });
    if (!job) return 0;
    try {
      const info = await this.d.graph.mediaInfo(job.media_id);
      const { bytes, mimeType } = await this.d.graph.download(info.url, MAX_MEDIA_BYTES);
      if (!sha256Matches(job.sha256 ?? info.sha256, bytes)) throw new Error('media sha256 does not match');
      await db.updateTable('media')
        .set({ state: 'stored', content: this.d.cipher.encrypt(bytes), size: bytes.length, mime_type: info.mimeType ?? mimeType, stored_at: clock.now(), error: null })
        .where('id', '=', job.id).execute();
    } catch (e) {
      const err = errorSummary(e);
      const failed = job.attempts >= MAX_ATTEMPTS;
      this.d.log.warn({ mediaRowId: job.id, err, attempt: job.attempts, failed }, 'media download failed');
      await db.updateTable('media')
        .set({ state: failed ? 'failed' : 'pending', error: err.message.slice(0, 200), next_attempt_at: new Date(clock.now().getTime() + Math.min(2 ** job.attempts * 1000, 300_000)) })
        .where('id', '=', job.id).execute();
    }
    return 1;
  }
}

export async function readMedia(db: Db, cipher: Cipher, mediaRowId: string): Promise<{ bytes: Buffer; mimeType: string | null } | null> {
  const row = await db.selectFrom('media').select(['content', 'mime_type']).where('id', '=', mediaRowId).where('state', '=', 'stored').executeTakeFirst();
  if (!row?.content) return null;
  return { bytes: cipher.decrypt(row.content), mimeType: row.mime_type };
}
