// SQL for staff users. Functions take the database or a transaction first; the caller owns the transaction
// (and appends the audit entry in it).
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { StaffRole, StaffUsersTable } from '../db/schema.js';
import { AppError } from '../lib/errors.js';

export type StaffUser = Selectable<StaffUsersTable>;

/** The user as the API shows it (api-contract.md). */
export interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: StaffRole;
  totpEnabled: boolean;
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export function userView(u: StaffUser): UserView {
  return {
    id: u.id, email: u.email, displayName: u.display_name, role: u.role, totpEnabled: u.totp_enabled,
    disabled: u.disabled_at !== null, createdAt: new Date(u.created_at).toISOString(), lastLoginAt: u.last_login_at ? new Date(u.last_login_at).toISOString() : null,
  };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<StaffUser | undefined> {
  return db.selectFrom('staff_users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
}

export async function findUser(db: DbOrTx, id: string, opts: { forUpdate?: boolean } = {}): Promise<StaffUser | undefined> {
  let q = db.selectFrom('staff_users').selectAll().where('id', '=', id);
  if (opts.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export interface NewUser {
  email: string;
  displayName: string;
  role: StaffRole;
  passwordHash: string;
  now: Date;
}

/** Null when the e-mail is taken. */
export async function insertUser(db: DbOrTx, u: NewUser): Promise<StaffUser | null> {
  const row = await db.insertInto('staff_users').values({
    email: normaliseEmail(u.email), display_name: u.displayName, role: u.role, password_hash: u.passwordHash,
    password_changed_at: u.now, created_at: u.now, updated_at: u.now,
  }).onConflict((oc) => oc.column('email').doNothing()).returningAll().executeTakeFirst();
  return row ?? null;
}

export async function listUsers(db: DbOrTx, after: { c: string; id: string } | undefined, limit: number): Promise<StaffUser[]> {
  let q = db.selectFrom('staff_users').selectAll();
  if (after) q = q.where((eb) => eb.or([eb('created_at', '>', new Date(after.c)), eb.and([eb('created_at', '=', new Date(after.c)), eb('id', '>', after.id)])]));
  return q.orderBy('created_at').orderBy('id').limit(limit).execute();
}

export async function updateUser(db: DbOrTx, id: string, set: Partial<{
  display_name: string; role: StaffRole; disabled_at: Date | null; require_totp: boolean; password_hash: string; password_changed_at: Date;
  totp_secret: Uint8Array | null; totp_pending_secret: Uint8Array | null; totp_enabled: boolean; totp_last_step: number | null; last_login_at: Date; failed_logins: number; locked_until: Date | null;
}>, now: Date): Promise<StaffUser> {
  const row = await db.updateTable('staff_users').set({ ...set, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw new AppError('not_found', 404, 'Not found');
  return row;
}

/**
 * Stores `step` as the last accepted TOTP step unless an equal or later one was stored meanwhile (two
 * requests racing with the same code): true when this request won, and the code counts.
 */
export async function claimTotpStep(db: DbOrTx, id: string, step: number): Promise<boolean> {
  const r = await db.updateTable('staff_users').set({ totp_last_step: step })
    .where('id', '=', id).where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Enabled admins other than `exceptId`: the last one may not be demoted or disabled. */
export async function otherActiveAdmins(db: DbOrTx, exceptId: string): Promise<number> {
  const r = await db.selectFrom('staff_users').select(sql<number>`count(*)::int`.as('n'))
    .where('role', '=', 'admin').where('disabled_at', 'is', null).where('id', '<>', exceptId).executeTakeFirstOrThrow();
  return Number(r.n);
}
