// A PHI scan of every table, as an auditor would run it with psql and the keys: every text, JSON and array
// value is searched for the needles, and every bytea value is opened with each cipher given (the app key, a
// patient's data key while it exists) and searched too. Answers the columns where a needle was readable.
import { sql } from 'kysely';
import type { Cipher } from '../../src/compliance/crypto.js';
import type { Db } from '../../src/db/database.js';

export async function scanForPhi(db: Db, needles: readonly string[], ciphers: readonly Cipher[]): Promise<string[]> {
  const tables = await sql<{ table: string }>`select table_name as table from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`.execute(db);
  const hits = new Set<string>();
  const look = (where: string, text: string) => {
    for (const n of needles) if (text.includes(n)) hits.add(`${where} (${n})`);
  };
  for (const { table } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    for (const row of rows.rows) {
      for (const [column, v] of Object.entries(row)) {
        const where = `${table}.${column}`;
        if (v === null || v === undefined) continue;
        if (v instanceof Uint8Array) {
          look(where, Buffer.from(v).toString('utf8'));
          for (const c of ciphers) {
            try {
              look(where, c.decrypt(v).toString('utf8'));
            } catch {
              /* not sealed with this key */
            }
          }
          continue;
        }
        look(where, typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v));
      }
    }
  }
  return [...hits].sort();
}
