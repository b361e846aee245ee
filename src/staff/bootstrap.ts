// Staff users outside the API: the first admin from ADMIN_EMAIL/ADMIN_PASSWORD at start, `patientline
// create-user`, and `patientline reset-user` (a lost password or authenticator, a locked account). Each
// audits what it did as the system.
import { recordAudit } from '../compliance/audit.js';
import { ConfigError, SANDBOX_ADMIN_PASSWORD, type Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { StaffRole } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { assertStrongPassword, hashPassword, passwordWeakness } from './passwords.js';
import { revokeUserSessions } from './sessions.js';
import { findUserByEmail, insertUser, updateUser, type StaffUser } from './users-repo.js';

/** Creates the user, or answers null when the e-mail is taken. Throws `weak_password`. */
export async function createStaffUser(db: Db, u: { email: string; displayName: string; role: StaffRole; password: string; now: Date; by: string; skipStrength?: boolean }): Promise<StaffUser | null> {
  if (!u.skipStrength) assertStrongPassword(u.password, [u.email, u.displayName]);
  const passwordHash = await hashPassword(u.password);
  return db.transaction().execute(async (tx) => {
    const user = await insertUser(tx, { email: u.email, displayName: u.displayName, role: u.role, passwordHash, now: u.now });
    if (user) await recordAudit(tx, { actor: { type: 'system', id: u.by }, action: 'user.create', target: `user:${user.id}`, details: { role: user.role }, at: u.now });
    return user;
  });
}

/**
 * ADMIN_EMAIL + ADMIN_PASSWORD: the first admin, created when no user has that e-mail (a later change of
 * ADMIN_PASSWORD does not touch an existing account). The sandbox's demo password may skip the
 * common-password rule in sandbox mode only; a weak ADMIN_PASSWORD elsewhere stops start-up.
 */
export async function bootstrapAdmin(db: Db, config: Config, now: Date): Promise<StaffUser | null> {
  const { adminEmail: email, adminPassword: password } = config;
  if (!email || !password) return null;
  if (await findUserByEmail(db, email)) return null;
  const demo = config.sandbox && password === SANDBOX_ADMIN_PASSWORD;
  const weak = passwordWeakness(password, [email]);
  if (weak && !demo) throw new ConfigError('ADMIN_PASSWORD', `is too weak (${weak.reason}): use at least 12 characters that are not a common password`);
  try {
    return await createStaffUser(db, { email, displayName: 'Administrator', role: 'admin', password, now, by: 'bootstrap', skipStrength: demo });
  } catch (e) {
    if (e instanceof AppError && e.code === 'weak_password') throw new ConfigError('ADMIN_PASSWORD', 'is too weak');
    throw e;
  }
}

export interface Reset {
  passwordHash?: string;
  /** Drops the enrolled authenticator: the next sign-in enrols a new one where TOTP is due. */
  totp?: boolean;
  unlock?: boolean;
}

/** Null when no user has the e-mail. A new password or a dropped authenticator ends every session. */
export async function resetStaffUser(db: Db, email: string, r: Reset, now: Date): Promise<StaffUser | null> {
  return db.transaction().execute(async (tx) => {
    const u = await findUserByEmail(tx, email);
    if (!u) return null;
    const updated = await updateUser(tx, u.id, {
      ...(r.passwordHash ? { password_hash: r.passwordHash, password_changed_at: now } : {}),
      ...(r.totp ? { totp_secret: null, totp_pending_secret: null, totp_enabled: false } : {}),
      ...(r.unlock || r.passwordHash ? { failed_logins: 0, locked_until: null } : {}),
    }, now);
    if (r.passwordHash || r.totp) await revokeUserSessions(tx, u.id, now);
    const base = { actor: { type: 'system' as const, id: 'cli' }, target: `user:${u.id}`, at: now };
    await recordAudit(tx, [
      ...(r.passwordHash ? [{ ...base, action: 'auth.password_reset' }] : []),
      ...(r.totp ? [{ ...base, action: 'auth.totp_reset' }] : []),
      ...(r.unlock ? [{ ...base, action: 'user.unlock' }] : []),
    ]);
    return updated;
  });
}
