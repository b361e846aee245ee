// /api/auth: sign in (password, then TOTP), who am I, sign out, change password, enrol or drop the second
// factor. The login and TOTP routes are public and limited per IP (@fastify/rate-limit, 429 `rate_limited`);
// the account lockout in login.ts is what holds across instances and addresses.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { recordAudit } from '../compliance/audit.js';
import { actorOf } from '../compliance/actor.js';
import { ANY_ROLE, principalOf } from '../http/api.js';
import { AppError } from '../lib/errors.js';
import type { Login, LoginResult, StaffDeps } from './login.js';
import { assertStrongPassword, hashPassword, verifyPassword } from './passwords.js';
import { infoReply, loginBody, loginReply, noContent, okReply, passwordBody, sessionReply, totpBody, totpSetupReply } from './schemas.js';
import { clearSessionCookie, cookieOf, revokeSession, revokeUserSessions, setSessionCookie } from './sessions.js';
import { newTotpSecret, openTotpSecret, sealTotpSecret, verifyTotp } from './totp.js';
import { claimTotpStep, findUser, updateUser, userView, type StaffUser } from './users-repo.js';

export function authRoutes(deps: StaffDeps, login: Login): FastifyPluginAsync {
  return async (app) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    const { config, db, clock, cipher } = deps;
    const limit = { max: config.staff.authRateLimitPerMinute, timeWindow: 60_000 };

    /** The signed-in user of a console session (API tokens have no account to manage). */
    const sessionUser = async (req: FastifyRequest): Promise<{ user: StaffUser; session: { id: string; csrfToken: string } }> => {
      const p = principalOf(req);
      if (p.kind !== 'user' || !p.session) throw new AppError('session_required', 403, 'This needs a signed-in console session');
      const user = await findUser(db, p.id);
      if (!user) throw new AppError('unauthenticated', 401, 'Authentication required');
      return { user, session: p.session };
    };

    const answer = (reply: FastifyReply, r: LoginResult) => {
      setSessionCookie(reply, config, r.session.token, r.session.expiresAt, clock.now());
      if (r.status === 'ok') return { status: 'ok' as const, user: userView(r.user), csrfToken: r.session.csrfToken };
      if (r.status === 'totp_required') return { status: 'totp_required' as const };
      return { status: 'totp_setup_required' as const, secret: r.setup.secret, otpauthUrl: r.setup.otpauthUrl };
    };

    api.post('/auth/login', {
      config: { access: 'public', rateLimit: limit },
      schema: { tags: ['auth'], body: loginBody, response: { 200: loginReply } },
    }, async (req, reply) => answer(reply, await login.withPassword(req, req.body.email, req.body.password)));

    api.post('/auth/totp', {
      config: { access: 'public', rateLimit: limit },
      schema: { tags: ['auth'], body: totpBody, response: { 200: okReply } },
    }, async (req, reply) => {
      const r = await login.withTotp(req, cookieOf(req), req.body.code);
      if (r.status !== 'ok') throw new AppError('invalid_credentials', 401, 'Invalid credentials');
      setSessionCookie(reply, config, r.session.token, r.session.expiresAt, clock.now());
      return { status: 'ok' as const, user: userView(r.user), csrfToken: r.session.csrfToken };
    });

    api.get('/auth/info', { config: { access: 'public' }, schema: { tags: ['auth'], response: { 200: infoReply } } }, async () => ({
      sandbox: config.sandbox,
      demoEmail: config.sandbox ? (config.adminEmail ?? null) : null,
    }));

    api.get('/auth/me', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], response: { 200: sessionReply } } }, async (req) => {
      const { user, session } = await sessionUser(req);
      return { user: userView(user), csrfToken: session.csrfToken };
    });

    api.post('/auth/logout', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], response: { 204: noContent } } }, async (req, reply) => {
      const { user, session } = await sessionUser(req);
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await revokeSession(tx, session.id, now);
        await recordAudit(tx, { actor: actorOf(req), action: 'auth.logout', target: `user:${user.id}`, ip: req.ip, at: now });
      });
      clearSessionCookie(reply, config);
      return reply.code(204).send(null);
    });

    api.post('/auth/password', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], body: passwordBody, response: { 204: noContent } } }, async (req, reply) => {
      const { user, session } = await sessionUser(req);
      if (!(await verifyPassword(user.password_hash, req.body.currentPassword))) {
        // A stolen session must not buy unlimited guesses at the password: these count toward the lockout.
        await login.failed(req, user.id, 'bad_current_password');
        throw new AppError('invalid_credentials', 403, 'The current password is wrong');
      }
      if (req.body.newPassword === req.body.currentPassword) throw new AppError('weak_password', 400, 'The password is too weak', { reason: 'unchanged', detail: 'choose a password other than the current one' });
      assertStrongPassword(req.body.newPassword, [user.email, user.display_name]);
      const hash = await hashPassword(req.body.newPassword);
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, { password_hash: hash, password_changed_at: now }, now);
        await revokeUserSessions(tx, user.id, now, session.id);
        await recordAudit(tx, { actor: actorOf(req), action: 'auth.password_change', target: `user:${user.id}`, ip: req.ip, at: now });
      });
      return reply.code(204).send(null);
    });

    api.post('/auth/totp/setup', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], response: { 200: totpSetupReply } } }, async (req) => {
      const { user } = await sessionUser(req);
      if (user.totp_enabled) throw new AppError('totp_already_enabled', 409, 'Two-step verification is already on: turn it off first to enrol a new device');
      const setup = newTotpSecret(user.email);
      await updateUser(db, user.id, { totp_pending_secret: sealTotpSecret(cipher, user.id, setup.secret) }, clock.now());
      return setup;
    });

    const invalidCode = () => new AppError('invalid_code', 400, 'The code is not valid (wrong, expired or already used)');

    api.post('/auth/totp/enable', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], body: totpBody, response: { 204: noContent } } }, async (req, reply) => {
      const { user } = await sessionUser(req);
      if (user.totp_enabled) throw new AppError('totp_already_enabled', 409, 'Two-step verification is already on');
      if (!user.totp_pending_secret) throw new AppError('totp_setup_needed', 409, 'Call /api/auth/totp/setup first');
      const step = await verifyTotp(openTotpSecret(cipher, user.id, user.totp_pending_secret), req.body.code, clock, user.totp_last_step);
      if (step === null || !(await claimTotpStep(db, user.id, step))) throw invalidCode();
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, { totp_secret: user.totp_pending_secret, totp_pending_secret: null, totp_enabled: true }, now);
        await recordAudit(tx, { actor: actorOf(req), action: 'auth.totp_enabled', target: `user:${user.id}`, ip: req.ip, at: now });
      });
      return reply.code(204).send(null);
    });

    api.post('/auth/totp/disable', { config: { access: ANY_ROLE }, schema: { tags: ['auth'], body: totpBody, response: { 204: noContent } } }, async (req, reply) => {
      const { user } = await sessionUser(req);
      if (!user.totp_enabled || !user.totp_secret) throw new AppError('totp_not_enabled', 409, 'Two-step verification is not on');
      if (user.require_totp || (user.role === 'admin' && !config.sandbox)) throw new AppError('totp_required', 403, 'Two-step verification is required for this account');
      const step = await verifyTotp(openTotpSecret(cipher, user.id, user.totp_secret), req.body.code, clock, user.totp_last_step);
      if (step === null || !(await claimTotpStep(db, user.id, step))) {
        await login.failed(req, user.id, 'bad_totp');
        throw invalidCode();
      }
      const now = clock.now();
      await db.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, { totp_secret: null, totp_pending_secret: null, totp_enabled: false }, now);
        await recordAudit(tx, { actor: actorOf(req), action: 'auth.totp_disabled', target: `user:${user.id}`, ip: req.ip, at: now });
      });
      return reply.code(204).send(null);
    });
  };
}
