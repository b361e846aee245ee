// The operator CLI: `patientline <command>`. `start` is what `npm start` runs. Every failure a user can
// cause (bad configuration, a locked DATA_DIR, an unreachable database) ends in one clear line, not a stack.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/lock.js';
import { databaseOptions, migrate, openDatabase } from './db/database.js';
import { landingPlugin } from './http/landing.js';
import { startServer } from './main.js';
import { clinicName, sandboxPlugin } from './sandbox/index.js';
import { registerSchedulingCommands } from './scheduling/cli.js';

interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

function config(extra: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...extra });
}

const commands: Record<string, Command> = {
  start: {
    summary: 'migrate the database and start the server (and its workers)',
    usage: 'patientline start',
    async run() {
      const cfg = config();
      const running = await startServer(cfg, {
        plugins: (s) => [landingPlugin({ sandbox: cfg.sandbox, adminEmail: cfg.adminEmail }), ...(cfg.sandbox ? [sandboxPlugin(s)] : [])],
      });
      const base = running.url;
      const row = (label: string, value: string) => `  ${`${label}:`.padEnd(17)} ${value}`;
      const lines = [
        `PatientLine is running on ${base} (${cfg.sandbox ? 'sandbox mode: simulated WhatsApp Cloud API' : 'WhatsApp Cloud API'}, database: ${cfg.databaseUrl ? 'PostgreSQL server' : `embedded in ${cfg.dataDir}`})`,
      ];
      if (cfg.sandbox) {
        const clinic = await clinicName(running.services.database.db);
        const w = cfg.whatsapp;
        lines.push(
          row('patient phone', `${base}/sandbox   ← open it, type "Hello" and press Enter${clinic ? ` (clinic: ${clinic})` : ''}`),
          row('staff console', `${base}/`),
          row('demo login', `${cfg.adminEmail ?? '(none)'} / ${cfg.adminPassword ?? '(none)'}`),
          // What a developer needs to point any Cloud API client library at the simulated Graph API.
          row('Graph API', `${base}/sandbox/graph   ← base URL (as WHATSAPP_API_URL) for any Cloud API client`),
          row('API version', w.apiVersion),
          row('phone number id', w.phoneNumberId),
          row('WABA id', w.businessAccountId),
          row('access token', w.accessToken),
        );
      }
      lines.push(
        row('webhook', `${base}/webhooks/whatsapp`),
        row('health', `${base}/healthz · ${base}/readyz · ${base}/metrics`),
      );
      process.stdout.write(lines.join('\n') + '\n');
      let shuttingDown = false;
      const shutdown = (signal: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        running.services.log.info({ signal }, 'shutting down');
        running.stop().then(() => process.exit(0), () => process.exit(1));
        setTimeout(() => process.exit(1), 15_000).unref();
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      return new Promise<number>(() => {});
    },
  },
  migrate: {
    summary: 'apply pending database migrations and exit',
    usage: 'patientline migrate',
    async run() {
      const cfg = config();
      const database = await openDatabase(databaseOptions(cfg));
      try {
        const applied = await migrate(database.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};

registerSchedulingCommands(registerCommand);

export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

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
