// `patientline create-user` and `reset-user`: staff accounts from the shell. A password never comes from the
// command line (it would sit in the shell history and in `ps`): from PATIENTLINE_PASSWORD, from standard
// input, or generated and printed once.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { databaseOptions, migrate, openDatabase } from '../db/database.js';
import { roleSchema } from '../http/api.js';
import type { Command } from '../lib/module.js';
import { createStaffUser, resetStaffUser } from './bootstrap.js';
import { generatePassword, hashPassword, passwordWeakness } from './passwords.js';

const USAGE = [
  'patientline create-user --email E --role R [--name N]',
  '',
  'Creates a staff user. R is one of admin, clinician, reception, analyst. The password is read from the',
  'PATIENTLINE_PASSWORD environment variable, else from standard input (first line), else a strong one is',
  'generated and printed once. It must have at least 12 characters and not be a common password.',
  'Uses DATABASE_URL or DATA_DIR like `start` (stop a server that uses the same DATA_DIR first).',
].join('\n');

const argsSchema = z.object({
  email: z.string().trim().max(320).pipe(z.email({ message: '--email must be an e-mail address' })),
  role: roleSchema,
  name: z.string().trim().min(1).max(120).optional(),
});

const RESET_USAGE = [
  'patientline reset-user --email E [--new-password] [--reset-totp] [--unlock]',
  '',
  'For a lost password or authenticator, or a locked account. --new-password sets a password read like',
  'create-user\'s (PATIENTLINE_PASSWORD, standard input, or generated and printed once); --reset-totp drops',
  'the enrolled authenticator (the next sign-in enrols a new one where TOTP is due); --unlock clears a',
  'lockout. A new password or a dropped authenticator ends every session of the user.',
].join('\n');

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** PATIENTLINE_PASSWORD, else stdin's first line, else a generated one; refused (null) when weak. */
async function passwordFor(command: string, inputs: string[]): Promise<{ password: string; generated: boolean } | null> {
  let password = process.env['PATIENTLINE_PASSWORD'] || (await readStdin());
  const generated = password === '';
  if (generated) password = generatePassword();
  const weak = passwordWeakness(password, inputs);
  if (weak) {
    process.stderr.write(`patientline ${command}: the password is too weak (${weak.reason}): use at least 12 characters that are not a common password\n`);
    return null;
  }
  return { password, generated };
}

const SHOWN_ONCE = 'password (shown once, store it now)';

export const staffCommands: Record<string, Command> = {
  'create-user': {
    summary: 'create a staff user (password from PATIENTLINE_PASSWORD or stdin, or generated)',
    usage: USAGE,
    async run(args) {
      const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } }, strict: true, allowPositionals: false });
      const parsed = argsSchema.safeParse(values);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        process.stderr.write(`patientline create-user: ${issue?.path[0] === 'role' ? '--role must be admin, clinician, reception or analyst' : issue?.path[0] === 'email' ? '--email must be an e-mail address' : (issue?.message ?? 'invalid arguments')}\n\nusage: ${USAGE}\n`);
        return 2;
      }
      const { email, role } = parsed.data;
      const displayName = parsed.data.name ?? email.split('@')[0]!;
      const chosen = await passwordFor('create-user', [email, displayName]);
      if (!chosen) return 1;
      const { password, generated } = chosen;
      const cfg = loadConfig(process.env);
      const database = await openDatabase(databaseOptions(cfg));
      try {
        await migrate(database.db);
        const user = await createStaffUser(database.db, { email, role, displayName, password, now: new Date(), by: 'cli' });
        if (!user) {
          process.stderr.write(`patientline create-user: a user with this e-mail already exists\n`);
          return 1;
        }
        process.stdout.write(`created user ${user.id}: ${user.email} (${user.role})\n`);
        if (generated) process.stdout.write(`${SHOWN_ONCE}: ${password}\n`);
        return 0;
      } finally {
        await database.close();
      }
    },
  },
  'reset-user': {
    summary: 'reset a staff user\'s password or authenticator, or unlock the account',
    usage: RESET_USAGE,
    async run(args) {
      const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, email: { type: 'string' }, 'new-password': { type: 'boolean' }, 'reset-totp': { type: 'boolean' }, unlock: { type: 'boolean' } }, strict: true, allowPositionals: false });
      const email = argsSchema.shape.email.safeParse(values.email);
      const what = { password: values['new-password'] === true, totp: values['reset-totp'] === true, unlock: values.unlock === true };
      if (!email.success || !(what.password || what.totp || what.unlock)) {
        process.stderr.write(`patientline reset-user: ${email.success ? 'say what to reset' : '--email must be an e-mail address'}\n\nusage: ${RESET_USAGE}\n`);
        return 2;
      }
      const chosen = what.password ? await passwordFor('reset-user', [email.data]) : null;
      if (what.password && !chosen) return 1;
      const database = await openDatabase(databaseOptions(loadConfig(process.env)));
      try {
        await migrate(database.db);
        const passwordHash = chosen ? await hashPassword(chosen.password) : undefined;
        const user = await resetStaffUser(database.db, email.data, { ...(passwordHash ? { passwordHash } : {}), totp: what.totp, unlock: what.unlock }, new Date());
        if (!user) {
          process.stderr.write('patientline reset-user: no user has this e-mail\n');
          return 1;
        }
        const done = [what.password && 'new password', what.totp && 'authenticator removed', what.unlock && 'unlocked'].filter(Boolean).join(', ');
        process.stdout.write(`reset user ${user.id}: ${done}${what.password || what.totp ? '; their sessions ended' : ''}\n`);
        if (chosen?.generated) process.stdout.write(`${SHOWN_ONCE}: ${chosen.password}\n`);
        return 0;
      } finally {
        await database.close();
      }
    },
  },
};
