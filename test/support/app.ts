// Starts the real server in-process against a test database and a fake Graph API.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer, type Running, type StartOptions } from '../../src/main.js';
import type { TestDatabase } from './db.js';

export const APP_SECRET = 'test-app-secret';
export const TOKEN = 'test-token';
export const VERIFY = 'verify-me';

/**
 * What the test servers are told about the Cloud API: the fake Graph API at `graphUrl` with the tests' token,
 * phone number id, app secret and verify token; `businessAccount` adds the WABA id (templates are created and
 * synced only with one).
 */
export function cloudApiEnv(graphUrl: string, o: { businessAccount?: boolean } = {}): Record<string, string> {
  return {
    WHATSAPP_API_URL: graphUrl,
    WHATSAPP_ACCESS_TOKEN: TOKEN,
    WHATSAPP_PHONE_NUMBER_ID: 'PN1',
    ...(o.businessAccount ? { WHATSAPP_BUSINESS_ACCOUNT_ID: 'WABA1' } : {}),
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: VERIFY,
  };
}

export async function startTestApp(database: TestDatabase, graphUrl: string, env: Record<string, string> = {}, opts: StartOptions = {}): Promise<Running & { base: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pl-app-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ...cloudApiEnv(graphUrl, { businessAccount: true }),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await startServer(config, { ...opts, database });
  return { ...running, base: running.url };
}

export async function waitFor<T>(fn: () => T | Promise<T>, ms = 10_000, step = 25): Promise<T> {
  const end = Date.now() + ms;
  let last: T = await fn();
  while (!last && Date.now() < end) {
    await new Promise((r) => setTimeout(r, step));
    last = await fn();
  }
  return last;
}
