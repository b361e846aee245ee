// The staff domain: users and roles, passwords (argon2id), the TOTP second factor, console sessions, API
// tokens, the /api/auth, /api/users and /api/tokens routes, the first admin at start and `create-user`.
// Its authenticator recognises the `pl_session` cookie and `Bearer plt_...` tokens on every /api request.
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Authenticator } from '../http/api.js';
import { bearerOf } from '../http/api.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { AppModule } from '../lib/module.js';
import { adminRoutes } from './admin-routes.js';
import { authRoutes } from './auth-routes.js';
import { bootstrapAdmin } from './bootstrap.js';
import { staffCommands } from './cli.js';
import { loginDeps, type StaffDeps } from './login.js';
import { cookieOf, liveSession, sessionFromRequest, type LiveSession } from './sessions.js';
import { postgresRateLimitStore } from './rate-limit.js';
import { liveToken } from './tokens.js';

export { SESSION_COOKIE } from './sessions.js';
export { passwordWeakness } from './passwords.js';

/** What a staff-session check needs (the sandbox module has all of it). */
export interface StaffSessionDeps {
  config: Config;
  clock: Clock;
  database: { db: Db };
}

/** The live console session behind a request's `pl_session` cookie, or null (pending, expired, revoked, none). */
export function staffSessionOf(deps: StaffSessionDeps, req: FastifyRequest): Promise<LiveSession | null> {
  return sessionFromRequest(deps.database.db, deps, req);
}

/** Cookie sessions and API tokens. Anything not valid is no credential (null): the /api hook answers 401. */
export function staffAuthenticator(deps: StaffDeps): Authenticator {
  return async (req) => {
    const bearer = bearerOf(req);
    if (bearer) {
      const t = await liveToken(deps.db, deps.clock, bearer);
      if (t) return { kind: 'token', id: t.id, role: t.role, userId: t.createdBy };
    }
    const token = cookieOf(req);
    if (!token) return null;
    const s = await liveSession(deps.db, deps, token, { pending: false });
    if (!s) return null;
    return { kind: 'user', id: s.userId, role: s.role, userId: s.userId, session: { id: s.id, csrfToken: s.csrfToken } };
  };
}

export function staffModule(): AppModule {
  const depsOf = (ctx: { database: { db: Db }; cipher: StaffDeps['cipher']; clock: Clock; config: Config }): StaffDeps =>
    ({ db: ctx.database.db, cipher: ctx.cipher, clock: ctx.clock, config: ctx.config });
  return {
    name: 'staff',
    async init(ctx) {
      const created = await bootstrapAdmin(ctx.database.db, ctx.config, ctx.clock.now());
      if (created) ctx.log.info({ code: 'admin_bootstrapped', userId: created.id }, 'created the first admin from ADMIN_EMAIL');
    },
    api: (ctx) => {
      const deps = depsOf(ctx);
      const login = loginDeps(deps);
      return async (app) => {
        // Per-IP limits on the login and TOTP routes only (routes opt in with config.rateLimit), counted in
        // PostgreSQL so that they hold across instances; the account lockout is the per-account limit.
        await app.register(rateLimit, {
          global: false,
          store: postgresRateLimitStore(deps.db, deps.clock),
          keyGenerator: (req) => `${req.routeOptions.url ?? req.url}|${req.ip}`,
          errorResponseBuilder: (_req, c) => new AppError('rate_limited', 429, 'Too many attempts', { detail: `try again in ${c.after}` }),
        });
        await app.register(authRoutes(deps, login));
        await app.register(adminRoutes(deps));
      };
    },
    authenticator: (ctx) => staffAuthenticator(depsOf(ctx)),
    commands: staffCommands,
  };
}
