import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { landingPlugin } from './landing.js';

async function page(sandbox: boolean, withDocs = false) {
  const app = Fastify();
  if (withDocs) app.get('/api/docs', async () => 'docs');
  await app.register(landingPlugin({ sandbox, adminEmail: 'admin@demo.patientline.local' }));
  const res = await app.inject('/');
  await app.close();
  return res;
}

describe('landing page', () => {
  it('links to the sandbox phone and metrics in sandbox mode, and says where the staff console comes', async () => {
    const res = await page(true);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('href="/sandbox"');
    expect(res.body).toContain('href="/metrics"');
    expect(res.body).toContain('staff console');
    expect(res.body).not.toContain('href="/api/docs"');
    expect(res.body).not.toContain('<!--');
  });

  it('links to the API docs once they are served, and not to the sandbox outside sandbox mode', async () => {
    const res = await page(false, true);
    expect(res.body).toContain('href="/api/docs"');
    expect(res.body).not.toContain('href="/sandbox"');
  });
});
