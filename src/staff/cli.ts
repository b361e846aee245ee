// `patientline create-user`: a staff account from the shell. The password never comes from the command line
// (it would sit in the shell history and in `ps`): from PATIENTLINE_PASSWORD, from standard input, or
// generated and printed once.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { databaseOptions, migrate, openDatabase } from '../db/database.js';
import { roleSchema } from '../http/api.js';
import type { Command } from '../lib/module.js';
import { createStaffUser } from './bootstrap.js';
import { generatePassword, passwordWeakness } from './passwords.js';

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

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

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
      let password = process.env['PATIENTLINE_PASSWORD'] || (await readStdin());
      const generated = password === '';
      if (generated) password = generatePassword();
      const displayName = parsed.data.name ?? email.split('@')[0]!;
      const weak = passwordWeakness(password, [email, displayName]);
      if (weak) {
        process.stderr.write(`patientline create-user: the password is too weak (${weak.reason}): use at least 12 characters that are not a common password\n`);
        return 1;
      }
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
        if (generated) process.stdout.write(`password (shown once, store it now): ${password}\n`);
        return 0;
      } finally {
        await database.close();
      }
    },
  },
};
