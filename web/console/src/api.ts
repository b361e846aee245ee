// The one way the console talks to /api: same-origin cookies, the CSRF token on every non-GET request,
// problem+json turned into ApiError (shown to the user by its code), and a 401 sends the user back to login.
import { z } from 'zod';

/** A 400's field by field reasons (validation_failed): where (a JSON pointer) and what is wrong, in English. */
export interface ApiIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly title: string, readonly detail?: string, readonly issues: readonly ApiIssue[] = []) {
    super(title);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let unauthenticated: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called on a 401 from any route but the login steps themselves (where 401 means wrong credentials). */
export function onUnauthenticated(fn: () => void): void {
  unauthenticated = fn;
}

const LOGIN_STEPS = ['/api/auth/login', '/api/auth/totp'];

const problemSchema = z.object({
  code: z.string().optional(), title: z.string().optional(), detail: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().catch(undefined),
});

async function problemOf(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const p = problemSchema.safeParse(body);
  const { code, title, detail, issues } = p.success ? p.data : {};
  return new ApiError(res.status, code ?? `http_${res.status}`, title ?? res.statusText, detail, issues ?? []);
}

/** The raw response of a successful call; throws ApiError otherwise. */
export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'Network error');
  }
  if (res.ok) return res;
  const err = await problemOf(res);
  if (res.status === 401 && !LOGIN_STEPS.includes(path.split('?')[0] ?? '')) unauthenticated();
  throw err;
}

/** A JSON answer, checked against its schema. */
export async function api<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
  const res = await request(method, path, body);
  const parsed = schema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new ApiError(res.status, 'unexpected_response', 'Unexpected response');
  return parsed.data;
}

/** A call whose answer carries nothing the console needs (204). */
export async function send(method: string, path: string, body?: unknown): Promise<void> {
  await request(method, path, body);
}

/** A query string from the filled-in fields only. */
export function query(params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
