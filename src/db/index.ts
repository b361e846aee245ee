// The database's public surface: opening PGlite or a PostgreSQL server, migrations, and the `migrate`
// command.
import { loadConfig } from '../config.js';
import type { AppModule } from '../lib/module.js';
import { databaseOptions, migrate, openDatabase } from './database.js';

export { migrate, openDatabase, ping, type Database, type Db, type DbOrTx, type Tx } from './database.js';

export function databaseModule(): AppModule {
  return {
    name: 'database',
    commands: {
      migrate: {
        summary: 'apply pending database migrations and exit',
        usage: 'patientline migrate',
        async run() {
          const cfg = loadConfig(process.env);
          const database = await openDatabase(databaseOptions(cfg));
          try {
            const applied = await migrate(database.db);
            process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
          } finally {
            await database.close();
          }
          return 0;
        },
      },
    },
  };
}
