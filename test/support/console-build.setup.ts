// Vitest global set-up: builds the staff console once per run when it is stale, before any test file starts
// (tests that serve the console, or drive it in Chromium, read dist/console).
import { ensureConsoleBuilt } from '../../src/http/console-build.js';

export default async function setup(): Promise<void> {
  await ensureConsoleBuilt({ quiet: true });
}
