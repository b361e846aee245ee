// Signing in as a reviewer would attack it: the bootstrap admin and its forced TOTP enrolment, replayed
// codes, password and code brute force, sessions after logout / disable / password change / expiry, CSRF,
// the cookie's attributes, the rate limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { loadConfig } from '../config.js';
import { bootstrapAdmin } from './bootstrap.js';
import { asAdminToken, createUser, login, sessionCookie, signIn, startStaffApp, STRONG, totpCode, type StaffApp } from '../../test/support/staff.js';

const NOT_SANDBOX = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: 'PN', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v' };
const ADMIN_EMAIL = 'Chief@Clinic.example';
const ADMIN_PASSWORD = 'amber-Lantern-orbit-5521';
let database: TestDatabase;
let s: StaffApp;
beforeAll(async () => {
  database = await createTestDatabase();
  s = await startStaffApp(database, { ADMIN_EMAIL, ADMIN_PASSWORD });
});
afterAll(async () => {
  await s.close();
  await database.close();
});

const me = (headers: Record<string, string>) => s.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: headers['cookie']! } });
const audit = (action: string) => database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

describe('the bootstrap admin', () => {
  it('is created once from ADMIN_EMAIL/ADMIN_PASSWORD, lower-cased, with an argon2id hash', async () => {
    const rows = await database.db.selectFrom('staff_users').selectAll().where('email', '=', ADMIN_EMAIL.toLowerCase()).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.role).toBe('admin');
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    expect(rows[0]!.password_hash).not.toContain(ADMIN_PASSWORD);
    // A second start on the same database finds it and creates nothing.
    const again = await startStaffApp(database, { ADMIN_EMAIL, ADMIN_PASSWORD });
    await again.close();
    expect(await database.db.selectFrom('staff_users').select('id').where('role', '=', 'admin').execute()).toHaveLength(1);
    expect((await audit('user.create')).filter((e) => e.actor_id === 'bootstrap')).toHaveLength(1);
  });

  it('must enrol TOTP at its first login outside sandbox mode, then the code completes the login', async () => {
    const r = await login(s.app, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.status).toBe('totp_setup_required');
    expect(body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/PatientLine:.*issuer=PatientLine/);
    const pending = sessionCookie(r)!;
    // The half-logged-in cookie opens nothing but the TOTP step.
    expect((await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `pl_session=${pending.value}` } })).statusCode).toBe(401);
    expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: { cookie: `pl_session=${pending.value}` } })).statusCode).toBe(401);
    const wrong = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: '000000' }, headers: { cookie: `pl_session=${pending.value}` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid_credentials');
    const ok = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: await totpCode(body.secret, s.clock) }, headers: { cookie: `pl_session=${pending.value}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', user: { email: ADMIN_EMAIL.toLowerCase(), role: 'admin', totpEnabled: true } });
    const full = sessionCookie(ok)!;
    expect(full.value).not.toBe(pending.value); // a new token after the second factor (no fixation)
    expect((await me({ cookie: `pl_session=${full.value}` })).json().user.role).toBe('admin');
    // The secret is sealed: its text is nowhere in the row.
    const row = await database.db.selectFrom('staff_users').selectAll().where('email', '=', ADMIN_EMAIL.toLowerCase()).executeTakeFirstOrThrow();
    expect(row.totp_enabled).toBe(true);
    expect(Buffer.from(row.totp_secret!).toString('latin1')).not.toContain(body.secret);
    // The same code, replayed at once on a new login, is refused; the next time step's code works.
    const again = await login(s.app, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(again.json()).toEqual({ status: 'totp_required' });
    const cookie = `pl_session=${sessionCookie(again)!.value}`;
    const replay = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: await totpCode(body.secret, s.clock) }, headers: { cookie } });
    expect(replay.statusCode).toBe(401);
    s.clock.advance(30_000);
    const next = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: await totpCode(body.secret, s.clock) }, headers: { cookie } });
    expect(next.statusCode).toBe(200);
    expect((await audit('auth.totp_enabled')).length).toBeGreaterThanOrEqual(1);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, not Secure over http; Secure with an https PUBLIC_URL', async () => {
    const u = await createUser(s.app, { email: 'cookie@clinic.example', role: 'clinician' });
    const r = await login(s.app, u.email, u.password);
    const c = sessionCookie(r)!;
    expect(c.header).toMatch(/HttpOnly/i);
    expect(c.header).toMatch(/SameSite=Strict/i);
    expect(c.header).toMatch(/Path=\/(;|$)/);
    expect(c.header).not.toMatch(/Secure/i);
    expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the token's hash is stored.
    const ids = (await database.db.selectFrom('staff_sessions').select('id').execute()).map((x) => x.id);
    expect(ids).not.toContain(c.value);
    const https = await startStaffApp(database, { PUBLIC_URL: 'https://clinic.example' });
    try {
      expect(sessionCookie(await login(https.app, u.email, u.password))!.header).toMatch(/;\s*Secure/i);
    } finally {
      await https.close();
    }
  });
});

describe('login refusals', () => {
  it('answers the same generic 401 for an unknown e-mail and a wrong password, and audits no e-mail', async () => {
    const u = await createUser(s.app, { email: 'generic@clinic.example', role: 'reception' });
    const unknown = await login(s.app, 'nobody-here@clinic.example', STRONG);
    const wrong = await login(s.app, u.email, 'not-the-password-at-all');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.json().code).toBe('invalid_credentials');
    const failed = await audit('auth.login_failed');
    expect(failed.map((e) => e.details['reason'])).toEqual(expect.arrayContaining(['unknown_user', 'bad_password']));
    expect(JSON.stringify(failed)).not.toContain('nobody-here');
    expect(JSON.stringify(failed)).not.toContain('not-the-password');
  });

  it('locks after LOGIN_MAX_FAILURES wrong passwords: the right one is refused too, an alert is raised, and it opens after LOGIN_LOCK_MINUTES', async () => {
    const u = await createUser(s.app, { email: 'brute@clinic.example', role: 'clinician' });
    for (let i = 0; i < 5; i++) expect((await login(s.app, u.email, `guess-number-${i}-wrong`)).statusCode).toBe(401);
    const locked = await login(s.app, u.email, u.password);
    expect(locked.statusCode).toBe(401);
    expect(locked.json().code).toBe('invalid_credentials');
    expect((await audit('auth.locked')).some((e) => e.target === `user:${u.id}`)).toBe(true);
    expect((await database.db.selectFrom('operator_alerts').select('message').where('code', '=', 'staff_account_locked').execute()).some((a) => a.message.includes(u.id))).toBe(true);
    s.clock.advance(15 * 60_000 + 1_000);
    expect((await login(s.app, u.email, u.password)).json().status).toBe('ok');
  });

  it('counts wrong TOTP codes toward the lockout; a fresh password does not reset the count', async () => {
    const u = await createUser(s.app, { email: 'otp-brute@clinic.example', role: 'clinician' });
    const sess = await signIn(s, u.email, u.password);
    const setup = (await s.app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: sess.headers })).json();
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: sess.headers, payload: { code: await totpCode(setup.secret, s.clock) } })).statusCode).toBe(204);
    s.clock.advance(30_000);
    for (let i = 0; i < 5; i++) {
      const r = await login(s.app, u.email, u.password); // the password again before each guess
      expect(r.json().status).toBe('totp_required');
      const t = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: String(100000 + i) }, headers: { cookie: `pl_session=${sessionCookie(r)!.value}` } });
      expect(t.statusCode).toBe(401);
    }
    expect((await login(s.app, u.email, u.password)).statusCode).toBe(401); // locked: the password is refused
    expect((await audit('auth.login_failed')).filter((e) => e.target === `user:${u.id}` && e.details['reason'] === 'bad_totp')).toHaveLength(5);
  });

  it('refuses a disabled account with the generic error', async () => {
    const u = await createUser(s.app, { email: 'gone@clinic.example', role: 'analyst' });
    const sess = await signIn(s, u.email, u.password);
    expect((await s.app.inject({ method: 'PATCH', url: `/api/users/${u.id}`, headers: asAdminToken, payload: { disabled: true } })).statusCode).toBe(200);
    expect((await me(sess.headers)).statusCode).toBe(401);
    const r = await login(s.app, u.email, u.password);
    expect(r.statusCode).toBe(401);
    expect(r.json().code).toBe('invalid_credentials');
  });
});

describe('sessions', () => {
  it('end at logout; POSTs need the CSRF token', async () => {
    const u = await createUser(s.app, { email: 'logout@clinic.example', role: 'reception' });
    const sess = await signIn(s, u.email, u.password);
    const noToken = await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: sess.cookie } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('csrf_invalid');
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: sess.cookie, 'x-csrf-token': 'x'.repeat(43) } })).json().code).toBe('csrf_invalid');
    const out = await s.app.inject({ method: 'POST', url: '/api/auth/logout', headers: sess.headers });
    expect(out.statusCode).toBe(204);
    expect(sessionCookie(out)!.header).toMatch(/Max-Age=0/);
    const after = await me(sess.headers);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('unauthenticated');
    expect((await audit('auth.logout')).some((e) => e.actor_id === u.id)).toBe(true);
  });

  it('change of password: other sessions end, this one stays, the old password no longer works', async () => {
    const u = await createUser(s.app, { email: 'newpass@clinic.example', role: 'clinician' });
    const a = await signIn(s, u.email, u.password);
    const b = await signIn(s, u.email, u.password);
    const wrong = await s.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.headers, payload: { currentPassword: 'not-it-at-all-x', newPassword: 'granite-Meadow-Tulip-884' } });
    expect(wrong.statusCode).toBe(403);
    const weak = await s.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.headers, payload: { currentPassword: u.password, newPassword: 'password1234' } });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ code: 'weak_password' });
    expect(weak.body).not.toContain('password1234');
    const ok = await s.app.inject({ method: 'POST', url: '/api/auth/password', headers: a.headers, payload: { currentPassword: u.password, newPassword: 'granite-Meadow-Tulip-884' } });
    expect(ok.statusCode).toBe(204);
    expect((await me(a.headers)).statusCode).toBe(200);
    expect((await me(b.headers)).statusCode).toBe(401);
    expect((await login(s.app, u.email, u.password)).statusCode).toBe(401);
    expect((await login(s.app, u.email, 'granite-Meadow-Tulip-884')).json().status).toBe('ok');
    expect((await audit('auth.password_change')).some((e) => e.target === `user:${u.id}`)).toBe(true);
  });

  it('expire after SESSION_IDLE_MINUTES without use, and after SESSION_MAX_HOURS whatever the use', async () => {
    const u = await createUser(s.app, { email: 'idle@clinic.example', role: 'analyst' });
    const idle = await signIn(s, u.email, u.password);
    const busy = await signIn(s, u.email, u.password);
    for (let i = 0; i < 36; i++) { // 36 × 20 min = 12 h
      s.clock.advance(20 * 60_000);
      expect((await me(busy.headers)).statusCode, `after ${(i + 1) * 20} min`).toBe(i < 35 ? 200 : 401);
      if (i === 1) expect((await me(idle.headers)).statusCode).toBe(401); // 40 min idle
    }
  });
});

describe('TOTP for every user', () => {
  it('an admin switches it on for a clinician (requireTotp): the next login must enrol, and it cannot be turned off', async () => {
    const u = await createUser(s.app, { email: 'required@clinic.example', role: 'clinician' });
    const before = await signIn(s, u.email, u.password);
    expect((await s.app.inject({ method: 'PATCH', url: `/api/users/${u.id}`, headers: asAdminToken, payload: { requireTotp: true } })).statusCode).toBe(200);
    const r = await login(s.app, u.email, u.password);
    expect(r.json().status).toBe('totp_setup_required');
    expect((await me(before.headers)).statusCode).toBe(401); // the session opened without a second factor ended
    expect((await me({ cookie: `pl_session=${sessionCookie(r)!.value}` })).statusCode).toBe(401);
    // Enrolled through the login, then disabling is refused while required.
    const code = await totpCode(r.json().secret, s.clock);
    const ok = await s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code }, headers: { cookie: `pl_session=${sessionCookie(r)!.value}` } });
    expect(ok.statusCode).toBe(200);
    const headers = { cookie: `pl_session=${sessionCookie(ok)!.value}`, 'x-csrf-token': ok.json().csrfToken };
    s.clock.advance(30_000);
    const off = await s.app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers, payload: { code: await totpCode(r.json().secret, s.clock) } });
    expect(off.statusCode).toBe(403);
    expect(off.json().code).toBe('totp_required');
  });

  it('a user enrols from their account and turns it off with a fresh code; an already used code is refused', async () => {
    const u = await createUser(s.app, { email: 'self-otp@clinic.example', role: 'reception' });
    const sess = await signIn(s, u.email, u.password);
    const setup = (await s.app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: sess.headers })).json();
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    const code = await totpCode(setup.secret, s.clock);
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: sess.headers, payload: { code } })).statusCode).toBe(204);
    const replay = await s.app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: sess.headers, payload: { code } });
    expect(replay.statusCode).toBe(400);
    expect(replay.json().code).toBe('invalid_code');
    s.clock.advance(30_000);
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/totp/disable', headers: sess.headers, payload: { code: await totpCode(setup.secret, s.clock) } })).statusCode).toBe(204);
    expect((await login(s.app, u.email, u.password)).json().status).toBe('ok');
  });
});

describe('a code sent twice at the same moment', () => {
  it('is accepted once', async () => {
    const u = await createUser(s.app, { email: 'race@clinic.example', role: 'clinician' });
    const sess = await signIn(s, u.email, u.password);
    const setup = (await s.app.inject({ method: 'POST', url: '/api/auth/totp/setup', headers: sess.headers })).json();
    expect((await s.app.inject({ method: 'POST', url: '/api/auth/totp/enable', headers: sess.headers, payload: { code: await totpCode(setup.secret, s.clock) } })).statusCode).toBe(204);
    s.clock.advance(30_000);
    const pendings = await Promise.all([1, 2, 3, 4].map(() => login(s.app, u.email, u.password)));
    const code = await totpCode(setup.secret, s.clock);
    const answers = await Promise.all(pendings.map((p) => s.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code }, headers: { cookie: `pl_session=${sessionCookie(p)!.value}` } })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401, 401, 401]);
  });
});

describe('a weak ADMIN_PASSWORD outside sandbox mode', () => {
  it('stops start-up naming the variable, and creates nobody', async () => {
    // A failed start closes its database: this one is the test's own.
    const own = await createTestDatabase();
    await expect(startStaffApp(own, { ADMIN_EMAIL: 'weak-admin@clinic.example', ADMIN_PASSWORD: 'password1234' })).rejects.toThrow(/ADMIN_PASSWORD is too weak/);
    await expect(bootstrapAdmin(database.db, loadConfig({ ...NOT_SANDBOX, ADMIN_EMAIL: 'weak-admin@clinic.example', ADMIN_PASSWORD: 'password1234' }), new Date())).rejects.toThrow(/too weak/);
    expect(await database.db.selectFrom('staff_users').select('id').where('email', '=', 'weak-admin@clinic.example').execute()).toHaveLength(0);
  });
});

describe('the client address', () => {
  it('comes from X-Forwarded-For only when a trusted proxy (TRUST_PROXY, loopback by default) sends it', async () => {
    const u = await createUser(s.app, { email: 'where@clinic.example', role: 'analyst' });
    const from = async (remoteAddress: string) => {
      await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: u.email, password: u.password }, remoteAddress, headers: { 'x-forwarded-for': '198.51.100.23' } });
      return (await audit('auth.login')).filter((e) => e.target === `user:${u.id}`).at(-1)!.ip;
    };
    expect(await from('203.0.113.9')).toBe('203.0.113.9'); // a client cannot choose its address
    expect(await from('127.0.0.1')).toBe('198.51.100.23'); // a proxy on this machine can tell it
  });
});

describe('GET /api/auth/info', () => {
  it('is public and names no demo login outside sandbox mode', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/auth/info' });
    expect(r.json()).toEqual({ sandbox: false, demoEmail: null });
  });
});

describe('the per-IP rate limit', () => {
  it('answers 429 rate_limited (problem+json) past AUTH_RATE_LIMIT_PER_MINUTE, per address, counted across instances', async () => {
    const one = await startStaffApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    const two = await startStaffApp(database, { AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const attempt = (a: StaffApp, ip: string) => login(a.app, 'x@clinic.example', 'whatever-password', ip);
      expect((await attempt(one, '10.0.0.7')).statusCode).toBe(401);
      expect((await attempt(two, '10.0.0.7')).statusCode).toBe(401);
      expect((await attempt(one, '10.0.0.7')).statusCode).toBe(401);
      const r = await attempt(two, '10.0.0.7'); // the fourth, on the other instance
      expect(r.statusCode).toBe(429);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.json()).toMatchObject({ status: 429, code: 'rate_limited' });
      expect((await attempt(one, '10.0.0.8')).statusCode).toBe(401); // another address has its own count
      const totp = () => one.app.inject({ method: 'POST', url: '/api/auth/totp', payload: { code: '123456' }, remoteAddress: '10.0.0.9' });
      for (let i = 0; i < 3; i++) expect((await totp()).statusCode).toBe(401);
      expect((await totp()).statusCode).toBe(429);
      // A minute later (by this instance's clock) the window starts again.
      one.clock.advance(61_000);
      expect((await attempt(one, '10.0.0.7')).statusCode).toBe(401);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
