// The environment table of shared/ARCHITECTURE.md, read and validated once. This is the only module that
// reads process.env; everything else receives the frozen Config object.
import { z } from 'zod';

export const CURRENT_GRAPH_VERSION = 'v26.0';
export const SANDBOX_PHONE_NUMBER_ID = '100000000000001';
export const SANDBOX_BUSINESS_ACCOUNT_ID = '200000000000001';
export const SANDBOX_APP_SECRET = 'patientline-sandbox-app-secret';
export const SANDBOX_VERIFY_TOKEN = 'patientline-sandbox-verify-token';
export const SANDBOX_ADMIN_EMAIL = 'admin@demo.patientline.local';
export const SANDBOX_ADMIN_PASSWORD = 'demo-clinic-2026!';

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'], { message: 'must be 1 or 0' })
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const positiveInt = (max: number) =>
  z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const url = z.url({ message: 'must be a URL such as http://host:port' }).transform((u) => u.replace(/\/+$/, ''));
const nonEmpty = z.string().trim().min(1, 'must not be empty');

/**
 * The workers' own connections on a PostgreSQL server: inbound processing takes all but two, in parallel lanes.
 * Ten (eight lanes), not six: at 50 messages a second on a 2-core machine, four lanes queued the messages behind
 * each other's round trips (reply p50 475–1,824 ms against 330–607 ms with eight lanes, three paired runs).
 */
export const DEFAULT_WORKER_CONNECTIONS = 10;

/** Meta's default throughput for a registered number, messages per second (inbound + outbound, all types). */
export const DEFAULT_WHATSAPP_MPS = 80;

const envSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535).default(3000),
  HOST: nonEmpty.default('127.0.0.1'),
  PUBLIC_URL: url.optional(),
  DATA_DIR: nonEmpty.default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  WHATSAPP_API_URL: url.optional(),
  WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v26.0').default(CURRENT_GRAPH_VERSION),
  WHATSAPP_ACCESS_TOKEN: nonEmpty.optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the numeric phone number id').optional(),
  WHATSAPP_BUSINESS_ACCOUNT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the numeric WABA id').optional(),
  WHATSAPP_APP_SECRET: nonEmpty.optional(),
  WHATSAPP_VERIFY_TOKEN: nonEmpty.optional(),
  WHATSAPP_MPS: positiveInt(1000).default(DEFAULT_WHATSAPP_MPS),
  WHATSAPP_SEND_TIMEOUT_MS: positiveInt(120_000).default(10_000),
  WHATSAPP_RECONCILE_MS: positiveInt(3_600_000).default(15_000),
  WHATSAPP_RESTART_WAIT_MS: positiveInt(3_600_000).default(60_000),
  ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be a base64-encoded 32-byte key (openssl rand -base64 32)')
    .optional(),
  // During a key rotation: the keys that wrapped data keys before ENCRYPTION_KEY (comma-separated, base64).
  ENCRYPTION_KEYS_PREVIOUS: z
    .string()
    .refine((v) => v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length === 32), 'must be comma-separated base64-encoded 32-byte keys')
    .optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_EMAIL: z.email({ message: 'must be an e-mail address' }).optional(),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  ADMIN_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  // How long a patient stays verified (date of birth + one-time code) in a conversation.
  VERIFICATION_TTL_MINUTES: positiveInt(24 * 60).default(15),
  SEED_DEMO: flag.optional(),
  SESSION_IDLE_MINUTES: positiveInt(24 * 60).default(30),
  SESSION_MAX_HOURS: positiveInt(24 * 30).default(12),
  LOGIN_MAX_FAILURES: positiveInt(100).default(5),
  LOGIN_LOCK_MINUTES: positiveInt(24 * 60).default(15),
  AUTH_RATE_LIMIT_PER_MINUTE: positiveInt(10_000).default(10),
  // Whose X-Forwarded-For to believe for the client address (audit log, sign-in rate limit): 'loopback' (a
  // proxy on this machine), addresses or CIDRs (comma-separated), 1 (anyone: only behind a proxy that
  // overwrites the header) or 0 (nobody).
  TRUST_PROXY: z.string().trim().regex(/^[\w.:/, -]+$/, 'must be loopback, addresses or CIDRs, 1 or 0').default('loopback'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
  WORKERS: flag.default(true),
  // The old generation's growth between major collections, in percent of what survived (src/lib/heap.ts); 0: V8's own.
  HEAP_GROWING_PERCENT: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must be at least 0').max(400, 'must be at most 400').default(50),
  // Off behind PgBouncer in transaction mode or RDS Proxy: a named statement lives on one server connection.
  DATABASE_PREPARED_STATEMENTS: flag.default(true),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt(600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: positiveInt(600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: positiveInt(600_000).default(65_000),
  HTTP_MAX_CONNECTIONS: positiveInt(1_000_000).default(1_000),
  // Message content (inbound and outbound payloads, media, conversation state, webhook leftovers) is purged after this.
  RETENTION_MESSAGE_DAYS: positiveInt(36_500).default(365),
  // The join link of a video visit: {room} becomes an unguessable 128-bit room name per appointment.
  VIDEO_URL_TEMPLATE: z
    .url({ protocol: /^https$/, message: 'must be an https URL such as https://meet.jit.si/{room}' })
    .refine((v) => v.includes('{room}'), 'must contain {room} (replaced by the room name of each appointment)')
    .default('https://meet.jit.si/{room}'),
  DATABASE_WORKER_CONNECTIONS: positiveInt(100).refine((v) => v >= 3, 'must be at least 3 (inbound processing, the sender and the other loops)').default(DEFAULT_WORKER_CONNECTIONS),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly sandbox: boolean;
  readonly whatsapp: {
    readonly apiUrl: string;
    readonly apiVersion: string;
    readonly accessToken: string;
    readonly phoneNumberId: string;
    readonly businessAccountId: string;
    readonly appSecret: string;
    readonly verifyToken: string;
    readonly mps: number;
    readonly sendTimeoutMs: number;
    readonly reconcileMs: number;
    /** Extra wait beyond reconcileMs for an in-doubt send whose wait spans a restart (nobody listened) or whose process died mid-send. */
    readonly restartWaitMs: number;
  };
  readonly encryptionKey: string | undefined;
  /** Keys that wrapped data keys before the current one (rotation in progress). */
  readonly previousEncryptionKeys: readonly string[];
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  readonly adminEmail: string | undefined;
  readonly adminPassword: string | undefined;
  readonly adminApiToken: string | undefined;
  /** How long identity verification lasts (VERIFICATION_TTL_MINUTES), never longer. */
  readonly verificationTtlMinutes: number;
  readonly seedDemo: boolean;
  /** Fastify's trustProxy: which peers' X-Forwarded-For gives the client address. */
  readonly trustProxy: boolean | string[];
  /** Staff sign-in (src/staff): session lifetimes, lockout, per-IP limit on the login and TOTP routes. */
  readonly staff: {
    readonly sessionIdleMinutes: number;
    readonly sessionMaxHours: number;
    readonly loginMaxFailures: number;
    readonly loginLockMinutes: number;
    readonly authRateLimitPerMinute: number;
  };
  readonly logLevel: string;
  /** Background workers (inbound processing, sender, reconciliation). Off for CLI commands. */
  readonly workers: boolean;
  /** HEAP_GROWING_PERCENT (src/lib/heap.ts), applied by `patientline start`. */
  readonly heapGrowingPercent: number;
  /** Named prepared statements on a PostgreSQL server (DATABASE_URL); turn off behind a transaction pooler. */
  readonly databasePreparedStatements: boolean;
  /** Limits of the HTTP server against slow or idle clients (README, "Operating"). */
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  /** Connections of the workers' own pool on a server (intake keeps the main pool's). */
  readonly workerConnections: number;
  /** Retention (src/compliance/retention.ts): days message content is kept. */
  readonly retention: { readonly messageDays: number };
  /** VIDEO_URL_TEMPLATE (src/scheduling): an https URL containing {room}. */
  readonly videoUrlTemplate: string;
}

function trustProxyOf(v: string): boolean | string[] {
  if (v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  return v.split(',').map((x) => x.trim()).filter(Boolean);
}

export class ConfigError extends Error {
  constructor(readonly variable: string, readonly problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default). Throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const e = parsed.data;
  const sandbox = e.WHATSAPP_ACCESS_TOKEN === undefined;
  const port = e.PORT;
  const publicUrl = e.PUBLIC_URL ?? `http://${e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST}:${port}`;
  if (!sandbox) {
    for (const name of ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const) {
      if (e[name] === undefined) throw new ConfigError(name, 'is required when WHATSAPP_ACCESS_TOKEN is set');
    }
    if (e.ENCRYPTION_KEY === undefined && e.DATABASE_URL !== undefined) {
      throw new ConfigError('ENCRYPTION_KEY', 'is required outside sandbox mode with DATABASE_URL (openssl rand -base64 32)');
    }
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', 'must not exceed HTTP_REQUEST_TIMEOUT_MS (the request timeout includes the headers)');
  }
  const config: Config = {
    port,
    host: e.HOST,
    publicUrl,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    sandbox,
    whatsapp: {
      apiUrl: e.WHATSAPP_API_URL ?? (sandbox ? `${publicUrl}/sandbox/graph` : 'https://graph.facebook.com'),
      apiVersion: e.WHATSAPP_API_VERSION,
      accessToken: e.WHATSAPP_ACCESS_TOKEN ?? 'sandbox-access-token',
      phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID ?? SANDBOX_PHONE_NUMBER_ID,
      businessAccountId: e.WHATSAPP_BUSINESS_ACCOUNT_ID ?? SANDBOX_BUSINESS_ACCOUNT_ID,
      appSecret: e.WHATSAPP_APP_SECRET ?? SANDBOX_APP_SECRET,
      verifyToken: e.WHATSAPP_VERIFY_TOKEN ?? SANDBOX_VERIFY_TOKEN,
      mps: e.WHATSAPP_MPS,
      sendTimeoutMs: e.WHATSAPP_SEND_TIMEOUT_MS,
      reconcileMs: e.WHATSAPP_RECONCILE_MS,
      restartWaitMs: e.WHATSAPP_RESTART_WAIT_MS,
    },
    encryptionKey: e.ENCRYPTION_KEY,
    previousEncryptionKeys: e.ENCRYPTION_KEYS_PREVIOUS ? e.ENCRYPTION_KEYS_PREVIOUS.split(',').map((k) => k.trim()) : [],
    metricsToken: e.METRICS_TOKEN,
    adminEmail: e.ADMIN_EMAIL ?? (sandbox ? SANDBOX_ADMIN_EMAIL : undefined),
    adminPassword: e.ADMIN_PASSWORD ?? (sandbox ? SANDBOX_ADMIN_PASSWORD : undefined),
    adminApiToken: e.ADMIN_API_TOKEN,
    verificationTtlMinutes: e.VERIFICATION_TTL_MINUTES,
    seedDemo: e.SEED_DEMO ?? sandbox,
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    staff: {
      sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
      sessionMaxHours: e.SESSION_MAX_HOURS,
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginLockMinutes: e.LOGIN_LOCK_MINUTES,
      authRateLimitPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
    },
    logLevel: e.LOG_LEVEL,
    workers: e.WORKERS,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HTTP_MAX_CONNECTIONS,
    },
    workerConnections: e.DATABASE_WORKER_CONNECTIONS,
    retention: { messageDays: e.RETENTION_MESSAGE_DAYS },
    videoUrlTemplate: e.VIDEO_URL_TEMPLATE,
  };
  return Object.freeze(config);
}
