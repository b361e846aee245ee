// Console sessions: a random 256-bit token in the `pl_session` cookie (HttpOnly, SameSite=Strict, Path=/,
// Secure behind an https PUBLIC_URL), a server-side row keyed by the token's SHA-256 (the table holds no usable
// token), a CSRF token per session (the synchronizer token that src/http/api.ts checks on every state-changing
// request), idle expiry (last_seen_at, moved at most once a minute) and absolute expiry (expires_at).
// Revocation is a column: logout, a disabled user, a new password or role end sessions at once.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { DbOrTx } from '../db/database.js';
import type { StaffRole } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';

export const SESSION_COOKIE = 'pl_session';
/** How long the half-logged-in state (password accepted, TOTP due) lasts. */
export const PENDING_TTL_MS = 5 * 60_000;
/** last_seen_at is written at most this often: one write a minute per session, not one per request. */
const TOUCH_EVERY_MS = 60_000;

export function sha256Hex(s: string): string {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex');
}

export function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export interface SessionDeps {
  config: Config;
  clock: Clock;
}

// The cookie is read and written here rather than through @fastify/cookie: its value is always base64url (no
// encoding), its attributes are fixed, and the /api hook reads it before any route plugin's hooks run.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The pl_session token a request carries, if it is well formed (the first one, as browsers send it). */
export function cookieOf(req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const v = part.slice(eq + 1).trim();
    return TOKEN_SHAPE.test(v) ? v : null;
  }
  return null;
}

function serialize(config: Config, value: string, maxAgeSeconds: number): string {
  const secure = config.publicUrl.startsWith('https://') ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string, expiresAt: Date, now: Date): void {
  reply.header('set-cookie', serialize(config, token, Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000))));
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.header('set-cookie', serialize(config, '', 0));
}

export interface NewSession {
  token: string;
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(db: DbOrTx, deps: SessionDeps, userId: string, ip: string | null, opts: { pending: boolean }): Promise<NewSession> {
  const now = deps.clock.now();
  const token = randomToken();
  const id = sha256Hex(token);
  const csrfToken = randomToken();
  const expiresAt = new Date(now.getTime() + (opts.pending ? PENDING_TTL_MS : deps.config.staff.sessionMaxHours * 3_600_000));
  await db.insertInto('staff_sessions').values({ id, user_id: userId, csrf_token: csrfToken, created_at: now, last_seen_at: now, expires_at: expiresAt, pending_totp: opts.pending, ip }).execute();
  return { token, id, csrfToken, expiresAt };
}

export async function revokeSession(db: DbOrTx, id: string, now: Date): Promise<void> {
  await db.updateTable('staff_sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Ends every session of the user, but `exceptId` (the caller's own, after a password change). */
export async function revokeUserSessions(db: DbOrTx, userId: string, now: Date, exceptId?: string): Promise<void> {
  let q = db.updateTable('staff_sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (exceptId) q = q.where('id', '<>', exceptId);
  await q.execute();
}

export interface LiveSession {
  id: string;
  userId: string;
  role: StaffRole;
  csrfToken: string;
  pending: boolean;
}

/**
 * The session a cookie token names, if it is live: not revoked, within its absolute and idle limits, of an
 * enabled user. `pending` sessions are returned only when asked for (the TOTP step); full ones otherwise.
 */
export async function liveSession(db: DbOrTx, deps: SessionDeps, token: string, opts: { pending: boolean }): Promise<LiveSession | null> {
  const now = deps.clock.now();
  const row = await db.selectFrom('staff_sessions as s').innerJoin('staff_users as u', 'u.id', 's.user_id')
    .select(['s.id', 's.user_id', 's.csrf_token', 's.last_seen_at', 's.expires_at', 's.revoked_at', 's.pending_totp', 'u.role', 'u.disabled_at'])
    .where('s.id', '=', sha256Hex(token)).executeTakeFirst();
  if (!row || row.revoked_at !== null || row.disabled_at !== null || row.pending_totp !== opts.pending) return null;
  if (new Date(row.expires_at).getTime() <= now.getTime()) return null;
  const idleMs = deps.config.staff.sessionIdleMinutes * 60_000;
  const seen = new Date(row.last_seen_at).getTime();
  if (!opts.pending && seen + idleMs <= now.getTime()) return null;
  if (!opts.pending && now.getTime() - seen >= TOUCH_EVERY_MS) {
    await db.updateTable('staff_sessions').set({ last_seen_at: now }).where('id', '=', row.id).where('last_seen_at', '<', new Date(now.getTime() - TOUCH_EVERY_MS)).execute();
  }
  return { id: row.id, userId: row.user_id, role: row.role, csrfToken: row.csrf_token, pending: row.pending_totp };
}

/** The live console session of a request's cookie, if any (the sandbox pages ask this on a public HOST). */
export async function sessionFromRequest(db: DbOrTx, deps: SessionDeps, req: FastifyRequest): Promise<LiveSession | null> {
  const token = cookieOf(req);
  return token ? liveSession(db, deps, token, { pending: false }) : null;
}
