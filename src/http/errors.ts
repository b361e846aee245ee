// The one error type of the HTTP surface: a stable code, an HTTP status and PHI-free details, rendered as
// RFC 9457 problem+json. Callers match codes, never message text.
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  [k: string]: unknown;
}

export function problem(code: string, status: number, title: string, detail?: string, extra?: Record<string, unknown>): Problem {
  return { type: `https://patientline.dev/problems/${code}`, title, status, code, ...(detail ? { detail } : {}), ...extra };
}
