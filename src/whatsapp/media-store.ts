// Media bytes at rest: encrypted chunks in the media_chunks table, written while a download streams in and
// read back one chunk at a time, so memory stays at about one chunk whatever the file's size.
//
// Why the database and not files under DATA_DIR: with DATABASE_URL several instances share one database
// but not one disk, backups and retention already cover the database, and a chunk commits or not with the
// row that says the media is stored. PGlite and PostgreSQL both hold bytea rows of this size comfortably.
//
// Each chunk is AES-256-GCM sealed with the media row's id, the chunk's position and a last-chunk flag as
// associated data: a chunk moved to another file or position, a reordering, or a file cut short at a chunk
// boundary all fail to decrypt. `attempt` keeps the chunks of two overlapping downloads apart; only the
// attempt that marked the row stored is ever read. A patient's media is sealed under the patient's data key
// (erasure shreds it); pass the app's Crypt ({ cipher, keys }) to read it back.
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Cipher } from '../compliance/crypto.js';
import type { Crypt } from '../compliance/identifiers.js';
import type { Db, DbOrTx } from '../db/database.js';

/** Plaintext bytes per chunk. */
export const CHUNK_BYTES = 1024 * 1024;

export function chunkAad(mediaRowId: string, seq: number, last: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(seq, 0);
  tail[4] = last ? 1 : 0;
  return Buffer.concat([Buffer.from(`patientline media chunk v1:${mediaRowId}:`, 'latin1'), tail]);
}

export interface WrittenMedia {
  size: number;
  chunks: number;
  /** SHA-256 of the plaintext, for the check against WhatsApp's. */
  sha256: Buffer;
}

/**
 * Encrypts and inserts `body` as chunks of `attempt` for the media row. Holds one chunk of plaintext at a
 * time; each insert is its own statement, so no transaction stays open while the network is slow.
 */
export async function writeChunks(db: Db, cipher: Cipher, mediaRowId: string, attempt: number, body: AsyncIterable<Uint8Array>): Promise<WrittenMedia> {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  let seq = 0;
  let size = 0;
  const flush = async (last: boolean) => {
    const content = cipher.encrypt(buf.subarray(0, filled), chunkAad(mediaRowId, seq, last));
    await db.insertInto('media_chunks').values({ media_row_id: mediaRowId, attempt, seq, content }).execute();
    seq += 1;
    filled = 0;
  };
  for await (const piece of body) {
    hash.update(piece);
    size += piece.byteLength;
    let at = 0;
    while (at < piece.byteLength) {
      // A full chunk is written only once more bytes come: until then it may be the last one.
      if (filled === CHUNK_BYTES) await flush(false);
      const n = Math.min(CHUNK_BYTES - filled, piece.byteLength - at);
      buf.set(piece.subarray(at, at + n), filled);
      filled += n;
      at += n;
    }
  }
  await flush(true);
  return { size, chunks: seq, sha256: hash.digest() };
}

export async function deleteChunks(db: DbOrTx, mediaRowId: string, attempt: { only: number } | { except: number }): Promise<void> {
  const q = db.deleteFrom('media_chunks').where('media_row_id', '=', mediaRowId);
  await ('only' in attempt ? q.where('attempt', '=', attempt.only) : q.where('attempt', '<>', attempt.except)).execute();
}

/** A stored chunk is missing, or the media row does not add up. */
export class MediaIntegrityError extends Error {
  readonly code = 'media_integrity';
  constructor(detail: string) {
    super(`stored media is incomplete or corrupted: ${detail}`);
    this.name = 'MediaIntegrityError';
  }
}

export interface StoredMedia {
  id: string;
  mimeType: string | null;
  size: number;
  /** Decrypted chunks in order, fetched one by one. Throws MediaIntegrityError or DecryptError on tampering. */
  chunks(): AsyncGenerator<Buffer>;
}

/** A stored media file, to stream (the console, the sandbox). Null when it is not (yet) stored. */
export async function openMedia(db: Db, crypt: Cipher | Crypt, mediaRowId: string): Promise<StoredMedia | null> {
  const row = await db.selectFrom('media').select(['id', 'mime_type', 'size', 'content', 'chunk_count', 'chunk_attempt', 'patient_id'])
    .where('id', '=', mediaRowId).where('state', '=', 'stored').executeTakeFirst();
  if (!row) return null;
  const cipher = !('keys' in crypt) ? crypt : row.patient_id ? await crypt.keys.forPatient(db, row.patient_id) : crypt.cipher;
  const { content, chunk_count: count, chunk_attempt: attempt } = row;
  if (content) {
    // Stored before media_chunks existed (migration 0006): one encrypted value.
    const bytes = cipher.decrypt(content);
    return { id: row.id, mimeType: row.mime_type, size: bytes.length, async *chunks() { yield bytes; } };
  }
  if (count === null || attempt === null) throw new MediaIntegrityError('no chunks recorded');
  return {
    id: row.id,
    mimeType: row.mime_type,
    size: row.size ?? 0,
    async *chunks() {
      let total = 0;
      for (let seq = 0; seq < count; seq++) {
        const c = await db.selectFrom('media_chunks').select('content')
          .where('media_row_id', '=', row.id).where('attempt', '=', attempt).where('seq', '=', seq).executeTakeFirst();
        if (!c) throw new MediaIntegrityError(`chunk ${seq} of ${count} is missing`);
        const plain = cipher.decrypt(c.content, chunkAad(row.id, seq, seq === count - 1));
        total += plain.length;
        yield plain;
      }
      if (row.size !== null && total !== row.size) throw new MediaIntegrityError(`${total} bytes read, ${row.size} recorded`);
    },
  };
}

/** How many chunk rows a media row has (all attempts): for tests and clean-up checks. */
export async function countChunks(db: DbOrTx, mediaRowId: string): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from media_chunks where media_row_id = ${mediaRowId}`.execute(db);
  return r.rows[0]?.n ?? 0;
}
