// `patientline rotate-key`: moves everything still under a previous KEK (ENCRYPTION_KEYS_PREVIOUS) to the
// current ENCRYPTION_KEY, while the servers run. Data keys and system keys are re-wrapped (their values are
// untouched); values sealed directly with a KEK (intake payloads, dead letters, other events, legacy rows
// from before per-patient keys, the sandbox's tables) are re-sealed.
//
// No downtime: keys are re-wrapped in short transactions that lock with FOR UPDATE SKIP LOCKED (a key in use
// by a running transaction is left for the next pass); values are re-sealed in batches by compare-and-swap
// (`where col = <the bytes read>`), so a value a worker rewrote meanwhile keeps the worker's version, and no
// lock is ever waited for. Idempotent and resumable: a second run finds nothing to do, an interrupted one
// starts again from the beginning and skips what is done. Every instance must already run with the new
// ENCRYPTION_KEY (and the old one in ENCRYPTION_KEYS_PREVIOUS) before it starts, or they would keep sealing
// new values with the old key.
import { sql } from 'kysely';
import type { Cipher } from './crypto.js';
import type { Db } from '../db/database.js';
import { chunkAad } from '../whatsapp/index.js';
import { createKeyRing, rewrapSystemKeys, type Kek } from './keys.js';

const BATCH = 500;

/** A column sealed with a KEK directly (or, for patient columns, possibly with a data key: left as it is). */
interface SealedColumn {
  table: string;
  key: string;
  keyType: 'bigint' | 'uuid' | 'text';
  column: string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'inbound_messages', key: 'id', keyType: 'bigint', column: 'payload' },
  { table: 'webhook_dead_letters', key: 'id', keyType: 'bigint', column: 'body' },
  { table: 'webhook_other_events', key: 'id', keyType: 'bigint', column: 'payload' },
  { table: 'standby_events', key: 'id', keyType: 'bigint', column: 'payload' },
  // Before 0012 a patient's values were sealed with ENCRYPTION_KEY; those of no patient still are.
  { table: 'patients', key: 'id', keyType: 'uuid', column: 'profile_name' },
  { table: 'outbox', key: 'id', keyType: 'bigint', column: 'payload' },
  { table: 'outbox', key: 'id', keyType: 'bigint', column: 'to_sealed' },
  { table: 'conversation_state', key: 'patient_id', keyType: 'uuid', column: 'state' },
  { table: 'media', key: 'id', keyType: 'uuid', column: 'content' },
  { table: 'sandbox_patients', key: 'id', keyType: 'uuid', column: 'name' },
  { table: 'sandbox_messages', key: 'id', keyType: 'bigint', column: 'content' },
  { table: 'sandbox_media', key: 'id', keyType: 'text', column: 'content' },
  { table: 'sandbox_webhooks', key: 'id', keyType: 'bigint', column: 'body' },
];

export interface RotateCounts {
  dataKeys: number;
  systemKeys: number;
  /** Values re-sealed, by table.column. */
  values: Record<string, number>;
  /** Keys still under a previous KEK after the run (in use by a transaction at the time): run again. */
  keysLeft: number;
}

/** Re-seals one column: returns how many values moved from a previous key to the current one. */
async function resealColumn(db: Db, cipher: Cipher, c: SealedColumn, batch: number): Promise<number> {
  let cursor: string | number | null = null;
  let moved = 0;
  const t = sql.table(c.table);
  const k = sql.ref(`${c.table}.${c.key}`);
  const col = sql.ref(`${c.table}.${c.column}`);
  for (;;) {
    const rows: { k: string | number; v: Uint8Array }[] = (await sql<{ k: string | number; v: Uint8Array }>`
      select ${k} as k, ${col} as v from ${t}
       where ${col} is not null ${cursor === null ? sql`` : sql`and ${k} > ${cursor}`}
       order by ${k} limit ${batch}`.execute(db)).rows;
    if (rows.length === 0) return moved;
    cursor = rows[rows.length - 1]!.k;
    const values = [];
    for (const r of rows) {
      if (cipher.sealedWithCurrent(r.v)) continue;
      let plain: Buffer;
      try {
        plain = cipher.decrypt(r.v);
      } catch {
        continue; // sealed with a patient's data key: re-wrapping that key is enough
      }
      values.push(sql`(${r.k}::${sql.raw(c.keyType)}, ${r.v}::bytea, ${cipher.encrypt(plain)}::bytea)`);
    }
    if (values.length) {
      const r = await sql`update ${t} set ${sql.ref(c.column)} = v.n from (values ${sql.join(values)}) v(k, o, n)
        where ${k} = v.k and ${col} = v.o`.execute(db);
      moved += Number(r.numAffectedRows ?? 0n);
    }
  }
}

/** Media chunks carry associated data (their file, position and last-chunk flag): re-sealed with it. */
async function resealChunks(db: Db, cipher: Cipher, batch: number): Promise<number> {
  type Cursor = { id: string; attempt: number; seq: number };
  let cursor: Cursor | null = null;
  let moved = 0;
  for (;;) {
    const q = db.selectFrom('media_chunks as c').innerJoin('media as m', 'm.id', 'c.media_row_id')
      .select(['c.media_row_id', 'c.attempt', 'c.seq', 'c.content', 'm.chunk_count'])
      .orderBy('c.media_row_id').orderBy('c.attempt').orderBy('c.seq').limit(batch);
    const at: Cursor | null = cursor;
    const rows: { media_row_id: string; attempt: number; seq: number; content: Uint8Array; chunk_count: number | null }[] = await (at ? q.where(sql<boolean>`(c.media_row_id, c.attempt, c.seq) > (${at.id}::uuid, ${at.attempt}, ${at.seq})`) : q).execute();
    if (rows.length === 0) return moved;
    const last = rows[rows.length - 1]!;
    cursor = { id: last.media_row_id, attempt: last.attempt, seq: last.seq };
    for (const r of rows) {
      const aad = chunkAad(r.media_row_id, r.seq, r.chunk_count !== null && r.seq === r.chunk_count - 1);
      let plain: Buffer;
      try {
        if (cipher.sealedWithCurrent(r.content, aad)) continue;
        plain = cipher.decrypt(r.content, aad);
      } catch {
        continue; // a patient's media (their data key), or an attempt that never completed
      }
      const u = await db.updateTable('media_chunks').set({ content: cipher.encrypt(plain, aad) })
        .where('media_row_id', '=', r.media_row_id).where('attempt', '=', r.attempt).where('seq', '=', r.seq).where('content', '=', r.content)
        .executeTakeFirst();
      moved += Number(u.numUpdatedRows);
    }
  }
}

/** The whole rotation; `keks` is the current KEK then the previous ones, `cipher` seals with the current one. */
export async function rotateKeys(db: Db, keks: readonly Kek[], cipher: Cipher, opts: { batch?: number } = {}): Promise<RotateCounts> {
  const batch = opts.batch ?? BATCH;
  const [current] = keks;
  if (!current) throw new Error('rotate-key needs ENCRYPTION_KEY');
  const ring = createKeyRing({ keks });
  const counts: RotateCounts = { dataKeys: 0, systemKeys: 0, values: {}, keysLeft: 0 };
  for (;;) {
    const n = await db.transaction().execute((tx) => ring.rewrapBatch(tx, batch));
    counts.dataKeys += n;
    if (n === 0) break;
  }
  counts.systemKeys = await db.transaction().execute((tx) => rewrapSystemKeys(tx, keks));
  for (const c of SEALED_COLUMNS) counts.values[`${c.table}.${c.column}`] = await resealColumn(db, cipher, c, batch);
  counts.values['media_chunks.content'] = await resealChunks(db, cipher, batch);
  const left = await sql<{ n: number }>`select ((select count(*) from data_keys where kek_id <> ${current.id}) + (select count(*) from system_keys where kek_id <> ${current.id}))::int as n`.execute(db);
  counts.keysLeft = left.rows[0]?.n ?? 0;
  return counts;
}
