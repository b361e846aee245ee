// The scheduling domain's public surface: clinic reference data (locations, practitioners, services,
// opening hours, closures, FAQ) and the demo clinic. Availability, slots and appointments will land here.
import type { AppModule } from '../lib/module.js';
import { schedulingCommands } from './cli.js';
import { seedDemoIfNeeded } from './demo-clinic.js';

export { DEMO_CLINIC_CODE, DEMO_LOCATION_CODE } from './demo-clinic-data.js';
export { describeSeed, seedDemoClinic, seedDemoIfNeeded, type SeedDemoOptions, type SeedDemoResult, type SeedLog } from './demo-clinic.js';
export { countClinic, faqCode, seedClinic, type ClinicCounts, type SeedClinicOptions, type SeedClinicResult, type SeedRows } from './seed-clinic.js';
export {
  clinicDefinition,
  FAQ_INTENTS,
  faqIntent,
  languageTag,
  localizedText,
  timeZone,
  type ClinicDefinition,
  type ClinicDefinitionInput,
  type FaqIntent,
} from './schemas.js';

export function schedulingModule(): AppModule {
  return {
    name: 'scheduling',
    // SEED_DEMO: the demo clinic, created once (never overwritten at start).
    init: (ctx) => seedDemoIfNeeded(ctx.database.db, ctx.config, ctx.log),
    commands: schedulingCommands,
  };
}
