// On a HOST others can reach, the patient phone (/sandbox and its API) needs a staff console session; the
// simulated Graph API (/sandbox/graph, called by the app itself with the access token) does not.
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_ADMIN_EMAIL, SANDBOX_ADMIN_PASSWORD } from '../config.js';
import { startSandboxApp, type SandboxApp } from '../../test/support/sandbox.js';
import { isLoopbackHost } from './index.js';

const apps: SandboxApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.stop();
});

async function signIn(base: string): Promise<string> {
  const r = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: SANDBOX_ADMIN_EMAIL, password: SANDBOX_ADMIN_PASSWORD }) });
  expect(r.status).toBe(200);
  expect(((await r.json()) as { status: string }).status).toBe('ok'); // the demo admin needs no TOTP in sandbox mode
  return /pl_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')![0];
}

describe('the sandbox phone on a non-loopback HOST', () => {
  it('redirects the page and refuses its API without a session, serves both with one, and leaves /sandbox/graph alone', async () => {
    const a = await startSandboxApp({ HOST: '0.0.0.0', SEED_DEMO: '0', WORKERS: '0' });
    apps.push(a);
    const page = await fetch(`${a.base}/sandbox`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/');
    const state = await fetch(`${a.base}/sandbox/api/state`);
    expect(state.status).toBe(401);
    expect(await state.json()).toMatchObject({ code: 'unauthenticated' });
    expect((await fetch(`${a.base}/sandbox/assets/phone.js`)).status).toBe(401);
    expect((await fetch(`${a.base}/sandbox/api/patients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    // A forged or expired cookie is no session.
    expect((await fetch(`${a.base}/sandbox/api/state`, { headers: { cookie: `pl_session=${'A'.repeat(43)}` } })).status).toBe(401);

    const cookie = await signIn(a.base);
    expect((await fetch(`${a.base}/sandbox`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${a.base}/sandbox/api/state`, { headers: { cookie } })).status).toBe(200);

    const w = a.config.whatsapp;
    const graph = await fetch(`${a.base}/sandbox/graph/${w.apiVersion}/${w.businessAccountId}/message_templates`, { headers: { authorization: `Bearer ${w.accessToken}` } });
    expect(graph.status).toBe(200);
  });

  it('serves the page without a session on a loopback HOST', async () => {
    const a = await startSandboxApp({ SEED_DEMO: '0', WORKERS: '0' });
    apps.push(a);
    expect((await fetch(`${a.base}/sandbox`)).status).toBe(200);
    expect((await fetch(`${a.base}/sandbox/api/state`)).status).toBe(200);
  });

  it('knows which addresses are loopback', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'clinic.example', '128.0.0.1', '127.0.0.1.example']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
