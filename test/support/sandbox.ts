// Starts the real server in sandbox mode (no WHATSAPP_ACCESS_TOKEN) on a free port, with PUBLIC_URL set to
// that port so that the app reaches its own simulated Cloud API; main.ts lists the sandbox module in that
// mode, as for `npm start`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type Running } from '../../src/main.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePort } from './process.js';

export { freePort };

export interface SandboxApp {
  running: Running;
  base: string;
  config: Config;
  sandbox: Sandbox;
  database: Database;
  stop(): Promise<void>;
}

/** `database`: another instance's database (several instances on one PostgreSQL); a fresh one by default.
 * `clock`: what the server and its sandbox read the time from (tests move it instead of sleeping). */
export async function startSandboxApp(env: Record<string, string> = {}, opts: { database?: Database; clock?: { now(): Date } } = {}): Promise<SandboxApp> {
  const database: Database | TestDatabase = opts.database ?? (await createTestDatabase());
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pl-sandbox-')),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const handle: SandboxHandle = { sandbox: null };
  const running = await startServer(config, { database, sandbox: handle, ...(opts.clock ? { clock: opts.clock } : {}) });
  if (!handle.sandbox) throw new Error('the sandbox plugin did not start');
  return {
    running, base: running.url, config, sandbox: handle.sandbox, database,
    async stop() {
      await running.stop();
    },
  };
}
