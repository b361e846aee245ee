// Users and API tokens as a reviewer would probe them: every role asking for what only admins may see,
// an admin changing their own role, a role change ending sessions, tokens shown once, hashed, scoped,
// expiring, revocable, and bounded by their creator's current role.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { asAdminToken, createUser, signIn, signInAdmin, startStaffApp, type SignedIn, type StaffApp } from '../../test/support/staff.js';

let database: TestDatabase;
let s: StaffApp;
const sessions: Record<string, SignedIn> = {};
beforeAll(async () => {
  database = await createTestDatabase();
  // Outside sandbox mode: admins enrol TOTP at their first sign-in (signInAdmin).
  s = await startStaffApp(database);
  for (const role of ['clinician', 'reception', 'analyst']) {
    const u = await createUser(s.app, { email: `${role}@matrix.example`, role });
    sessions[role] = await signIn(s, u.email, u.password);
  }
});
afterAll(async () => {
  await s.close();
  await database.close();
});

const audit = (action: string) => database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

describe('who may manage users and tokens', () => {
  it('only admins: clinician, reception and analyst get 403 on every users and tokens route, by session and by token', async () => {
    const target = await createUser(s.app, { email: 'target@matrix.example', role: 'reception' });
    const calls = [
      ['GET', '/api/users'], ['POST', '/api/users'], ['GET', `/api/users/${target.id}`], ['PATCH', `/api/users/${target.id}`],
      ['GET', '/api/tokens'], ['POST', '/api/tokens'], ['DELETE', `/api/tokens/${crypto.randomUUID()}`], ['GET', '/api/audit'],
    ] as const;
    for (const role of ['clinician', 'reception', 'analyst']) {
      const tok = (await s.app.inject({ method: 'POST', url: '/api/tokens', headers: asAdminToken, payload: { name: `${role} integration`, role, expiresInDays: 30 } })).json().token as string;
      for (const [method, url] of calls) {
        const bySession = await s.app.inject({ method, url, headers: sessions[role]!.headers, payload: { role: 'admin' } });
        expect(bySession.statusCode, `${role} session ${method} ${url}`).toBe(403);
        expect(bySession.json().code).toBe('forbidden');
        const byToken = await s.app.inject({ method, url, headers: { authorization: `Bearer ${tok}` }, payload: { role: 'admin' } });
        expect(byToken.statusCode, `${role} token ${method} ${url}`).toBe(403);
      }
    }
    // Nothing changed for the target.
    expect((await s.app.inject({ method: 'GET', url: `/api/users/${target.id}`, headers: asAdminToken })).json().role).toBe('reception');
    // With the real patients routes: the desk roles search patients, the analyst (aggregates only) does not.
    for (const role of ['clinician', 'reception', 'analyst']) {
      const r = await s.app.inject({ method: 'GET', url: '/api/patients?q=dupont', headers: { cookie: sessions[role]!.cookie } });
      expect(r.statusCode, `${role} GET /api/patients`).toBe(role === 'analyst' ? 403 : 200);
    }
    // Everyone signed in sees their own account.
    for (const role of ['clinician', 'reception', 'analyst']) {
      expect((await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: sessions[role]!.cookie } })).json().user.role).toBe(role);
    }
  });
});

describe('users', () => {
  it('refuses weak and common passwords with weak_password and the reason, never echoing the password', async () => {
    for (const [password, reason] of [['short-one', 'too_short'], ['password1234', 'common_password'], ['aaaaaaaaaaaaaaaa', 'too_guessable'], ['weakuser@matrix.example', 'too_guessable']] as const) {
      const r = await s.app.inject({ method: 'POST', url: '/api/users', headers: asAdminToken, payload: { email: 'weakuser@matrix.example', displayName: 'Weak', role: 'clinician', password } });
      expect(r.statusCode, password).toBe(400);
      expect(r.json(), password).toMatchObject({ code: 'weak_password', reason });
      expect(r.body).not.toContain(password);
    }
    expect(await database.db.selectFrom('staff_users').select('id').where('email', '=', 'weakuser@matrix.example').execute()).toHaveLength(0);
  });

  it('creates with a lower-cased unique e-mail (409 on a second), an argon2id hash, and an audit entry', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/users', headers: asAdminToken, payload: { email: 'New.Person@Matrix.example', displayName: 'New Person', role: 'analyst', password: 'copper-Violin-sunrise-42' } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ email: 'new.person@matrix.example', displayName: 'New Person', role: 'analyst', totpEnabled: false, disabled: false, lastLoginAt: null });
    expect(Object.keys(r.json()).sort()).toEqual(['createdAt', 'disabled', 'displayName', 'email', 'id', 'lastLoginAt', 'role', 'totpEnabled']);
    const dup = await s.app.inject({ method: 'POST', url: '/api/users', headers: asAdminToken, payload: { email: 'new.person@matrix.example', displayName: 'Again', role: 'analyst', password: 'copper-Violin-sunrise-42' } });
    expect(dup.statusCode).toBe(409);
    const row = await database.db.selectFrom('staff_users').select('password_hash').where('id', '=', r.json().id).executeTakeFirstOrThrow();
    expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
    expect((await audit('user.create')).some((e) => e.target === `user:${r.json().id}` && e.actor_type === 'token')).toBe(true);
  });

  it('lists with a cursor', async () => {
    const first = await s.app.inject({ method: 'GET', url: '/api/users?limit=2', headers: asAdminToken });
    expect(first.json().items).toHaveLength(2);
    expect(first.json().nextCursor).toEqual(expect.any(String));
    const second = await s.app.inject({ method: 'GET', url: `/api/users?limit=2&cursor=${first.json().nextCursor}`, headers: asAdminToken });
    const ids = [...first.json().items, ...second.json().items].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await s.app.inject({ method: 'GET', url: '/api/users?cursor=garbage', headers: asAdminToken })).json().code).toBe('invalid_cursor');
  });

  it('an admin cannot change their own role or disable themselves; a role change by another admin ends the user\'s sessions and is audited', async () => {
    const a = await createUser(s.app, { email: 'admin-a@matrix.example', role: 'admin' });
    const b = await createUser(s.app, { email: 'admin-b@matrix.example', role: 'admin' });
    // Admins outside sandbox mode enrol TOTP: sign in through it.
    const sa = await signInAdmin(s, a.email, a.password);
    const sb = await signInAdmin(s, b.email, b.password);
    for (const payload of [{ role: 'analyst' }, { disabled: true }]) {
      const r = await s.app.inject({ method: 'PATCH', url: `/api/users/${a.id}`, headers: sa.headers, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(403);
      expect(r.json().code).toBe('self_change');
    }
    expect((await s.app.inject({ method: 'PATCH', url: `/api/users/${a.id}`, headers: sa.headers, payload: { displayName: 'A. Admin' } })).json().displayName).toBe('A. Admin');
    const demote = await s.app.inject({ method: 'PATCH', url: `/api/users/${a.id}`, headers: sb.headers, payload: { role: 'clinician' } });
    expect(demote.statusCode).toBe(200);
    expect(demote.json().role).toBe('clinician');
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: sa.headers })).statusCode).toBe(401);
    const change = (await audit('user.role_change')).find((e) => e.target === `user:${a.id}`);
    expect(change).toMatchObject({ actor_type: 'staff', actor_id: b.id, details: { from: 'admin', to: 'clinician' } });
    expect(change!.ip).toBe('127.0.0.1');
    // b is now the only enabled admin: nobody may demote or disable them, not even the admin token.
    for (const payload of [{ role: 'analyst' }, { disabled: true }]) {
      const last = await s.app.inject({ method: 'PATCH', url: `/api/users/${b.id}`, headers: asAdminToken, payload });
      expect(last.statusCode).toBe(409);
      expect(last.json().code).toBe('last_admin');
    }
  });

  it('a clinician cannot PATCH anyone, themselves included', async () => {
    const r = await s.app.inject({ method: 'PATCH', url: `/api/users/${sessions['clinician']!.userId}`, headers: sessions['clinician']!.headers, payload: { role: 'admin' } });
    expect(r.statusCode).toBe(403);
    expect((await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: sessions['clinician']!.cookie } })).json().user.role).toBe('clinician');
  });
});

describe('API tokens', () => {
  it('are shown once, stored as a SHA-256 only, act with their role, and stop when revoked or expired', async () => {
    const r = await s.app.inject({ method: 'POST', url: '/api/tokens', headers: asAdminToken, payload: { name: 'lab import', role: 'analyst', expiresInDays: 1 } });
    expect(r.statusCode).toBe(201);
    const { token, id } = r.json();
    expect(token).toMatch(/^plt_[A-Za-z0-9_-]{43}$/);
    const list = await s.app.inject({ method: 'GET', url: '/api/tokens', headers: asAdminToken });
    expect(list.body).not.toContain(token);
    expect(list.json().items.find((t: { id: string }) => t.id === id)).toMatchObject({ name: 'lab import', role: 'analyst', revokedAt: null });
    const row = await database.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token.slice(4));
    const auth = { authorization: `Bearer ${token}` };
    expect((await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: auth })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: auth })).statusCode).toBe(403);
    // A bearer token needs no CSRF token, and has no console account.
    expect((await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: auth })).json().code).toBe('session_required');
    // Expired after a day.
    s.clock.advance(86_400_000 + 1_000);
    const expired = await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: auth });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('unauthenticated');
    // Revoked.
    const t2 = (await s.app.inject({ method: 'POST', url: '/api/tokens', headers: asAdminToken, payload: { name: 'sync', role: 'admin', expiresInDays: 30 } })).json();
    const auth2 = { authorization: `Bearer ${t2.token}` };
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: auth2 })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'DELETE', url: `/api/tokens/${t2.id}`, headers: asAdminToken })).statusCode).toBe(204);
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: auth2 })).statusCode).toBe(401);
    expect((await s.app.inject({ method: 'DELETE', url: `/api/tokens/${crypto.randomUUID()}`, headers: asAdminToken })).statusCode).toBe(404);
    expect((await audit('token.create')).length).toBeGreaterThanOrEqual(2);
    expect((await audit('token.revoke')).map((e) => e.target)).toContain(`token:${t2.id}`);
    // A made-up token of the right shape is no credential.
    expect((await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer plt_${'A'.repeat(43)}` } })).statusCode).toBe(401);
  });

  it('stop working when their creator is disabled or no longer holds a role that may grant theirs', async () => {
    const c = await createUser(s.app, { email: 'creator@matrix.example', role: 'admin' });
    const sc = await signInAdmin(s, c.email, c.password);
    const mint = async (role: string) => (await s.app.inject({ method: 'POST', url: '/api/tokens', headers: sc.headers, payload: { name: `by creator ${role}`, role, expiresInDays: 30 } })).json();
    const adminTok = await mint('admin');
    const clinTok = await mint('clinician');
    expect(adminTok.createdBy).toBe(c.id);
    const ok = (t: { token: string }) => s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${t.token}` } });
    expect((await ok(adminTok)).statusCode).toBe(200);
    await s.app.inject({ method: 'PATCH', url: `/api/users/${c.id}`, headers: asAdminToken, payload: { role: 'clinician' } });
    expect((await ok(adminTok)).statusCode).toBe(401); // an admin token is above a clinician
    expect((await ok(clinTok)).statusCode).toBe(200); // a clinician may still hold a clinician token
    await s.app.inject({ method: 'PATCH', url: `/api/users/${c.id}`, headers: asAdminToken, payload: { disabled: true } });
    expect((await ok(clinTok)).statusCode).toBe(401);
    expect((await audit('user.disable')).map((e) => e.target)).toContain(`user:${c.id}`);
  });
});

describe('the OpenAPI document', () => {
  it('describes the staff routes with their request and response schemas', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: asAdminToken })).json();
    expect(doc.paths['/api/auth/login'].post.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    expect(doc.paths['/api/users/{id}'].patch.responses['200']).toBeDefined();
    expect(doc.paths['/api/tokens'].post.responses['201'].content['application/json'].schema.properties.token).toBeDefined();
  });
});
