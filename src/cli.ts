// The operator CLI: `patientline <command>`. It only dispatches: the commands come from the modules (main.ts
// lists them); `start` is what `npm start` runs. Every failure a user can cause (bad configuration, a
// locked DATA_DIR, an unreachable database) ends in one clear line, not a stack.
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';
import { DataDirLockedError } from './db/lock.js';
import type { Command } from './lib/module.js';
import { appModules } from './main.js';

/** Every module's commands, whatever the mode (sandbox or not): `--help` lists them all. */
function collectCommands(): Record<string, Command> {
  const commands: Record<string, Command> = {};
  for (const m of appModules({ sandbox: true })) {
    for (const [name, command] of Object.entries(m.commands ?? {})) {
      if (commands[name]) throw new Error(`command "${name}" is defined by two modules`);
      commands[name] = command;
    }
  }
  return commands;
}

const commands = collectCommands();

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: patientline <command> [--help]',
    '',
    'commands:',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration is read from the environment (see README.md).',
  ].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`patientline: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, strict: false });
  if (values.help) {
    process.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    process.stderr.write(`patientline ${name}: ${describe(e)}\n`);
    return 1;
  }
}

function describe(e: unknown): string {
  if (e instanceof ConfigError) return `configuration error: ${e.message}`;
  if (e instanceof DataDirLockedError) return e.message;
  if (e instanceof Error) {
    const code = 'code' in e ? String(e.code) : '';
    if (code === 'ECONNREFUSED') return 'cannot reach the database (DATABASE_URL): connection refused';
    if (code === 'EADDRINUSE') return 'the port is already in use (set PORT to another one)';
    if (code === '3D000') return 'the database named in DATABASE_URL does not exist';
    return e.message.split('\n')[0] ?? 'failed';
  }
  return 'failed';
}
