// Seeds the demo clinic of shared/ARCHITECTURE.md so that every flow can be tried at once in /sandbox:
// `patientline seed-demo` replaces it with a fresh copy, and start-up (SEED_DEMO) seeds it into an empty
// database. Both run in one transaction under an advisory lock, so two instances starting together against
// one PostgreSQL server seed once: the second waits, then sees the first one's clinic.
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { DEMO_CLINIC_CODE, demoClinic } from './demo-clinic-data.js';
import { countClinic, replaceClinic, type ClinicCounts } from './replace-clinic.js';
import { clinicDefinition } from './schemas.js';

export interface SeedDemoOptions {
  /** true: replace the demo clinic's data (seed-demo). false: seed only into a database with no clinic. */
  reset: boolean;
  /** Decides which years' public holidays become closures (this year and the next). */
  now?: Date;
}

export type SeedDemoResult =
  | { seeded: true; clinicId: string; counts: ClinicCounts }
  | { seeded: false; reason: 'clinic_exists' };

export async function seedDemoClinic(db: Db, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  // Parsed on every call: the data is code, but a typo in it should fail here with a path, not as a
  // constraint violation halfway through the transaction.
  const definition = clinicDefinition.parse(demoClinic(opts.now ?? new Date()));
  return db.transaction().execute(async (tx): Promise<SeedDemoResult> => {
    // Transaction-scoped: released by COMMIT or ROLLBACK, never leaked by a crashed seed.
    await sql`select pg_advisory_xact_lock(hashtextextended('patientline:seed-demo', 0))`.execute(tx);
    if (!opts.reset) {
      const existing = await tx.selectFrom('clinics').select('id').limit(1).executeTakeFirst();
      if (existing) return { seeded: false, reason: 'clinic_exists' };
    }
    const clinicId = await replaceClinic(tx, definition);
    return { seeded: true, clinicId, counts: await countClinic(tx, clinicId) };
  });
}

export interface SeedLog {
  info(obj: object, msg: string): void;
}

/** Start-up hook: seeds the demo clinic when SEED_DEMO is on and the database has no clinic yet. */
export async function seedDemoIfNeeded(db: Db, config: Pick<Config, 'seedDemo'>, log?: SeedLog): Promise<void> {
  if (!config.seedDemo) return;
  const result = await seedDemoClinic(db, { reset: false });
  if (result.seeded) log?.info({ code: 'demo_clinic_seeded', clinicCode: DEMO_CLINIC_CODE, ...result.counts }, 'seeded the demo clinic');
}

/** One line for operators: what the demo clinic now holds. */
export function describeSeed(counts: ClinicCounts): string {
  return [
    `${counts.locations} location${counts.locations === 1 ? '' : 's'}`,
    `${counts.practitioners} practitioners`,
    `${counts.services} services`,
    `${counts.practitionerServices} practitioner services`,
    `${counts.openingHours} opening-hour rules`,
    `${counts.closures} closures`,
    `${counts.faqEntries} FAQ entries`,
  ].join(', ');
}
