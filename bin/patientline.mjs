#!/usr/bin/env node
// Entry point of `npm start` and `npx patientline`: builds the TypeScript sources when dist/ is missing or
// older than src/, then runs the CLI from dist/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const sources = Math.max(newestSource(path.join(root, 'src')), fs.statSync(path.join(root, 'tsconfig.json')).mtimeMs);
  if (built >= sources && fs.existsSync(path.join(root, 'dist', 'cli.js'))) return;
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    process.stderr.write('patientline: the build needs TypeScript: run `npm install` first\n');
    process.exit(1);
  }
  process.stderr.write('patientline: building (TypeScript → dist/)…\n');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    process.stderr.write('patientline: the build failed (see above)\n');
    process.exit(1);
  }
  fs.writeFileSync(stamp, new Date().toISOString());
}

buildIfNeeded();
const { runCli } = await import(pathToFileURL(path.join(root, 'dist', 'cli.js')).href);
const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
