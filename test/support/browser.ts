// Where the browser tests find Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium. Without one they are
// reported as skipped with a line that says how to enable them; under CI (CI=true) a missing browser is a
// failure, so CI never skips them silently. Playwright never downloads a browser here.
import fs from 'node:fs';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'];

function find(): string | null {
  const named = process.env['CHROMIUM_PATH'];
  const candidate = named && named.length > 0 ? named : '/usr/bin/chromium';
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return candidate;
  } catch {
    return null;
  }
}

export const chromiumPath: string | null = find();

/** True when the browser tests must be skipped; says so once, with how to enable them. */
export function browserMissing(): boolean {
  if (chromiumPath) return false;
  const where = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
  if (process.env['CI'] === 'true') throw new Error(`browser tests: no Chromium at ${where} (CI must have one: apt-get install chromium)`);
  process.stderr.write(`browser tests skipped: no Chromium at ${where}. Enable them with \`apt-get install chromium\` or CHROMIUM_PATH=/path/to/chromium.\n`);
  return true;
}
