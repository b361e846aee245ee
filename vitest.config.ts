// `npm test` runs the suite on embedded PGlite; when TEST_DATABASE_URL names a PostgreSQL server it runs
// it there too, with the tests that need a real server (two instances, row-lock contention).
import { defineConfig } from 'vitest/config';

const server = process.env['TEST_DATABASE_URL'];
const common = {
  include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Builds the staff console (dist/console) once when its sources changed.
  globalSetup: ['test/support/console-build.setup.ts'],
};

export default defineConfig({
  test: {
    reporters: ['default'],
    // Many tests wait on real processes, sockets and databases rather than the CPU: overlap them, but not so
    // many that the timing tests (throughput windows, reconciliation waits) measure a starved machine (2 cores).
    maxWorkers: 3,
    projects: [
      { test: { ...common, name: 'pglite', exclude: ['**/*.server.test.ts', 'node_modules/**'], env: { TEST_DATABASE_URL: '' } } },
      ...(server ? [{ test: { ...common, name: 'postgres', env: { TEST_DATABASE_URL: server } } }] : []),
    ],
  },
});
