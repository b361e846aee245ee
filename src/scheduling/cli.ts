// Operator commands of the scheduling domain, listed in its module (index.ts) and dispatched by src/cli.ts.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { migrate, openDatabase } from '../db/database.js';
import type { Command } from '../lib/module.js';
import { DEMO_CLINIC_CODE } from './demo-clinic-data.js';
import { describeSeed, seedDemoClinic } from './demo-clinic.js';

export const schedulingCommands: Record<string, Command> = {
  'seed-demo': {
    summary: 'replace the demo clinic (Paris, 6 languages, 4 practitioners, FAQ) with a fresh copy',
    usage: [
      'patientline seed-demo',
      '',
      'Migrates the database, then rewrites the demo clinic (code "demo"): its location, practitioners,',
      'services, opening hours, public-holiday closures and FAQ answers. Ids of its location, practitioners',
      'and services are kept; other clinics are left alone. Uses DATABASE_URL or DATA_DIR like `start`',
      '(stop a server that uses the same DATA_DIR first).',
    ].join('\n'),
    async run(args) {
      // Refuses stray arguments instead of ignoring them: `seed-demo --keep` must not silently reset.
      parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
      const cfg = loadConfig(process.env);
      const database = await openDatabase({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
      try {
        await migrate(database.db);
        const result = await seedDemoClinic(database.db, { reset: true });
        if (!result.seeded) throw new Error('the demo clinic was not seeded');
        process.stdout.write(`demo clinic "${DEMO_CLINIC_CODE}" seeded: ${describeSeed(result.counts)}\n`);
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};
