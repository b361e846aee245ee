// The composition root loops over the modules: routes always, workers and job handlers only with
// WORKERS=1 (the sandbox's webhook dispatcher included), stopped before the database closes.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestApp, waitFor } from '../test/support/app.js';
import { createTestDatabase } from '../test/support/db.js';
import { freePort } from '../test/support/process.js';
import { startSandboxApp } from '../test/support/sandbox.js';
import { defineJob } from './jobs/index.js';
import type { AppModule } from './lib/module.js';
import { appModules } from './main.js';

function testModule(events: string[]): AppModule {
  return {
    name: 'test',
    jobs: [defineJob('test.module-job', z.object({ n: z.number() }), async (p) => { events.push(`job ${p.n}`); })],
    routes: () => async (app) => {
      app.get('/test/ping', async () => ({ pong: true }));
    },
    workers: (ctx) => [
      {
        name: 'test-worker',
        start() { events.push('start'); },
        async stop() {
          // Still able to use the database: it closes after the workers stopped.
          await sql`select 1`.execute(ctx.database.db);
          events.push('stop');
        },
      },
    ],
  };
}

describe('modules', () => {
  it('with WORKERS=0 registers routes and jobs but starts no worker and runs no job', async () => {
    const events: string[] = [];
    const running = await startTestApp(await createTestDatabase(), 'http://127.0.0.1:9', { WORKERS: '0' }, { modules: [testModule(events)], listen: false });
    try {
      expect((await running.app.inject('/test/ping')).json()).toEqual({ pong: true });
      expect(running.workers).toEqual([]);
      expect(running.services.jobs.working).toBe(false);
      // An instance without workers still enqueues (the API does): the job waits for one with workers.
      const r = await running.services.jobs.enqueue(running.services.database.db, 'test.module-job', { n: 1 }, { key: 'one' });
      expect(r.created).toBe(true);
      expect((await running.services.jobs.state('test.module-job', 'one'))?.state).toBe('created');
    } finally {
      await running.stop();
    }
    expect(events).toEqual([]);
  });

  it('with WORKERS=1 starts every module’s workers and job handlers, and stops them before the database', async () => {
    const events: string[] = [];
    const running = await startTestApp(await createTestDatabase(), 'http://127.0.0.1:9', { WORKERS: '1' }, { modules: [testModule(events)], listen: false });
    try {
      expect(running.workers).toEqual(expect.arrayContaining(['inbound', 'sender', 'statuses', 'media', 'reconcile', 'test-worker']));
      expect(running.workers).not.toContain('sandbox-webhooks');
      await running.services.database.db.transaction().execute((tx) => running.services.jobs.enqueue(tx, 'test.module-job', { n: 2 }, { key: 'two' }));
      expect(await waitFor(() => events.includes('job 2'))).toBe(true);
    } finally {
      await running.stop();
    }
    expect(events).toEqual(['start', 'job 2', 'stop']);
  });

  it('runs the sandbox’s webhook dispatcher only with WORKERS=1, like every other worker', async () => {
    const off = await startSandboxApp({ WORKERS: '0' });
    try {
      expect(off.running.workers).toEqual([]);
      // The simulator itself still answers: only its background delivery waits for a worker.
      expect((await fetch(`${off.base}/sandbox/api/state`)).status).toBe(200);
    } finally {
      await off.stop();
    }
    const on = await startSandboxApp({ WORKERS: '1' });
    try {
      expect(on.running.workers).toContain('sandbox-webhooks');
    } finally {
      await on.stop();
    }
  });

  it('opens its port before the workers start, and is ready (/readyz) only once they have', async () => {
    let open = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const slow: AppModule = { name: 'slow-start', workers: () => [{ name: 'slow-worker', start: () => gate, async stop() {} }] };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const starting = startTestApp(await createTestDatabase(), 'http://127.0.0.1:9', { WORKERS: '1', PORT: String(port) }, { modules: [slow] });
    try {
      // The worker is still starting: the process answers (webhooks are taken in), but is not ready.
      expect(await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200, 60_000, 20)).toBe(true);
      const r = await fetch(`${base}/readyz`);
      expect(r.status).toBe(503);
      expect(((await r.json()) as { code: string }).code).toBe('starting');
    } finally {
      open();
    }
    const running = await starting;
    try {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  it('gives every command to the CLI from exactly one module', () => {
    const names = appModules({ sandbox: true }).flatMap((m) => Object.keys(m.commands ?? {}));
    expect(names).toEqual(expect.arrayContaining(['start', 'migrate', 'seed-demo']));
    expect(new Set(names).size).toBe(names.length);
  });
});
