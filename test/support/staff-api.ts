// The real app (every module) on a test database, for /api tests through app.inject: ADMIN_API_TOKEN as a
// bearer, and a test credential `Bearer role:<role>` for the other roles (as src/http/api.test.ts does).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from '../../src/http/api.js';
import type { Clock } from '../../src/lib/clock.js';
import type { AppModule } from '../../src/lib/module.js';
import type { Services } from '../../src/main.js';
import { startTestApp } from './app.js';
import type { TestDatabase } from './db.js';

export const ADMIN_TOKEN = 'admin-token-'.padEnd(44, 'x');
/** The key test/support/inbound.ts's cipher uses: messages stored through it open in the app. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 5).toString('base64');

const testAuth: Authenticator = async (req) => {
  const m = /^Bearer role:(\w+)$/.exec(req.headers.authorization ?? '');
  if (!m) return null;
  return { kind: 'token', id: `tok-${m[1]}`, role: z.enum(['admin', 'clinician', 'reception', 'analyst']).parse(m[1]), userId: null };
};
const testAuthModule: AppModule = { name: 'test-auth', authenticator: () => testAuth };

export interface StaffApi {
  app: FastifyInstance;
  services: Services;
  /** Headers of a caller with this role ('admin' is ADMIN_API_TOKEN). */
  as(role: 'admin' | 'clinician' | 'reception' | 'analyst'): Record<string, string>;
  stop(): Promise<void>;
}

export async function startStaffApi(database: TestDatabase, o: { env?: Record<string, string>; clock?: Clock } = {}): Promise<StaffApi> {
  const running = await startTestApp(database, 'http://127.0.0.1:9', { WORKERS: '0', ADMIN_API_TOKEN: ADMIN_TOKEN, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...o.env }, {
    modules: [testAuthModule], listen: false, ...(o.clock ? { clock: o.clock } : {}),
  });
  return {
    app: running.app,
    services: running.services,
    as: (role) => ({ authorization: role === 'admin' ? `Bearer ${ADMIN_TOKEN}` : `Bearer role:${role}` }),
    stop: () => running.stop(),
  };
}
