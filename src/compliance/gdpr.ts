// The GDPR module: export and erasure (API routes and operator commands), and retention as a daily job on
// the job queue. Everything it does is driven by the data map (data-map.ts).
//
// The daily schedule: pg-boss's cron needs its scheduler switched on (JobQueue opens it with schedule:
// false), so each run enqueues the next one — at the next 03:00 UTC, under the key `daily:<date>`, so that
// every instance (and every restart, in init) asks for the same one job. A run schedules its successor
// before it purges: a failing purge (retried by pg-boss) never breaks the chain.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig, type Config } from '../config.js';
import { databaseOptions, migrate, openDatabase, type Db } from '../db/database.js';
import { defineJob, type JobDefinition } from '../jobs/index.js';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { AppModule, Command, ModuleContext } from '../lib/module.js';
import { SYSTEM } from './audit.js';
import { createCipher, loadEncryptionKey, type Cipher } from './crypto.js';
import { gdprRoutes } from './gdpr-routes.js';
import { eraseAndRecord, exportAndRecord } from './gdpr-service.js';
import { dataMapMarkdown } from './data-map.js';
import { createKeyRing, kekOf, type KeyRing } from './keys.js';
import { purgeExpired, type PurgeResult } from './retention.js';

export const PURGE_JOB = 'retention.purge';
const PURGE_HOUR_UTC = 3;

/** The first daily run time strictly after `now`. */
export function nextPurgeAt(now: Date): Date {
  const t = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), PURGE_HOUR_UTC));
  if (t.getTime() <= now.getTime()) t.setUTCDate(t.getUTCDate() + 1);
  return t;
}

const purgePayload = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/** What the commands need, opened from the environment like `start` does (tests pass their own). */
export interface GdprServices {
  db: Db;
  cipher: Cipher;
  keys: KeyRing;
  clock: Clock;
  config: Config;
  close(): Promise<void>;
}

export async function openGdprServices(): Promise<GdprServices> {
  const config = loadConfig(process.env);
  const database = await openDatabase(databaseOptions(config));
  try {
    await migrate(database.db);
    const { key } = loadEncryptionKey(config.encryptionKey, config.dataDir);
    const keys = createKeyRing({ keks: [kekOf(key), ...config.previousEncryptionKeys.map((k) => kekOf(Buffer.from(k, 'base64')))] });
    return { db: database.db, cipher: createCipher(key), keys, clock: systemClock, config, close: () => database.close() };
  } catch (e) {
    await database.close();
    throw e;
  }
}

const CLI = SYSTEM('cli');

function describePurge(r: PurgeResult): string {
  return `purged content older than ${r.cutoff.toISOString()}: ${Object.entries(r.counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`;
}

export function gdprCommands(open: () => Promise<GdprServices> = openGdprServices): Record<string, Command> {
  const withServices = async (fn: (s: GdprServices) => Promise<number>): Promise<number> => {
    const s = await open();
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  return {
    'data-map': {
      summary: 'print the data map: every table, how it relates to a patient, export, erasure, retention',
      usage: 'patientline data-map\n\nPrints the data map (src/compliance/data-map.ts) as a Markdown table. Needs no database.',
      async run() {
        process.stdout.write(dataMapMarkdown());
        return 0;
      },
    },
    'export-patient': {
      summary: 'print everything held about a patient as JSON (GDPR access / portability)',
      usage: 'patientline export-patient <patient-id> [--out FILE]\n\nPrints the patientline-export/1 JSON document to stdout, or writes it to FILE (mode 600). Recorded in the audit trail.',
      async run(args) {
        const { values, positionals } = parseArgs({ args, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
        const id = positionals[0];
        if (!id || positionals.length > 1) {
          process.stderr.write('usage: patientline export-patient <patient-id> [--out FILE]\n');
          return 2;
        }
        return withServices(async (s) => {
          const doc = await exportAndRecord(s, id, { actor: CLI, at: s.clock.now() });
          if (!doc) {
            process.stderr.write(`no patient with id ${id}\n`);
            return 1;
          }
          const json = JSON.stringify(doc, null, 2) + '\n';
          if (values.out) {
            fs.writeFileSync(values.out, json, { mode: 0o600 });
            process.stderr.write(`export of ${id} written to ${values.out}\n`);
          } else {
            process.stdout.write(json);
          }
          return 0;
        });
      },
    },
    'erase-patient': {
      summary: 'erase a patient (GDPR erasure): shred their key, remove their data; the audit trail stays',
      usage: 'patientline erase-patient <patient-id> --confirm\n\nIn one transaction: crypto-shreds the patient\'s data key and removes their rows from every table of the data map; the audit trail keeps its entries (opaque id only) and records the erasure. Cannot be undone.',
      async run(args) {
        const { values, positionals } = parseArgs({ args, options: { confirm: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
        const id = positionals[0];
        if (!id || positionals.length > 1) {
          process.stderr.write('usage: patientline erase-patient <patient-id> --confirm\n');
          return 2;
        }
        if (!values.confirm) {
          process.stderr.write('erasure cannot be undone: run again with --confirm\n');
          return 2;
        }
        return withServices(async (s) => {
          const r = await eraseAndRecord(s, id, { actor: CLI, at: s.clock.now() });
          if (!r) {
            process.stderr.write(`no patient with id ${id}\n`);
            return 1;
          }
          process.stdout.write(`erased ${id}: ${Object.entries(r.counts).map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
          return 0;
        });
      },
    },
    'purge-expired': {
      summary: 'purge message content older than RETENTION_MESSAGE_DAYS (what the daily job does)',
      usage: 'patientline purge-expired\n\nPurges what the data map\'s retention rules give, older than RETENTION_MESSAGE_DAYS (default 365), and records it in the audit trail.',
      async run() {
        return withServices(async (s) => {
          const r = await purgeExpired(s.db, { now: s.clock.now(), messageDays: s.config.retention.messageDays });
          process.stdout.write(describePurge(r));
          return 0;
        });
      },
    },
  };
}

/** Enqueues the next daily purge (idempotent: one job per day, whoever asks). */
async function scheduleNextPurge(ctx: ModuleContext, now: Date): Promise<void> {
  const at = nextPurgeAt(now);
  const day = at.toISOString().slice(0, 10);
  await ctx.database.db.transaction().execute((tx) => ctx.jobs.enqueue(tx, PURGE_JOB, { day }, { key: `daily:${day}`, startAfter: at }));
}

export interface GdprModuleOptions {
  /** The commands' services (tests); default: opened from the environment. */
  open?: () => Promise<GdprServices>;
}

export function gdprModule(o: GdprModuleOptions = {}): AppModule {
  // The context this module instance was started with: the job's handler runs in the same process.
  let started: ModuleContext | null = null;
  const purgeJob: JobDefinition<z.infer<typeof purgePayload>> = defineJob(PURGE_JOB, purgePayload, async (_payload, job) => {
    const ctx = started;
    if (!ctx) throw new Error('the gdpr module was not initialised');
    const now = ctx.clock.now();
    await scheduleNextPurge(ctx, now);
    const r = await purgeExpired(ctx.database.background, { now, messageDays: ctx.config.retention.messageDays });
    job.log.info({ code: 'retention_purged', counts: r.counts }, 'retention purge done');
  }, { retryLimit: 5, retryDelaySeconds: 300, expireInSeconds: 3600, concurrency: 1 });
  return {
    name: 'gdpr',
    async init(ctx) {
      started = ctx;
      await scheduleNextPurge(ctx, ctx.clock.now());
    },
    api: (ctx) => gdprRoutes(ctx),
    jobs: [purgeJob],
    commands: gdprCommands(o.open),
  };
}
