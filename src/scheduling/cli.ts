// Operator commands of the scheduling domain, listed in its module (index.ts) and dispatched by src/cli.ts.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { databaseOptions, migrate, openDatabase } from '../db/database.js';
import type { Command } from '../lib/module.js';
import { DEMO_CLINIC_CODE } from './demo-clinic-data.js';
import { describeSeed, seedDemoClinic } from './demo-clinic.js';

export const schedulingCommands: Record<string, Command> = {
  'seed-demo': {
    summary: 'create the demo clinic (Paris, 6 languages, 4 practitioners, FAQ) or bring it up to date',
    usage: [
      'patientline seed-demo [--restore-deleted]',
      '',
      'Migrates the database, then writes the demo clinic (code "demo"): its location, practitioners,',
      'services, opening hours, public-holiday closures and FAQ answers. Rows the seed wrote and nobody',
      'changed since are brought up to date; rows staff edited or created are kept as they are, rows staff',
      'deleted are not re-created, and nothing is deleted. Other clinics are left alone. Uses DATABASE_URL',
      'or DATA_DIR like `start` (stop a server that uses the same DATA_DIR first).',
      '',
      '  --restore-deleted  also re-create the demo rows that staff deleted (edited rows stay as they are)',
    ].join('\n'),
    async run(args) {
      // Refuses stray arguments instead of ignoring them: `seed-demo --keep` must not silently reset.
      const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, 'restore-deleted': { type: 'boolean' } }, strict: true, allowPositionals: false });
      const cfg = loadConfig(process.env);
      const database = await openDatabase(databaseOptions(cfg));
      try {
        await migrate(database.db);
        const result = await seedDemoClinic(database.db, { reset: true, restoreDeleted: values['restore-deleted'] === true });
        if (!result.seeded) throw new Error('the demo clinic was not seeded');
        process.stdout.write(`demo clinic "${DEMO_CLINIC_CODE}" seeded: ${describeSeed(result.counts, result.rows)}\n`);
      } finally {
        await database.close();
      }
      return 0;
    },
  },
};
