// Security headers on the real app's HTML pages (sandbox mode): the console at / and on a client route, and
// the sandbox phone, each with its CSP, nosniff and no referrer; the webhook stays free of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxApp, type SandboxApp } from '../support/sandbox.js';

let app: SandboxApp;
beforeAll(async () => {
  app = await startSandboxApp({ WORKERS: '0' });
});
afterAll(async () => app?.stop());

const page = (url: string) => app.running.app.inject({ url, headers: { accept: 'text/html' } });

describe('security headers on every HTML page', () => {
  it('the console at / and at a client route: strict CSP, nosniff, no referrer, no framing', async () => {
    for (const url of ['/', '/patients/123']) {
      const res = await page(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('<div id="root">');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('the sandbox phone page and its assets: the same, with blob: images for picked photos', async () => {
    const res = await page('/sandbox');
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const css = await app.running.app.inject('/sandbox/assets/phone.css');
    expect(css.headers['x-content-type-options']).toBe('nosniff');
  });

  it('leaves /api to its own rules: an unknown path asked for as a page is still 401 without credentials', async () => {
    const res = await page('/api/no-such-route');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('leaves the webhook route alone (no page there)', async () => {
    const res = await app.running.app.inject({ url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1' });
    expect(res.headers['content-security-policy']).toBeUndefined();
  });
});
