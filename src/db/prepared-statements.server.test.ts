// DATABASE_PREPARED_STATEMENTS decides what goes over the wire: named prepared statements (planned once per
// connection) or unnamed ones, which PgBouncer in transaction mode and RDS Proxy accept. Checked from the
// server's side: pg_prepared_statements lists the named statements of the session that asks.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { loadConfig } from '../config.js';
import { databaseOptions, openDatabase, type Db } from './database.js';

let server: TestDatabase;
beforeAll(async () => {
  server = await createTestDatabase();
});
afterAll(() => server.close());

/** Runs parameterised queries, then asks the same session (a pool of one) which named statements it holds. */
async function preparedAfterQueries(db: Db): Promise<string[]> {
  await db.selectFrom('patients').select('id').where('id', '=', '00000000-0000-4000-8000-000000000000').execute();
  await db.selectFrom('clinics').select('code').where('code', '=', 'demo').where('name', '<>', 'x').execute();
  await db.selectFrom('clinics').select('code').where('code', '=', 'other').where('name', '<>', 'y').execute();
  const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements order by statement`.execute(db);
  return rows.map((r) => r.statement);
}

function serverUrl(): string {
  if (!server.url) throw new Error('this file runs on the server project only');
  return server.url;
}

describe('DATABASE_PREPARED_STATEMENTS', () => {
  it('on by default: each parameterised statement is prepared once, by name, on the connection', async () => {
    const config = loadConfig({ DATABASE_URL: serverUrl() });
    expect(config.databasePreparedStatements).toBe(true);
    const database = await openDatabase({ ...databaseOptions(config), poolSize: 1 });
    try {
      const statements = await preparedAfterQueries(database.db);
      // Two distinct statements (the clinics one ran twice with other values).
      expect(statements).toHaveLength(2);
      expect(statements.filter((s) => s.includes('"patients"'))).toHaveLength(1);
      expect(statements.filter((s) => s.includes('"clinics"'))).toHaveLength(1);
    } finally {
      await database.close();
    }
  });

  it.each(['0', 'false', 'no'])('off (%s): every query goes unnamed, as a transaction pooler needs', async (value) => {
    const config = loadConfig({ DATABASE_URL: serverUrl(), DATABASE_PREPARED_STATEMENTS: value });
    expect(config.databasePreparedStatements).toBe(false);
    const database = await openDatabase({ ...databaseOptions(config), poolSize: 1 });
    try {
      expect(await preparedAfterQueries(database.db)).toEqual([]);
      // The same queries still answer.
      const { rows } = await sql<{ n: number }>`select ${41}::int + 1 as n`.execute(database.db);
      expect(rows).toEqual([{ n: 42 }]);
    } finally {
      await database.close();
    }
  });
});
