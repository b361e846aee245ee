// Messages between the benchmark (parent) and a server under test (bench/target.ts, a child process).
import { z } from 'zod';

export const targetSpecSchema = z.object({
  kind: z.enum(['app', 'bare']),
  /** A server database; unset = PGlite in dataDir. */
  databaseUrl: z.string().optional(),
  dataDir: z.string(),
  workers: z.boolean(),
  graphUrl: z.string(),
  token: z.string(),
  appSecret: z.string(),
  phoneNumberId: z.string(),
  encryptionKey: z.string(),
  mps: z.number().int().positive().optional(),
  /** Outbox rows to create before the run (the messages the status mix reports on): ids 1…rows. */
  seedOutbox: z.object({ rows: z.number().int().nonnegative(), wamidPrefix: z.string(), token: z.string() }).optional(),
});
export type TargetSpec = z.infer<typeof targetSpecSchema>;

export const parentMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('verify'), ids: z.array(z.string()) }),
  z.object({ type: z.literal('stats') }),
  z.object({ type: z.literal('cpu') }),
  z.object({ type: z.literal('backlog') }),
  /** BENCH_CPU_PROF_WINDOW: profile the server over the measured window only (start, then stop into `file`). */
  z.object({ type: z.literal('profile'), action: z.enum(['start', 'stop']), file: z.string().optional() }),
  z.object({ type: z.literal('stop') }),
]);
export type ParentMessage = z.infer<typeof parentMessageSchema>;

export const childMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), url: z.string(), serverVersion: z.string() }),
  z.object({ type: z.literal('verified'), rows: z.number(), distinct: z.number(), missing: z.number(), unexpected: z.number() }),
  z.object({ type: z.literal('stats'), stats: z.record(z.string(), z.number()) }),
  /** process.cpuUsage() of the target, user + system, in ms. */
  z.object({ type: z.literal('cpu'), ms: z.number() }),
  /** Work intake left behind: inbound messages not processed yet, statuses never tried, held ones, applied ones. */
  z.object({ type: z.literal('backlog'), inboundPending: z.number(), statusesNew: z.number(), statusesHeld: z.number(), statusesApplied: z.number(), statusesOursUnapplied: z.number() }),
  z.object({ type: z.literal('profiled') }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('failed'), error: z.string() }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

/** The environment PatientLine is configured with for a spec (bench/target.ts, and `npm start` in the reminders run). */
export function appEnv(spec: TargetSpec, logLevel: string): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: spec.dataDir,
    WHATSAPP_API_URL: spec.graphUrl,
    WHATSAPP_ACCESS_TOKEN: spec.token,
    WHATSAPP_PHONE_NUMBER_ID: spec.phoneNumberId,
    WHATSAPP_BUSINESS_ACCOUNT_ID: '102290129340398',
    WHATSAPP_APP_SECRET: spec.appSecret,
    WHATSAPP_VERIFY_TOKEN: 'bench-verify-token',
    ENCRYPTION_KEY: spec.encryptionKey,
    LOG_LEVEL: logLevel,
    WORKERS: spec.workers ? '1' : '0',
    ...(spec.databaseUrl ? { DATABASE_URL: spec.databaseUrl } : {}),
    // The workers' pool size can be tried from the benchmark's environment.
    ...(process.env['DATABASE_WORKER_CONNECTIONS'] ? { DATABASE_WORKER_CONNECTIONS: process.env['DATABASE_WORKER_CONNECTIONS'] } : {}),
    ...(spec.mps ? { WHATSAPP_MPS: String(spec.mps) } : {}),
  };
}
