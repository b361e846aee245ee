// The staff API's scope under /api: zod schemas through the Fastify type provider, the OpenAPI 3.1 document
// generated from them (/api/openapi.json, browsable at /api/docs), one authentication hook and one
// authorisation rule per route. Authentication runs in onRequest, before the body is parsed or validated:
// without credentials every route but the public ones answers 401 whatever its parameters or body, and so do
// paths that match no route (an unauthenticated caller learns nothing about what exists).
//
// Every route declares who may call it: `config: { access: ['admin', 'clinician'] }`, or 'public' (login).
// A route registered without it makes the app fail to start, so none can be forgotten.
import crypto from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';

export const ROLES = ['admin', 'clinician', 'reception', 'analyst'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);
export type Access = readonly Role[] | 'public';
/** Every role: routes any signed-in staff member may call (their own account, the API docs). */
export const ANY_ROLE: readonly Role[] = ROLES;

/** Who is calling. */
export interface Principal {
  kind: 'user' | 'token' | 'admin_token';
  /** The staff user's id, or the API token's id ('admin-api-token' for ADMIN_API_TOKEN). */
  id: string;
  role: Role;
  /** The staff user behind a session or a token they created, for the audit log. */
  userId: string | null;
  /** A console session: its id, and the CSRF token every state-changing request must echo. */
  session?: { id: string; csrfToken: string };
}

/**
 * Recognises one kind of credential. Answers the principal, `null` when the request carries none of its kind,
 * or throws AppError 401 when it carries one that is not valid (expired session, revoked token).
 */
export type Authenticator = (req: FastifyRequest) => Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ApiOptions {
  config: Config;
  authenticators: readonly Authenticator[];
  plugins: readonly FastifyPluginAsync[];
}

/** The principal of a request that passed the hook (routes with a role list always have one). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('unauthenticated', 401, 'Authentication required');
  return req.principal;
}

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** Equal strings in constant time (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(sha256(a), sha256(b));
}

export function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** ADMIN_API_TOKEN: an admin bearer token for automation (no user behind it). */
function adminTokenAuthenticator(token: string | undefined): Authenticator {
  return async (req) => {
    const bearer = bearerOf(req);
    if (!token || !bearer || !sameSecret(bearer, token)) return null;
    return { kind: 'admin_token', id: 'admin-api-token', role: 'admin', userId: null };
  };
}

/** Routes registered by plugins we do not write (the docs UI): any signed-in role may read them. */
const DOCS_PREFIX = '/api/docs';

/** What /api registered, with its rule: the route-rule test enumerates it. */
export interface ApiRoute {
  method: string;
  url: string;
  access: Access | undefined;
}

export async function registerApi(app: FastifyInstance, o: ApiOptions, routes: ApiRoute[]): Promise<void> {
  const authenticators = [adminTokenAuthenticator(o.config.adminApiToken), ...o.authenticators];
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler);
    api.setSerializerCompiler(serializerCompiler);
    api.decorateRequest('principal', null);

    api.addHook('onRoute', (route) => {
      if (route.url.startsWith(DOCS_PREFIX) && !route.config?.access) route.config = { ...route.config, access: ANY_ROLE };
      const access = route.config?.access;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) routes.push({ method, url: route.url, access });
      if (!access) throw new Error(`/api route ${methods.join(',')} ${route.url} declares no access rule (config.access)`);
    });

    api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      // A path that matches no route has no rule: it needs a signed-in caller like any other (then 404).
      const access: Access = req.routeOptions.config.access ?? ANY_ROLE;
      let principal: Principal | null = null;
      for (const authenticate of authenticators) {
        principal = await authenticate(req);
        if (principal) break;
      }
      req.principal = principal;
      if (access === 'public') return;
      if (!principal) throw new AppError('unauthenticated', 401, 'Authentication required');
      if (principal.session && !SAFE_METHODS.has(req.method)) {
        const sent = req.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameSecret(sent, principal.session.csrfToken)) {
          throw new AppError('csrf_invalid', 403, 'Missing or invalid CSRF token', { detail: `send the session's csrfToken in the ${CSRF_HEADER} header` });
        }
      }
      if (!access.includes(principal.role)) throw new AppError('forbidden', 403, 'Not allowed for your role');
      void reply;
    });

    await api.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'PatientLine staff API', version: '1' },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer' },
            session: { type: 'apiKey', in: 'cookie', name: 'pl_session' },
          },
        },
        security: [{ bearer: [] }, { session: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await api.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
    api.get('/openapi.json', { config: { access: ANY_ROLE }, schema: { hide: true } }, async () => api.swagger());

    for (const p of o.plugins) await api.register(p);

    api.setNotFoundHandler(() => {
      throw new AppError('not_found', 404, 'Not found');
    });
  }, { prefix: '/api' });
}

// Lists: `{ items, nextCursor }` with opaque cursors (base64url JSON of where the next page starts).
export const listQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string | undefined): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new AppError('invalid_cursor', 400, 'The cursor is not one this API gave out');
  }
}

/** Takes `limit` of `rows` (fetched with limit + 1) and the cursor of the next page, if there is one. */
export function page<R, I>(rows: readonly R[], limit: number, item: (r: R) => I, cursorOf: (r: R) => unknown): { items: I[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(item), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export const listSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
