// Builds the staff console (web/console, React + Vite) into dist/console when it is missing or older than its
// sources. `patientline start` and the test suite's global set-up call ensureConsoleBuilt(); the build runs
// through Vite's JS API from node_modules, never the network.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The console's sources. */
export const CONSOLE_SOURCE = path.join(PROJECT, 'web', 'console');
/** Where the built console is served from (git-ignored, like the rest of dist/). */
export const CONSOLE_DIST = path.join(PROJECT, 'dist', 'console');
const STAMP = '.build-stamp';
// This file's own changes (the build settings) also make a build stale: its source, not dist/'s copy (which
// every TypeScript build rewrites).
const SELF = [path.join(PROJECT, 'src', 'http', 'console-build.ts')];

function newest(dir: string): number {
  let m = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newest(p));
    else if (!e.name.endsWith('.test.ts') && !e.name.endsWith('.test.tsx')) m = Math.max(m, fs.statSync(p).mtimeMs);
  }
  return m;
}

/** True when there is no build, or a source (or the build settings) changed after it. */
export function consoleBuildIsStale(source = CONSOLE_SOURCE, dist = CONSOLE_DIST): boolean {
  const stamp = path.join(dist, STAMP);
  if (!fs.existsSync(stamp) || !fs.existsSync(path.join(dist, 'index.html'))) return true;
  const built = fs.statSync(stamp).mtimeMs;
  const settings = Math.max(0, ...SELF.filter((f) => fs.existsSync(f)).map((f) => fs.statSync(f).mtimeMs));
  return Math.max(newest(source), settings) > built;
}

/** Builds into a temporary folder, then swaps it in, so a server never reads a half-written build. */
export async function buildConsole(source = CONSOLE_SOURCE, dist = CONSOLE_DIST): Promise<void> {
  const [{ build }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  const tmp = `${dist}.tmp-${process.pid}-${Date.now()}`;
  // Vite and the React plugin choose the production build (React's and JSX's) from NODE_ENV, which vitest
  // sets to 'test': a mixed build would fail in the browser ("jsxDEV is not a function").
  const nodeEnv = process.env['NODE_ENV'];
  process.env['NODE_ENV'] = 'production';
  try {
    await build({
      configFile: false,
      root: source,
      mode: 'production',
      base: '/',
      logLevel: 'warn',
      plugins: [react()],
      build: {
        outDir: tmp,
        emptyOutDir: true,
        assetsDir: 'assets',
        // The CSP allows no inline script: Vite's modulepreload polyfill is bundled, not inlined.
        modulePreload: { polyfill: true },
        sourcemap: false,
        reportCompressedSize: false,
        chunkSizeWarningLimit: 600,
        rolldownOptions: {
          output: {
            // React and i18next change rarely: their own long-cached chunk, apart from the pages.
            codeSplitting: { groups: [{ name: 'vendor', test: /node_modules[\\/](react|react-dom|scheduler|i18next|react-i18next|zod)[\\/]/ }] },
          },
        },
      },
    });
    fs.writeFileSync(path.join(tmp, STAMP), new Date().toISOString());
    fs.rmSync(dist, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dist);
    } catch (e) {
      // Another process (a test run beside `npm start`) swapped its own build in first: same sources, keep it.
      if (!fs.existsSync(path.join(dist, STAMP))) throw e;
    }
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
    else process.env['NODE_ENV'] = nodeEnv;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Builds when stale; says so on stderr (a build takes a few seconds). Returns whether it built. */
export async function ensureConsoleBuilt(opts: { quiet?: boolean } = {}): Promise<boolean> {
  if (!consoleBuildIsStale()) return false;
  if (!opts.quiet) process.stderr.write('patientline: building the staff console (Vite → dist/console/)…\n');
  await buildConsole();
  return true;
}
