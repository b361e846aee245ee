// The operator's view of start-up: one clear line for a bad setting, a refused second process on the same
// DATA_DIR, and `patientline migrate`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../support/process.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.kill('SIGTERM');
});

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/support/run-cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('patientline CLI', () => {
  it('stops start-up on a bad value with one line naming the variable, no stack trace', () => {
    const r = cli(['start'], { PORT: 'eighty', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cli-')) });
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/configuration error: PORT /);
    expect(r.err).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cli-'));
    const first = await spawnServer({ DATA_DIR: dataDir, WORKERS: '0' });
    running.push(first);
    const r = cli(['start'], { DATA_DIR: dataDir, PORT: '0' });
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(/DATA_DIR .* is in use by another PatientLine process \(pid \d+\)/);
    expect((await fetch(`${first.base}/readyz`)).status).toBe(200);
  });

  it('prints, in sandbox mode, the simulated Graph API\'s base URL, version, ids and token, and they work', async () => {
    const server = await spawnServer({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cli-')), WORKERS: '0' });
    running.push(server);
    const field = (label: string) => new RegExp(`^  ${label}: +(\\S+)`, 'm').exec(server.output())?.[1];
    // The lines come right after the server listens: wait for them on stdout itself.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (field('access token') === undefined) return;
        server.child.stdout?.off('data', check);
        resolve();
      };
      server.child.stdout?.on('data', check);
      check();
    });
    const [url, version, phoneId, wabaId, token] = ['Graph API', 'API version', 'phone number id', 'WABA id', 'access token'].map(field);
    expect(url).toBe(`${server.base}/sandbox/graph`);
    expect(version).toMatch(/^v\d+\.\d+$/);
    expect([phoneId, wabaId, token].every((v) => typeof v === 'string' && v.length > 0)).toBe(true);
    // A Cloud API client given only these values can list templates and upload media.
    const auth = { authorization: `Bearer ${token}` };
    const templates = await fetch(`${url}/${version}/${wabaId}/message_templates`, { headers: auth });
    expect(templates.status).toBe(200);
    expect(((await templates.json()) as { data: { name: string }[] }).data.map((t) => t.name)).toContain('hello_world');
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('file', new Blob(['results attached']), 'note.txt');
    form.append('type', 'text/plain');
    const upload = await fetch(`${url}/${version}/${phoneId}/media`, { method: 'POST', headers: auth, body: form });
    expect(upload.status).toBe(200);
    expect(((await upload.json()) as { id: string }).id).toMatch(/^\d+$/);
  });

  it('migrates with `patientline migrate` and says when there is nothing to do', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-cli-'));
    const first = cli(['migrate'], { DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/applied: 0001-foundation/);
    const second = cli(['migrate'], { DATA_DIR: dataDir });
    expect(second.out.trim()).toBe('the database is up to date');
  });

  it('lists its commands with --help', () => {
    const r = cli(['--help'], {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/start/);
    expect(r.out).toMatch(/migrate/);
  });
});
