// Logging: one pino instance, created once by the composition root (createLogger), handed to every module
// and to Fastify (`loggerInstance`); modules log through child loggers (per worker, job or request). Logs
// carry ids and codes, never PHI: the redact list is a safety net for paths that could hold patient data
// if someone logs a whole object by mistake, and errorSummary keeps what may be logged of an error.
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export const PHI_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'body',
  'text',
  'name',
  'phone',
  'waId',
  'wa_id',
  'from',
  'to',
  'profile',
  'payload',
  '*.body',
  '*.text',
  '*.name',
  '*.phone',
  '*.wa_id',
  '*.waId',
  '*.from',
  '*.to',
  '*.profile',
  '*.payload',
  '*.caption',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: PHI_REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'patientline' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  };
}

export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}

/** What may be logged of an error: its class, code and message (our errors never carry PHI). */
export function errorSummary(e: unknown): { type: string; code?: string; message: string } {
  if (e instanceof Error) {
    const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined;
    // Database errors (SQLSTATE codes) may quote values from the statement: keep only their code.
    const message = code && /^[0-9A-Z]{5}$/.test(code) ? 'database error' : e.message.slice(0, 300);
    return { type: e.name, ...(code ? { code } : {}), message };
  }
  return { type: typeof e, message: 'non-error thrown' };
}
