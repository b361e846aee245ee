// /api/users and /api/tokens: admins only. A role change, a disabled account or a new password ends the
// user's sessions; an admin cannot change their own role or disable themselves (403 `self_change`), and the
// last enabled admin stays one (409 `last_admin`).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { recordAudit, type AuditEvent } from '../compliance/audit.js';
import { actorOf } from '../compliance/actor.js';
import { decodeCursor, listQuery, listSchema, page, principalOf } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { StaffDeps } from './login.js';
import { assertStrongPassword, hashPassword } from './passwords.js';
import { idParams, newTokenBody, newTokenReply, newUserBody, noContent, pageCursor, tokenSchema, userPatchBody, userSchema } from './schemas.js';
import { revokeUserSessions } from './sessions.js';
import { createToken, listTokens, revokeToken, tokenView } from './tokens.js';
import { findUser, insertUser, listUsers, otherActiveAdmins, updateUser, userView } from './users-repo.js';

const ADMIN = ['admin'] as const;
const notFound = () => new AppError('not_found', 404, 'Not found');
const cursorOf = (r: { created_at: Date; id: string }) => ({ c: new Date(r.created_at).toISOString(), id: r.id });

export function adminRoutes(deps: StaffDeps): FastifyPluginAsync {
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    const { db, clock } = deps;

    api.get('/users', { config: { access: ADMIN }, schema: { tags: ['users'], querystring: listQuery, response: { 200: listSchema(userSchema) } } }, async (req) => {
      const rows = await listUsers(db, decodeCursor(pageCursor, req.query.cursor), req.query.limit + 1);
      return page(rows, req.query.limit, userView, cursorOf);
    });

    api.post('/users', { config: { access: ADMIN }, schema: { tags: ['users'], body: newUserBody, response: { 201: userSchema } } }, async (req, reply) => {
      const b = req.body;
      assertStrongPassword(b.password, [b.email, b.displayName]);
      const passwordHash = await hashPassword(b.password);
      const now = clock.now();
      const user = await db.transaction().execute(async (tx) => {
        const u = await insertUser(tx, { email: b.email, displayName: b.displayName, role: b.role, passwordHash, now });
        if (!u) throw new AppError('email_taken', 409, 'A user with this e-mail already exists');
        await recordAudit(tx, { actor: actorOf(req), action: 'user.create', target: `user:${u.id}`, ip: req.ip, details: { role: u.role }, at: now });
        return u;
      });
      return reply.code(201).send(userView(user));
    });

    api.get('/users/:id', { config: { access: ADMIN }, schema: { tags: ['users'], params: idParams, response: { 200: userSchema } } }, async (req) => {
      const u = await findUser(db, req.params.id);
      if (!u) throw notFound();
      return userView(u);
    });

    api.patch('/users/:id', { config: { access: ADMIN }, schema: { tags: ['users'], params: idParams, body: userPatchBody, response: { 200: userSchema } } }, async (req) => {
      const p = principalOf(req);
      const b = req.body;
      const now = clock.now();
      const user = await db.transaction().execute(async (tx) => {
        const u = await findUser(tx, req.params.id, { forUpdate: true });
        if (!u) throw notFound();
        const self = p.userId === u.id;
        const roleChange = b.role !== undefined && b.role !== u.role;
        const disabling = b.disabled === true && u.disabled_at === null;
        const enabling = b.disabled === false && u.disabled_at !== null;
        if (self && (roleChange || disabling)) throw new AppError('self_change', 403, 'You cannot change your own role or disable your own account');
        if (u.role === 'admin' && u.disabled_at === null && (roleChange || disabling) && (await otherActiveAdmins(tx, u.id)) === 0) {
          throw new AppError('last_admin', 409, 'This is the last enabled admin: make another admin first');
        }
        const updated = await updateUser(tx, u.id, {
          ...(b.displayName !== undefined ? { display_name: b.displayName } : {}),
          ...(roleChange ? { role: b.role } : {}),
          ...(disabling ? { disabled_at: now } : enabling ? { disabled_at: null } : {}),
          ...(b.requireTotp !== undefined ? { require_totp: b.requireTotp } : {}),
        }, now);
        // A permission change ends every session of the user: the next sign-in gets the new rights. So does
        // requiring a second factor the user has not enrolled yet (their sessions were opened without one).
        const totpNowDue = b.requireTotp === true && !u.require_totp && !u.totp_enabled;
        if (roleChange || disabling || totpNowDue) await revokeUserSessions(tx, u.id, now);
        const base = { actor: actorOf(req), target: `user:${u.id}`, ip: req.ip, at: now };
        const events: AuditEvent[] = [];
        if (roleChange) events.push({ ...base, action: 'user.role_change', details: { from: u.role, to: updated.role } });
        if (disabling) events.push({ ...base, action: 'user.disable' });
        if (enabling) events.push({ ...base, action: 'user.enable' });
        if (b.requireTotp !== undefined && b.requireTotp !== u.require_totp) events.push({ ...base, action: 'user.require_totp', details: { value: b.requireTotp } });
        if (b.displayName !== undefined && b.displayName !== u.display_name) events.push({ ...base, action: 'user.update', details: { field: 'displayName' } });
        await recordAudit(tx, events);
        return updated;
      });
      return userView(user);
    });

    api.get('/tokens', { config: { access: ADMIN }, schema: { tags: ['tokens'], querystring: listQuery, response: { 200: listSchema(tokenSchema) } } }, async (req) => {
      const rows = await listTokens(db, decodeCursor(pageCursor, req.query.cursor), req.query.limit + 1);
      return page(rows, req.query.limit, tokenView, cursorOf);
    });

    api.post('/tokens', { config: { access: ADMIN }, schema: { tags: ['tokens'], body: newTokenBody, response: { 201: newTokenReply } } }, async (req, reply) => {
      const p = principalOf(req);
      const now = clock.now();
      const created = await db.transaction().execute(async (tx) => {
        const t = await createToken(tx, { name: req.body.name, role: req.body.role, createdBy: p.userId, expiresInDays: req.body.expiresInDays, now });
        await recordAudit(tx, { actor: actorOf(req), action: 'token.create', target: `token:${t.row.id}`, ip: req.ip, details: { role: t.row.role, expiresInDays: req.body.expiresInDays }, at: now });
        return t;
      });
      return reply.code(201).send({ ...tokenView(created.row), token: created.token });
    });

    api.delete('/tokens/:id', { config: { access: ADMIN }, schema: { tags: ['tokens'], params: idParams, response: { 204: noContent } } }, async (req, reply) => {
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        const t = await revokeToken(tx, req.params.id, now);
        if (!t) throw notFound();
        if (t.revoked_at === null) await recordAudit(tx, { actor: actorOf(req), action: 'token.revoke', target: `token:${t.id}`, ip: req.ip, at: now });
      });
      return reply.code(204).send(null);
    });
  };
}
