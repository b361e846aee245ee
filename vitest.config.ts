// `npm test` runs the suite on embedded PGlite; when TEST_DATABASE_URL names a PostgreSQL server it runs
// it there too, with the tests that need a real server (two instances, row-lock contention).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = path.dirname(fileURLToPath(import.meta.url));

const server = process.env['TEST_DATABASE_URL'];
const include = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const common = {
  include,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Builds the staff console (dist/console) once when its sources changed.
  globalSetup: ['test/support/console-build.setup.ts'],
  // A worker keeps its module graph from one test file to the next: each file re-importing the app (the
  // understanding layer, the migrations, Fastify) cost a third of the suite's CPU. Tests therefore leave no
  // global state behind (timers, env, module-level caches they set up are theirs to undo).
  isolate: false,
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

const spawnsProcesses = (file: string) => /\bspawn(Server|Sync)?\(/.test(fs.readFileSync(file, 'utf8'));
/** Tests that measure rates over time windows (the sender's cap): they need a machine that is not starved. */
const measuresRates = (file: string) => /throughput/.test(path.basename(file));

/**
 * Vitest's order (each project's files, larger first), except that the files which spawn real processes (kill
 * -9, two instances, the CLI) start first, both projects' together: they spend most of their time waiting on
 * those processes, so started early they overlap the rest rather than run alone at the end of the run. The
 * rate measurements stay among the ordinary files: started beside all the spawning ones, they measured a
 * machine at a load of 6 on 2 cores (one saw 43 sends in a second at a cap of 20).
 */
class ProcessesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = new Map(sorted.map((f) => [f, spawnsProcesses(f.moduleId) && !measuresRates(f.moduleId)]));
    // Array sort is stable: within each group, Vitest's order stands.
    return [...sorted].sort((a, b) => Number(first.get(b)) - Number(first.get(a)));
  }
}

export default defineConfig({
  test: {
    reporters: ['default'],
    // Many tests wait on real processes, sockets and databases rather than the CPU: overlap them, but not so
    // many that the timing tests (throughput windows, reconciliation waits) measure a starved machine (2 cores).
    maxWorkers: 3,
    sequence: { sequencer: ProcessesFirst },
    projects: [
      { test: { ...common, name: 'pglite', exclude: ['**/*.server.test.ts', 'node_modules/**'], env: { TEST_DATABASE_URL: '' } } },
      ...(server ? [{ test: { ...common, name: 'postgres', exclude: ['node_modules/**', ...serverBlind], env: { TEST_DATABASE_URL: server } } }] : []),
    ],
  },
});
