// The whole app (every module, staff included) built for app.inject() against a test database, with an
// adjustable clock, plus the few steps every staff test takes: create a user through the API, sign in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type Services } from '../../src/main.js';
import { adjustableClock, type AdjustableClock } from './clock.js';
import type { TestDatabase } from './db.js';

export const ADMIN_API_TOKEN = 'automation-'.padEnd(44, 'x');
export const STRONG = 'violet-harbour-Quill-7193';
/** One key for every app a test file starts on its database (the deployment's keys are wrapped by it). */
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

export interface StaffApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  clock: AdjustableClock;
  close(): Promise<void>;
}

/** Outside sandbox mode unless `env` says otherwise; AUTH_RATE_LIMIT_PER_MINUTE is high unless set. */
export async function startStaffApp(database: TestDatabase, env: Record<string, string> = {}): Promise<StaffApp> {
  const clock = adjustableClock();
  const config = loadConfig({
    WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v',
    WHATSAPP_API_URL: 'http://127.0.0.1:9', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-staff-')),
    LOG_LEVEL: 'silent', WORKERS: '0', ADMIN_API_TOKEN, ENCRYPTION_KEY, AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    ...env,
  });
  const running = await startServer(config, { database, listen: false, clock });
  return {
    app: running.app, services: running.services, config, clock,
    // The database belongs to the test file, which may start several apps on it.
    async close() {
      await running.app.close();
      await running.services.jobs.stop();
    },
  };
}

export const asAdminToken = { authorization: `Bearer ${ADMIN_API_TOKEN}` };

export async function createUser(app: FastifyInstance, u: { email: string; role: string; displayName?: string; password?: string }): Promise<{ id: string; email: string; password: string }> {
  const password = u.password ?? STRONG;
  const r = await app.inject({ method: 'POST', url: '/api/users', headers: asAdminToken, payload: { email: u.email, role: u.role, displayName: u.displayName ?? 'Test User', password } });
  if (r.statusCode !== 201) throw new Error(`create user: ${r.statusCode} ${r.body}`);
  return { ...(r.json() as { id: string; email: string }), password };
}

/** The pl_session cookie's value from a response, and its attributes as set. */
export function sessionCookie(r: LightMyRequestResponse): { value: string; header: string } | null {
  const raw = r.headers['set-cookie'];
  const all = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const header = all.find((c) => c.startsWith('pl_session='));
  if (!header) return null;
  return { value: header.slice('pl_session='.length).split(';')[0]!, header };
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  userId: string;
  /** Headers for a state-changing request of this session. */
  headers: Record<string, string>;
}

function signedIn(r: LightMyRequestResponse): SignedIn {
  const c = sessionCookie(r);
  const body = r.json() as { user: { id: string }; csrfToken: string };
  if (!c) throw new Error('no session cookie');
  const cookie = `pl_session=${c.value}`;
  return { cookie, csrf: body.csrfToken, userId: body.user.id, headers: { cookie, 'x-csrf-token': body.csrfToken } };
}

export function login(app: FastifyInstance, email: string, password: string, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress });
}

export async function totpCode(secret: string, clock: AdjustableClock): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });
}

/** Password (and TOTP with `secret`) to a full session; throws when the server says anything else. */
export async function signIn(s: StaffApp, email: string, password: string, secret?: string): Promise<SignedIn> {
  const r = await login(s.app, email, password);
  if (r.statusCode !== 200) throw new Error(`login: ${r.statusCode} ${r.body}`);
  const body = r.json() as { status: string };
  if (body.status === 'ok') return signedIn(r);
  if (!secret) throw new Error(`login: ${body.status}`);
  const pending = sessionCookie(r)!;
  const t = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: await totpCode(secret, s.clock) }, headers: { cookie: `pl_session=${pending.value}` } });
  if (t.statusCode !== 200) throw new Error(`totp: ${t.statusCode} ${t.body}`);
  return signedIn(t);
}

/** An admin's first sign-in outside sandbox mode: enrols TOTP on the way (totp_setup_required). */
export async function signInAdmin(s: StaffApp, email: string, password: string): Promise<SignedIn & { secret: string }> {
  const r = await login(s.app, email, password);
  const body = r.json() as { status: string; secret?: string };
  if (body.status !== 'totp_setup_required' || !body.secret) throw new Error(`admin login: ${r.statusCode} ${r.body}`);
  const t = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: await totpCode(body.secret, s.clock) }, headers: { cookie: `pl_session=${sessionCookie(r)!.value}` } });
  if (t.statusCode !== 200) throw new Error(`admin totp: ${t.statusCode} ${t.body}`);
  return { ...signedIn(t), secret: body.secret };
}
