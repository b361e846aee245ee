// The console's serving rules, on a stand-in build: index.html at / and for client routes (not for the
// server's own prefixes, nor for non-HTML requests), hashed assets cached for a year, and the security
// headers; and the real build's page holds no inline script or style, so the strict CSP lets it run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePlugin } from './console.js';
import { CONSOLE_DIST } from './console-build.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

function fixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-console-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
  fs.writeFileSync(path.join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  return dir;
}

async function appWith(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setNotFoundHandler((_req, reply) => reply.code(404).type('application/problem+json').send({ code: 'not_found' }));
  // A stand-in for the /api scope, which answers unknown routes itself (401 before anything else).
  await app.register(async (api) => {
    api.setNotFoundHandler((_req, reply) => reply.code(401).send({ code: 'unauthenticated' }));
    api.get('/me', async () => ({ ok: true }));
  }, { prefix: '/api' });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.register(consolePlugin({ https: false, root }));
  return app;
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await appWith(fixture());
});
afterAll(async () => app?.close());

describe('staff console serving', () => {
  it('serves index.html at / with the strict CSP and the other security headers', async () => {
    const res = await app.inject({ url: '/', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toBe(INDEX);
    const csp = String(res.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers client routes with index.html (SPA fallback), with the same headers', async () => {
    for (const url of ['/users', '/patients/3f1c', '/audit', '/login', '/account?x=1']) {
      const res = await app.inject({ url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    }
  });

  it('leaves the server prefixes, non-HTML requests and other methods to their own answers', async () => {
    expect((await app.inject({ url: '/api/nothing-here', headers: html })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/me', headers: html })).json()).toEqual({ ok: true });
    for (const url of ['/sandbox/nope', '/webhooks/other', '/metrics/x', '/assets/missing.js', '/fhir/R4/Patient']) {
      const res = await app.inject({ url, headers: html });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('<html');
    }
    expect((await app.inject({ url: '/users', headers: { accept: 'application/json' } })).statusCode).toBe(404);
    expect((await app.inject({ url: '/users' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/users', headers: html })).statusCode).toBe(404);
    expect((await app.inject({ url: '/healthz', headers: html })).json()).toEqual({ status: 'ok' });
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const res = await app.inject({ url: '/assets/index-AbC123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toContain('max-age=31536000');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('says the console is not built (503) when there is no build, instead of failing to start', async () => {
    const empty = await appWith(fs.mkdtempSync(path.join(os.tmpdir(), 'pl-console-empty-')));
    const res = await empty.inject({ url: '/users', headers: html });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('not built');
    await empty.close();
  });

  it('sends HSTS only behind an https public URL', async () => {
    const secure = Fastify();
    await secure.register(consolePlugin({ https: true, root: fixture() }));
    const res = await secure.inject({ url: '/' });
    expect(res.headers['strict-transport-security']).toContain('max-age=31536000');
    await secure.close();
  });
});

describe('the console sources (web/console/src)', () => {
  it('never render HTML from a string and set no inline style (the CSP refuses them; names stay text)', () => {
    const src = path.resolve('web/console/src');
    const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tsx') || f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const code = fs.readFileSync(path.join(src, f), 'utf8');
      expect(code, f).not.toMatch(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|\bstyle=\{|\.style\.|setAttribute\(\s*'style'/);
    }
  });
});

describe('the built console (dist/console, built by the test set-up)', () => {
  it('loads only same-origin files: no inline script or style for the CSP to block', () => {
    const page = fs.readFileSync(path.join(CONSOLE_DIST, 'index.html'), 'utf8');
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/assets\/[^"]+\.js"/);
      expect(body?.trim()).toBe('');
    }
    expect(page).not.toMatch(/<style\b/);
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).toMatch(/<link rel="stylesheet"[^>]*href="\/assets\/[^"]+\.css"/);
  });

  it('splits the pages into their own chunks, apart from the vendor code', () => {
    const files = fs.readdirSync(path.join(CONSOLE_DIST, 'assets'));
    for (const page of ['users', 'patients', 'patient', 'audit', 'account']) expect(files.some((f) => f.startsWith(`${page}-`)), page).toBe(true);
    expect(files.some((f) => f.startsWith('vendor-'))).toBe(true);
    // The production build of React, also under vitest (NODE_ENV=test): the development one is ~60% larger.
    const size = (f: string) => fs.statSync(path.join(CONSOLE_DIST, 'assets', f)).size;
    const vendor = files.filter((f) => f.startsWith('vendor-') && f.endsWith('.js')).reduce((n, f) => n + size(f), 0);
    expect(vendor).toBeLessThan(420_000); // production React and friends: ~370 kB; the development build is ~60% larger
    // Each page is a chunk of its own, loaded when opened: none is near the size of the shared code.
    for (const f of files.filter((x) => x.endsWith('.js') && !x.startsWith('vendor-') && !x.startsWith('index-'))) expect(size(f), f).toBeLessThan(60_000);
    // ...and production JSX with it (a mixed build fails in the browser: "jsxDEV is not a function").
    for (const f of files.filter((x) => x.endsWith('.js'))) expect(fs.readFileSync(path.join(CONSOLE_DIST, 'assets', f), 'utf8'), f).not.toContain('jsxDEV');
  });
});
