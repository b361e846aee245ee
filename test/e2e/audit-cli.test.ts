// `patientline audit-verify` from an operator's shell: exit 0 with the chain's length and head, and exit 1
// naming the first entry that was changed in SQL behind the append-only trigger's back.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { recordAudit, SYSTEM } from '../../src/compliance/audit.js';
import { migrate, openDatabase } from '../../src/db/database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...args], {
    cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8', timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('patientline audit-verify', () => {
  it('verifies the chain, then names the entry edited in SQL', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-audit-'));
    const open = () => openDatabase({ dataDir });
    let database = await open();
    await migrate(database.db);
    for (let i = 0; i < 5; i++) {
      await database.db.transaction().execute((tx) => recordAudit(tx, { actor: SYSTEM('test'), action: 'test.entry', details: { i } }));
    }
    await database.close();

    const ok = cli(['audit-verify'], { DATA_DIR: dataDir });
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^audit trail intact: 5 entries in 1 chain, head [0-9a-f]{64}$/m);

    database = await open();
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(database.db);
    await sql`update audit_log set action = 'test.forged' where id = 3`.execute(database.db);
    await database.close();
    const broken = cli(['audit-verify'], { DATA_DIR: dataDir });
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/audit trail broken: entry 3 of chain \d+ was changed after it was written \(2 entries before it verify\)/);
  });
});
