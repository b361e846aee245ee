// pino options shared by the server and the CLI. Logs carry ids and codes, never PHI: the redact list is a
// safety net for paths that could hold patient data if someone logs a whole object by mistake.
import type { LoggerOptions } from 'pino';

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
