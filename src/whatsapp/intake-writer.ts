// Group commit for webhook intake. Each webhook is still committed before its 200, but webhooks that arrive
// while earlier ones are being written wait for the write in flight to end and then go together, in one
// statement and one commit: under a burst the database parses, plans and flushes its log once per batch
// instead of once per webhook (the cost that kept intake near half a bare one-INSERT handler), and nothing
// waits at ordinary rates (the first webhook finds no write in flight and goes at once, as its own statement).
//
// A batch is one multi-row INSERT per table (binary parameters: the sealed payloads are not hex-encoded as an
// array parameter would be), padded to a power of two so a dozen statement texts (and prepared plans) serve
// every size. Dedupe stays the database's: ON CONFLICT DO NOTHING, RETURNING the keys
// that went in, so each webhook learns which of its rows were new (a wamid that two webhooks of one batch
// carry is counted for the first, as it would be if they had come one after the other).
// If a batch statement fails, its webhooks are written again one by one, so one that cannot be written
// fails alone and the others are answered 200.
import { CompiledQuery } from 'kysely';
import type { Db } from '../db/database.js';
import type { MessageRow, StatusRow } from './inbound-store.js';

export interface Written {
  messages: number;
  statuses: number;
}

/** Writes one webhook's rows on its own (the path every webhook took before group commit). */
export type WriteOne = (messages: MessageRow[], statuses: StatusRow[]) => Promise<Written>;

interface Pending {
  messages: MessageRow[];
  statuses: StatusRow[];
  resolve(w: Written): void;
  reject(e: unknown): void;
}

/** Rows in one batch at most: a batch stays a few hundred kilobytes and one short statement. */
export const MAX_BATCH_ROWS = 1000;

const MESSAGE_COLUMNS = 8;
const STATUS_COLUMNS = 7;

/** The next power of two: batches are padded to one of a dozen sizes, so a dozen statements cover them all. */
const bucket = (n: number) => (n <= 1 ? n : 2 ** Math.ceil(Math.log2(n)));

function placeholders(rows: number, columns: number, from: number, casts: readonly string[] = []): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(`$${from + r * columns + c + 1}${casts[c] ?? ''}`);
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

const statements = new Map<string, string>();

/** The statement for m message rows and s status rows (both already bucket sizes), built once. */
function statementFor(m: number, s: number): string {
  const key = `${m}:${s}`;
  let text = statements.get(key);
  if (text) return text;
  const ctes: string[] = [];
  if (m) ctes.push(`m as (insert into inbound_messages (wamid, phone_number_id, sender_key, wa_id_index, bsuid_index, type, sent_at, payload)
    values ${placeholders(m, MESSAGE_COLUMNS, 0)} on conflict (wamid) do nothing returning wamid)`);
  if (s) ctes.push(`s as (insert into status_events (wamid, status, occurred_at, callback_data, recipient_index, error_code, details)
    values ${placeholders(s, STATUS_COLUMNS, m * MESSAGE_COLUMNS, ['', '', '', '', '', '::int', '::jsonb'])} on conflict (wamid, status) do nothing returning wamid, status)`);
  const selects = [...(m ? ['select wamid, null::text as status from m'] : []), ...(s ? ['select wamid, status from s'] : [])];
  text = `with ${ctes.join(', ')} ${selects.join(' union all ')}`;
  statements.set(key, text);
  return text;
}

const statusKey = (wamid: string, status: string) => `${wamid}\u0001${status}`;

export class IntakeWriter {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  /**
   * @param maxInFlight batches written at once. One keeps arrival order across batches (ids are taken in the
   *   order webhooks were handed in, which the inbound worker's per-patient order follows) and is plenty: a
   *   batch gathers everything that arrived during one commit.
   */
  constructor(private readonly db: Db, private readonly writeOne: WriteOne, private readonly maxInFlight = 1) {}

  /** Resolves once the rows are committed, with how many of each were new. */
  write(messages: MessageRow[], statuses: StatusRow[]): Promise<Written> {
    return new Promise<Written>((resolve, reject) => {
      this.queue.push({ messages, statuses, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private take(): Pending[] {
    const batch: Pending[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const size = next.messages.length + next.statuses.length;
      if (batch.length > 0 && rows + size > MAX_BATCH_ROWS) break;
      batch.push(this.queue.shift()!);
      rows += size;
    }
    return batch;
  }

  private async flush(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const p = batch[0]!;
      await this.writeOne(p.messages, p.statuses).then(p.resolve, p.reject);
      return;
    }
    let inserted: { wamid: string; status: string | null }[];
    try {
      inserted = await this.insert(batch);
    } catch {
      // Something in the batch cannot be written: each webhook on its own, so only that one fails.
      await Promise.all(batch.map((p) => this.writeOne(p.messages, p.statuses).then(p.resolve, p.reject)));
      return;
    }
    const newMessages = new Set<string>();
    const newStatuses = new Set<string>();
    for (const r of inserted) {
      if (r.status === null) newMessages.add(r.wamid);
      else newStatuses.add(statusKey(r.wamid, r.status));
    }
    // The first webhook of the batch to carry a new key is the one it is new for.
    for (const p of batch) {
      let messages = 0;
      let statuses = 0;
      for (const m of p.messages) if (newMessages.delete(m.wamid)) messages++;
      for (const s of p.statuses) if (newStatuses.delete(statusKey(s.wamid, s.status))) statuses++;
      p.resolve({ messages, statuses });
    }
  }

  private async insert(batch: Pending[]): Promise<{ wamid: string; status: string | null }[]> {
    const messages = batch.flatMap((p) => p.messages);
    const statuses = batch.flatMap((p) => p.statuses);
    const m = bucket(messages.length);
    const s = bucket(statuses.length);
    const values: unknown[] = [];
    // Padding repeats the last row: ON CONFLICT DO NOTHING skips the copy, RETURNING does not list it.
    for (let i = 0; i < m; i++) {
      const r = messages[Math.min(i, messages.length - 1)]!;
      values.push(r.wamid, r.phone_number_id, r.sender_key, r.wa_id_index, r.bsuid_index, r.type, r.sent_at, r.payload);
    }
    for (let i = 0; i < s; i++) {
      const r = statuses[Math.min(i, statuses.length - 1)]!;
      values.push(r.wamid, r.status, r.occurred_at, r.callback_data, r.recipient_index, r.error_code, r.details);
    }
    const r = await this.db.executeQuery<{ wamid: string; status: string | null }>(CompiledQuery.raw(statementFor(m, s), values));
    return r.rows;
  }
}
