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
