// `patientline create-user` from the shell: the password from PATIENTLINE_PASSWORD or stdin (never argv),
// or generated and printed once; weak passwords, bad roles and taken e-mails refused with a clear line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseOptions, openDatabase, type Database } from '../../src/db/database.js';
import { verifyPassword } from '../../src/staff/passwords.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-create-user-'));

function cli(args: string[], opts: { env?: Record<string, string>; input?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...opts.env };
  if (!opts.env?.['PATIENTLINE_PASSWORD']) delete env['PATIENTLINE_PASSWORD'];
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...(args[0] === 'reset-user' ? [] : ['create-user']), ...args], {
    cwd: root, env, encoding: 'utf8', timeout: 120_000, input: opts.input ?? '',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function withDb<T>(fn: (db: Database['db']) => Promise<T>): Promise<T> {
  const database = await openDatabase(databaseOptions(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' })));
  try {
    return await fn(database.db);
  } finally {
    await database.close();
  }
}
const users = () => withDb((db) => db.selectFrom('staff_users').selectAll().orderBy('created_at').execute());

// Each test spawns several CLI processes (each opens the embedded database): slow on a loaded machine.
vi.setConfig({ testTimeout: 300_000 });

describe('patientline create-user', () => {
  it('explains itself with --help', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: patientline create-user --email E --role R/);
    expect(r.out).toMatch(/PATIENTLINE_PASSWORD/);
  });

  it('creates users with a password from the environment, from stdin, or generated and printed once', async () => {
    const fromEnv = cli(['--email', 'Env.User@Clinic.example', '--role', 'clinician', '--name', 'Dr Env'], { env: { PATIENTLINE_PASSWORD: 'saffron-Kettle-meadow-903' } });
    expect(fromEnv.code, fromEnv.err).toBe(0);
    expect(fromEnv.out).toMatch(/^created user [0-9a-f-]{36}: env\.user@clinic\.example \(clinician\)\n$/);
    expect(fromEnv.out).not.toContain('saffron');

    const fromStdin = cli(['--email', 'stdin@clinic.example', '--role', 'reception'], { input: 'harbour-Pencil-glacier-118\n' });
    expect(fromStdin.code, fromStdin.err).toBe(0);
    expect(fromStdin.out).not.toContain('harbour');

    const generated = cli(['--email', 'gen@clinic.example', '--role', 'admin']);
    expect(generated.code, generated.err).toBe(0);
    const password = /password \(shown once, store it now\): (\S+)/.exec(generated.out)?.[1];
    expect(password).toMatch(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);

    const rows = await users();
    const by = (email: string) => rows.find((u) => u.email === email)!;
    expect(by('env.user@clinic.example')).toMatchObject({ role: 'clinician', display_name: 'Dr Env' });
    expect(by('env.user@clinic.example').password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(by('env.user@clinic.example').password_hash, 'saffron-Kettle-meadow-903')).toBe(true);
    expect(await verifyPassword(by('stdin@clinic.example').password_hash, 'harbour-Pencil-glacier-118')).toBe(true);
    expect(await verifyPassword(by('gen@clinic.example').password_hash, password!)).toBe(true);
  });

  it('refuses a weak password, a bad role, a taken e-mail and a password on the command line', async () => {
    const weak = cli(['--email', 'weak@clinic.example', '--role', 'analyst'], { env: { PATIENTLINE_PASSWORD: 'password1234' } });
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/too weak \(common_password\)/);
    expect(weak.err + weak.out).not.toContain('password1234');
    const role = cli(['--email', 'role@clinic.example', '--role', 'superuser']);
    expect(role.code).toBe(2);
    expect(role.err).toMatch(/--role must be admin, clinician, reception or analyst/);
    const taken = cli(['--email', 'gen@clinic.example', '--role', 'analyst'], { env: { PATIENTLINE_PASSWORD: 'walnut-Signal-prairie-552' } });
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/already exists/);
    const argv = cli(['--email', 'argv@clinic.example', '--role', 'analyst', '--password', 'walnut-Signal-prairie-552']);
    expect(argv.code).not.toBe(0);
    expect((await users()).map((u) => u.email)).not.toEqual(expect.arrayContaining(['weak@clinic.example', 'role@clinic.example', 'argv@clinic.example']));
  });

  it('reset-user sets a new password, drops the authenticator, unlocks, and ends the sessions', async () => {
    const id = (await users()).find((u) => u.email === 'stdin@clinic.example')!.id;
    await withDb(async (db) => {
      await db.updateTable('staff_users').set({ totp_enabled: true, totp_secret: Buffer.from('sealed'), locked_until: new Date(Date.now() + 3_600_000), failed_logins: 3 }).where('id', '=', id).execute();
      await db.insertInto('staff_sessions').values({ id: 'f'.repeat(64), user_id: id, csrf_token: 'c', created_at: new Date(), last_seen_at: new Date(), expires_at: new Date(Date.now() + 3_600_000) }).execute();
    });
    expect(cli(['reset-user', '--email', 'stdin@clinic.example']).code).toBe(2); // nothing to reset
    const r = cli(['reset-user', '--email', 'Stdin@clinic.example', '--new-password', '--reset-totp', '--unlock'], { env: { PATIENTLINE_PASSWORD: 'lantern-Orchid-basalt-661' } });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/new password, authenticator removed, unlocked; their sessions ended/);
    const u = (await users()).find((x) => x.id === id)!;
    expect(await verifyPassword(u.password_hash, 'lantern-Orchid-basalt-661')).toBe(true);
    expect(u).toMatchObject({ totp_enabled: false, totp_secret: null, locked_until: null, failed_logins: 0 });
    const session = await withDb((db) => db.selectFrom('staff_sessions').select('revoked_at').where('id', '=', 'f'.repeat(64)).executeTakeFirstOrThrow());
    expect(session.revoked_at).not.toBeNull();
    const actions = await withDb((db) => db.selectFrom('audit_log').select('action').where('target', '=', `user:${id}`).execute());
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['auth.password_reset', 'auth.totp_reset', 'user.unlock']));
    expect(cli(['reset-user', '--email', 'nobody@clinic.example', '--unlock']).code).toBe(1);
  });
});
