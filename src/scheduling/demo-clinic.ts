// Seeds the demo clinic of shared/ARCHITECTURE.md so that every flow can be tried at once in /sandbox.
// `patientline seed-demo` creates it or brings it up to date, and start-up (SEED_DEMO) does the same when the
// database has no clinic or already has the demo clinic. Neither deletes nor overwrites what staff or
// patients made (seed-clinic.ts says how). Both run in one transaction under an advisory lock, so two
// instances starting together against one PostgreSQL server seed once: the second waits, then finds the
// first one's rows current.
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { DEMO_CLINIC_CODE, demoClinic } from './demo-clinic-data.js';
import { countClinic, seedClinic, type ClinicCounts, type SeedRows } from './seed-clinic.js';
import { clinicDefinition } from './schemas.js';

export interface SeedDemoOptions {
  /** true (seed-demo): create or update the demo clinic even beside other clinics. false (start-up): only
   * into a database with no clinic, or one that already has the demo clinic. */
  reset: boolean;
  /** Decides which years' public holidays become closures (this year and the next). */
  now?: Date;
  /** Re-create the demo rows staff deleted (seed-demo --restore-deleted). */
  restoreDeleted?: boolean;
}

export type SeedDemoResult =
  | { seeded: true; created: boolean; clinicId: string; counts: ClinicCounts; rows: SeedRows }
  | { seeded: false; reason: 'clinic_exists' };

export async function seedDemoClinic(db: Db, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  // Parsed on every call: the data is code, but a typo in it should fail here with a path, not as a
  // constraint violation halfway through the transaction.
  const definition = clinicDefinition.parse(demoClinic(opts.now ?? new Date()));
  return db.transaction().execute(async (tx): Promise<SeedDemoResult> => {
    // Transaction-scoped: released by COMMIT or ROLLBACK, never leaked by a crashed seed.
    await sql`select pg_advisory_xact_lock(hashtextextended('patientline:seed-demo', 0))`.execute(tx);
    if (!opts.reset) {
      // A database holding only other clinics is a real clinic's: start-up never adds a demo clinic to it.
      const other = await tx.selectFrom('clinics').select('id').where('code', '<>', DEMO_CLINIC_CODE).limit(1).executeTakeFirst();
      const demo = await tx.selectFrom('clinics').select('id').where('code', '=', DEMO_CLINIC_CODE).executeTakeFirst();
      if (other && !demo) return { seeded: false, reason: 'clinic_exists' };
    }
    const r = await seedClinic(tx, definition, { restoreDeleted: opts.restoreDeleted === true });
    return { seeded: true, created: r.created, clinicId: r.clinicId, counts: await countClinic(tx, r.clinicId), rows: r.rows };
  });
}

export interface SeedLog {
  info(obj: object, msg: string): void;
}

/** Start-up hook: with SEED_DEMO on, seeds the demo clinic into an empty database, or brings it up to date. */
export async function seedDemoIfNeeded(db: Db, config: Pick<Config, 'seedDemo'>, log?: SeedLog, now?: Date): Promise<void> {
  if (!config.seedDemo) return;
  const result = await seedDemoClinic(db, { reset: false, ...(now ? { now } : {}) });
  if (!result.seeded) return;
  if (result.created) log?.info({ code: 'demo_clinic_seeded', clinicCode: DEMO_CLINIC_CODE, ...result.counts }, 'seeded the demo clinic');
  else if (result.rows.written > 0) log?.info({ code: 'demo_clinic_updated', clinicCode: DEMO_CLINIC_CODE, ...result.rows }, 'brought the demo clinic up to date');
}

/** One line for operators: what the demo clinic now holds, and what the seed left as staff made it. */
export function describeSeed(counts: ClinicCounts, rows?: SeedRows): string {
  const holds = [
    `${counts.locations} location${counts.locations === 1 ? '' : 's'}`,
    `${counts.practitioners} practitioners`,
    `${counts.services} services`,
    `${counts.practitionerServices} practitioner services`,
    `${counts.openingHours} opening-hour rules`,
    `${counts.closures} closures`,
    `${counts.faqEntries} FAQ entries`,
  ].join(', ');
  if (!rows) return holds;
  return `${holds} (${rows.written} rows written, ${rows.current} already current, ${rows.kept} kept as staff changed them, ${rows.skipped} deleted by staff and not re-created)`;
}
