// Runs the CLI from the TypeScript sources (tests spawn real server processes with it).
import { runCli } from '../../src/cli.js';

const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
