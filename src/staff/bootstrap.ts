// Creating staff users outside the API: the first admin from ADMIN_EMAIL/ADMIN_PASSWORD at start, and
// `patientline create-user`. Both audit the creation as the system.
import { recordAudit } from '../compliance/audit.js';
import { ConfigError, SANDBOX_ADMIN_PASSWORD, type Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { StaffRole } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { assertStrongPassword, hashPassword, passwordWeakness } from './passwords.js';
import { findUserByEmail, insertUser, type StaffUser } from './users-repo.js';

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
