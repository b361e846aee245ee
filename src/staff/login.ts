// Signing in: the password, then the second factor when the account has or needs one. Every refusal is the
// same 401 `invalid_credentials` (unknown e-mail, wrong password, disabled, locked, wrong code), and an
// unknown e-mail is checked against a dummy hash so that the time taken does not tell either. Failed
// passwords and failed codes count together: LOGIN_MAX_FAILURES in a row lock the account for
// LOGIN_LOCK_MINUTES (an operator alert and an audit entry). The count is reset only by a complete login, so
// knowing the password does not buy fresh TOTP guesses.
import type { FastifyRequest } from 'fastify';
import { recordAudit, type AuditEvent } from '../compliance/audit.js';
import type { Cipher } from '../compliance/crypto.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import { dummyHash, verifyPassword } from './passwords.js';
import { createSession, liveSession, revokeSession, type NewSession } from './sessions.js';
import { newTotpSecret, openTotpSecret, sealTotpSecret, verifyTotp, type TotpSetup } from './totp.js';
import { claimTotpStep, findUser, findUserByEmail, normaliseEmail, updateUser, type StaffUser } from './users-repo.js';

export interface StaffDeps {
  db: Db;
  cipher: Cipher;
  clock: Clock;
  config: Config;
}

export type LoginResult =
  | { status: 'ok'; user: StaffUser; session: NewSession }
  | { status: 'totp_required'; session: NewSession }
  | { status: 'totp_setup_required'; session: NewSession; setup: TotpSetup };

const refused = () => new AppError('invalid_credentials', 401, 'Invalid credentials');
const ANONYMOUS = { type: 'system' as const, id: 'anonymous' };

/** A second factor is due: enrolled, switched on for the user, or an admin outside sandbox mode. */
export function needsTotp(u: StaffUser, config: Config): boolean {
  return u.totp_enabled || u.require_totp || (u.role === 'admin' && !config.sandbox);
}

function isLocked(u: StaffUser, now: Date): boolean {
  return u.locked_until !== null && new Date(u.locked_until).getTime() > now.getTime();
}

export function loginDeps(deps: StaffDeps) {
  // Computed at once, not at the first unknown e-mail (whose answer would otherwise take twice as long).
  const dummy = dummyHash();
  dummy.catch(() => {});

  /** One more failure for a known user, committed before the 401 goes out; locks at the threshold. */
  async function failed(req: FastifyRequest, userId: string, reason: string): Promise<void> {
    const now = deps.clock.now();
    const { loginMaxFailures, loginLockMinutes } = deps.config.staff;
    await deps.db.transaction().execute(async (tx) => {
      const u = await findUser(tx, userId, { forUpdate: true });
      if (!u) return;
      const events: AuditEvent[] = [{ actor: ANONYMOUS, action: 'auth.login_failed', target: `user:${u.id}`, ip: req.ip, details: { reason }, at: now }];
      if (isLocked(u, now)) {
        await recordAudit(tx, events);
        return;
      }
      const count = u.failed_logins + 1;
      if (count >= loginMaxFailures) {
        const until = new Date(now.getTime() + loginLockMinutes * 60_000);
        await updateUser(tx, u.id, { failed_logins: 0, locked_until: until }, now);
        await tx.insertInto('operator_alerts').values({ code: 'staff_account_locked', message: `Staff account ${u.id} locked for ${loginLockMinutes} min after ${count} failed sign-in attempts in a row.` }).execute();
        events.push({ actor: { type: 'system', id: 'staff-auth' }, action: 'auth.locked', target: `user:${u.id}`, ip: req.ip, details: { failures: count, minutes: loginLockMinutes }, at: now });
      } else {
        await updateUser(tx, u.id, { failed_logins: count }, now);
      }
      await recordAudit(tx, events);
    });
  }

  async function succeeded(req: FastifyRequest, u: StaffUser, factor: 'password' | 'totp', extra: { totpEnrolled?: boolean } = {}): Promise<LoginResult> {
    const now = deps.clock.now();
    return deps.db.transaction().execute(async (tx) => {
      const user = await updateUser(tx, u.id, { failed_logins: 0, locked_until: null, last_login_at: now }, now);
      const session = await createSession(tx, deps, u.id, req.ip, { pending: false });
      const actor = { type: 'staff' as const, id: u.id };
      await recordAudit(tx, [
        ...(extra.totpEnrolled ? [{ actor, action: 'auth.totp_enabled', target: `user:${u.id}`, ip: req.ip, details: { at: 'login' }, at: now }] : []),
        { actor, action: 'auth.login', target: `user:${u.id}`, ip: req.ip, details: { factor }, at: now },
      ]);
      return { status: 'ok' as const, user, session };
    });
  }

  async function withPassword(req: FastifyRequest, email: string, password: string): Promise<LoginResult> {
    const now = deps.clock.now();
    const u = await findUserByEmail(deps.db, email);
    if (!u) {
      await verifyPassword(await dummy, password);
      await deps.db.transaction().execute((tx) => recordAudit(tx, {
        actor: ANONYMOUS, action: 'auth.login_failed', ip: req.ip, at: now,
        details: { reason: 'unknown_user', emailHash: deps.cipher.blindIndex(`staff-login-email:${normaliseEmail(email)}`).slice(0, 16) },
      }));
      throw refused();
    }
    const ok = await verifyPassword(u.password_hash, password);
    if (u.disabled_at !== null) {
      await failed(req, u.id, 'disabled');
      throw refused();
    }
    if (isLocked(u, now)) {
      await failed(req, u.id, 'locked');
      throw refused();
    }
    if (!ok) {
      await failed(req, u.id, 'bad_password');
      throw refused();
    }
    if (!needsTotp(u, deps.config)) return succeeded(req, u, 'password');
    return deps.db.transaction().execute(async (tx) => {
      const session = await createSession(tx, deps, u.id, req.ip, { pending: true });
      if (u.totp_enabled) return { status: 'totp_required' as const, session };
      const setup = newTotpSecret(u.email);
      await updateUser(tx, u.id, { totp_pending_secret: sealTotpSecret(deps.cipher, u.id, setup.secret) }, now);
      return { status: 'totp_setup_required' as const, session, setup };
    });
  }

  /** The second step, on the pending session's cookie token. */
  async function withTotp(req: FastifyRequest, pendingToken: string | null, code: string): Promise<LoginResult> {
    const now = deps.clock.now();
    const pending = pendingToken ? await liveSession(deps.db, deps, pendingToken, { pending: true }) : null;
    if (!pending) throw refused();
    const u = await findUser(deps.db, pending.userId);
    if (!u || u.disabled_at !== null || isLocked(u, now)) {
      await revokeSession(deps.db, pending.id, now);
      throw refused();
    }
    const enrolling = !u.totp_enabled;
    const sealed = enrolling ? u.totp_pending_secret : u.totp_secret;
    const step = sealed ? await verifyTotp(openTotpSecret(deps.cipher, u.id, sealed), code, deps.clock, u.totp_last_step) : null;
    if (step === null || !(await claimTotpStep(deps.db, u.id, step))) {
      await failed(req, u.id, 'bad_totp');
      const after = await findUser(deps.db, u.id);
      if (after && isLocked(after, deps.clock.now())) await revokeSession(deps.db, pending.id, now);
      throw refused();
    }
    // The half-logged-in session ends here; the full one gets a new token (no session fixation).
    await revokeSession(deps.db, pending.id, now);
    if (enrolling) await updateUser(deps.db, u.id, { totp_secret: sealed, totp_pending_secret: null, totp_enabled: true }, now);
    return succeeded(req, u, 'totp', { totpEnrolled: enrolling });
  }

  return { withPassword, withTotp, failed };
}

export type Login = ReturnType<typeof loginDeps>;
