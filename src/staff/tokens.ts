// API tokens for integrations: `plt_` and 256 random bits, shown once at creation; the table keeps only the
// SHA-256 (a high-entropy secret needs no slow hash). A token acts with its own role, and only while it is
// neither expired nor revoked and its creator is enabled and may still grant that role (an admin, or a
// user whose current role is the token's): demoting or disabling the creator stops their tokens at once.
import type { Selectable } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { ApiTokensTable, StaffRole } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { randomToken, sha256Hex } from './sessions.js';

export const TOKEN_PREFIX = 'plt_';
const TOUCH_EVERY_MS = 60_000;

export type ApiToken = Selectable<ApiTokensTable>;

export interface TokenView {
  id: string;
  name: string;
  role: StaffRole;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function tokenView(t: ApiToken): TokenView {
  return {
    id: t.id, name: t.name, role: t.role, createdBy: t.created_by, createdAt: iso(t.created_at)!, expiresAt: iso(t.expires_at)!,
    revokedAt: iso(t.revoked_at), lastUsedAt: iso(t.last_used_at),
  };
}

export async function createToken(db: DbOrTx, t: { name: string; role: StaffRole; createdBy: string | null; expiresInDays: number; now: Date }): Promise<{ token: string; row: ApiToken }> {
  const token = `${TOKEN_PREFIX}${randomToken()}`;
  const row = await db.insertInto('api_tokens').values({
    name: t.name, token_hash: sha256Hex(token), role: t.role, created_by: t.createdBy, created_at: t.now,
    expires_at: new Date(t.now.getTime() + t.expiresInDays * 86_400_000),
  }).returningAll().executeTakeFirstOrThrow();
  return { token, row };
}

export async function listTokens(db: DbOrTx, after: { c: string; id: string } | undefined, limit: number): Promise<ApiToken[]> {
  let q = db.selectFrom('api_tokens').selectAll();
  if (after) q = q.where((eb) => eb.or([eb('created_at', '>', new Date(after.c)), eb.and([eb('created_at', '=', new Date(after.c)), eb('id', '>', after.id)])]));
  return q.orderBy('created_at').orderBy('id').limit(limit).execute();
}

/** False when there is no such token. Revoking twice keeps the first time. */
export async function revokeToken(db: DbOrTx, id: string, now: Date): Promise<ApiToken | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  if (row.revoked_at === null) await db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
  return row;
}

/** May a creator with this role (and state) still grant `role`? */
function creatorGrants(creator: { role: StaffRole; disabled_at: Date | null } | null, role: StaffRole): boolean {
  if (!creator) return true; // created with ADMIN_API_TOKEN: an admin credential with no user behind it
  return creator.disabled_at === null && (creator.role === 'admin' || creator.role === role);
}

/** The token's id, role and creator when it is live, else null. */
export async function liveToken(db: DbOrTx, clock: Clock, bearer: string): Promise<{ id: string; role: StaffRole; createdBy: string | null } | null> {
  if (!bearer.startsWith(TOKEN_PREFIX)) return null;
  const now = clock.now();
  const row = await db.selectFrom('api_tokens as t').leftJoin('staff_users as u', 'u.id', 't.created_by')
    .select(['t.id', 't.role', 't.created_by', 't.expires_at', 't.revoked_at', 't.last_used_at', 'u.id as creator_id', 'u.role as creator_role', 'u.disabled_at as creator_disabled_at'])
    .where('t.token_hash', '=', sha256Hex(bearer)).executeTakeFirst();
  if (!row || row.revoked_at !== null || new Date(row.expires_at).getTime() <= now.getTime()) return null;
  const creator = row.creator_id !== null && row.creator_role !== null ? { role: row.creator_role, disabled_at: row.creator_disabled_at } : null;
  if (row.created_by !== null && !creator) return null;
  if (!creatorGrants(creator, row.role)) return null;
  if (row.last_used_at === null || now.getTime() - new Date(row.last_used_at).getTime() >= TOUCH_EVERY_MS) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { id: row.id, role: row.role, createdBy: row.created_by };
}
