// `npm test` runs the suite on embedded PGlite; when TEST_DATABASE_URL names a PostgreSQL server it runs
// it there too, with the tests that need a real server (two instances, row-lock contention).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

const server = process.env['TEST_DATABASE_URL'];
const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const common = {
  include,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Builds the staff console (dist/console) once when its sources changed.
  globalSetup: ['test/support/console-build.setup.ts'],
};

/**
 * Test files that never reach the server: they name neither the test database (createTestDatabase,
 * TEST_DATABASE_URL, serverUrl) nor the sandbox app that opens one (startSandboxApp). They are pure (the
 * understanding layer, the wire format, slots) or open an embedded database of their own (the CLI on a
 * DATA_DIR), so they run the same on both passes: the server pass leaves them to the PGlite one.
 */
const serverBlind = server
  ? include.flatMap((g) => fs.globSync(g, { cwd: root })).filter((f) => !/createTestDatabase|TEST_DATABASE_URL|startSandboxApp|serverUrl/.test(fs.readFileSync(path.join(root, f), 'utf8')))
  : [];

export default defineConfig({
  test: {
    reporters: ['default'],
    // Many tests wait on real processes, sockets and databases rather than the CPU: overlap them, but not so
    // many that the timing tests (throughput windows, reconciliation waits) measure a starved machine (2 cores).
    maxWorkers: 3,
    projects: [
      { test: { ...common, name: 'pglite', exclude: ['**/*.server.test.ts', 'node_modules/**'], env: { TEST_DATABASE_URL: '' } } },
      ...(server ? [{ test: { ...common, name: 'postgres', exclude: ['node_modules/**', ...serverBlind], env: { TEST_DATABASE_URL: server } } }] : []),
    ],
  },
});
