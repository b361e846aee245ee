// The one error type of PatientLine: a stable code, an HTTP status and PHI-free details. Routes throw it;
// the app's one error handler (src/http/app.ts) renders it as RFC 9457 problem+json. Callers match codes,
// never message text. Details must never carry PHI (names, numbers, message text): they reach clients
// and logs alike.
export interface AppErrorDetails {
  /** Human-readable explanation of this occurrence (problem+json `detail`). */
  detail?: string;
  /** Further PHI-free members of the problem document. */
  [member: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    /** A short, stable summary (problem+json `title`). */
    message: string,
    readonly details?: AppErrorDetails,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(e: unknown, code?: string): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  [k: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem+json document for an AppError. */
export function problemOf(e: AppError): Problem {
  const { detail, ...extra } = e.details ?? {};
  return {
    ...extra,
    type: `https://patientline.dev/problems/${e.code}`,
    title: e.message,
    status: e.status,
    code: e.code,
    ...(typeof detail === 'string' && detail ? { detail } : {}),
  };
}
