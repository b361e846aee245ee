// GET /: a small landing page until the staff console (a later issue) takes this address. It links to
// what exists: the sandbox phone in sandbox mode, the API docs once they are served, and /metrics.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/** web/landing at the project root, from src/http and dist/http alike. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/landing');
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function landingPlugin(opts: { sandbox: boolean; adminEmail: string | undefined }): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const [html, css] = await Promise.all([fs.readFile(path.join(ROOT, 'index.html'), 'utf8'), fs.readFile(path.join(ROOT, 'landing.css'))]);
    app.get('/', async (_req, reply) => {
      const docs = app.hasRoute({ method: 'GET', url: '/api/docs' }) || app.hasRoute({ method: 'GET', url: '/api/docs/' });
      // Only fixed markup is switched on here; nothing user-supplied reaches the page.
      const page = html
        .replace('<!--sandbox-->', opts.sandbox ? '<li><a href="/sandbox"><strong>Patient phone (sandbox)</strong></a> — chat with the clinic as a simulated patient would, on a simulated WhatsApp.</li>' : '')
        .replace('<!--api-docs-->', docs ? '<li><a href="/api/docs">API documentation</a> — the staff REST API (OpenAPI).</li>' : '')
        .replace('<!--mode-->', opts.sandbox ? 'Sandbox mode: no WhatsApp account needed; a built-in simulator plays the WhatsApp Cloud API.' : 'Connected to the WhatsApp Cloud API.')
        .replace('<!--login-->', opts.sandbox && opts.adminEmail ? 'The demo login is printed by <code>npm start</code>.' : '');
      return reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(page);
    });
    app.get('/landing.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(css));
  };
}
