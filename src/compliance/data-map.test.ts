// The data map classifies every column of the migrated schema, and names none that does not exist: a
// migration that adds a column without classifying it fails here, with the table.column to add and where.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { DATA_MAP, dataMapMarkdown, dataMapProblems } from './data-map.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});

async function schemaColumns(): Promise<{ table: string; column: string }[]> {
  const r = await sql<{ table: string; column: string }>`select table_name as table, column_name as column from information_schema.columns
    where table_schema = current_schema() order by table_name, ordinal_position`.execute(database.db);
  return r.rows;
}

describe('data map', () => {
  it('classifies every column of the migrated schema and names no column that does not exist', async () => {
    const columns = await schemaColumns();
    expect(columns.length).toBeGreaterThan(150);
    expect(dataMapProblems(columns)).toEqual([]);
  });

  it('says exactly which table.column to add, and where, when a migration adds one', async () => {
    await sql`alter table patients add column nickname text`.execute(database.db);
    await sql`create table visit_notes (id uuid primary key, patient_id uuid)`.execute(database.db);
    try {
      const problems = dataMapProblems(await schemaColumns());
      expect(problems).toContain("column patients.nickname is not classified: add `nickname: { class: ... }` to the columns of table 'patients' in DATA_MAP (src/compliance/data-map.ts)");
      expect(problems.find((p) => p.startsWith('table visit_notes (id, patient_id) is not in the data map'))).toMatch(/src\/compliance\/data-map\.ts/);
      expect(problems).toHaveLength(2);
    } finally {
      await sql`alter table patients drop column nickname`.execute(database.db);
      await sql`drop table visit_notes`.execute(database.db);
    }
  });

  it('names a mapped column the database lacks', () => {
    const columns = DATA_MAP.flatMap((t) => Object.keys(t.columns).map((column) => ({ table: t.table, column }))).filter((c) => !(c.table === 'outbox' && c.column === 'to_phone'));
    expect(dataMapProblems(columns)).toEqual(["column outbox.to_phone is in the data map but not in the database: remove it from table 'outbox' in DATA_MAP (src/compliance/data-map.ts)"]);
  });

  it('prints as a Markdown table, one row per table', () => {
    const md = dataMapMarkdown().trim().split('\n');
    expect(md).toHaveLength(DATA_MAP.length + 2);
    expect(md.find((l) => l.startsWith('| status_events |'))).toBe('| status_events | by phone/BSUID, via outbox.wamid | statuses | deleted | rows deleted after RETENTION_MESSAGE_DAYS by received_at | operational: id, status, occurred_at, received_at, error_code, applied_at, attempts, next_attempt_at, expired_at; pseudonymous: wamid, callback_data, details; identifier_clear: recipient; identifier_index: recipient_index |');
    expect(md.find((l) => l.startsWith('| audit_log |'))).toMatch(/\| kept: accountability/);
  });

  it('seals every PHI column, exports no secret, and keeps the audit trail on erasure', () => {
    for (const t of DATA_MAP) {
      for (const [name, c] of Object.entries(t.columns)) {
        if (c.class === 'phi_sealed') expect(c.sealed, `${t.table}.${name}`).toBeDefined();
      }
    }
    expect(DATA_MAP.find((t) => t.table === 'audit_log')?.erase.action).toBe('keep');
    const keys = DATA_MAP.find((t) => t.table === 'data_keys');
    expect(keys?.erase.action).toBe('shred');
    expect(keys?.export).toBeUndefined();
  });
});
