// The scheduling domain's public surface: clinic reference data (locations, practitioners, services,
// opening hours, closures, FAQ), the demo clinic, availability and slots, appointments, the waitlist, and
// the staff API (/api/services, /api/slots, /api/appointments, the clinic catalogue). The chat booking flow
// calls the repository functions below with its own transaction.
import type { AppModule } from '../lib/module.js';
import { catalogRoutes } from './catalog-routes.js';
import { schedulingCommands } from './cli.js';
import { seedDemoIfNeeded } from './demo-clinic.js';
import { schedulingRoutes } from './routes.js';

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

export {
  APPOINTMENT_STATES, bookAppointment, cancelAppointment, CANCEL_REASONS, getAppointment, listAppointments, markAppointment, newRoomName, rescheduleAppointment,
  upcomingAppointments, videoUrlFor,
  type Appointment, type AppointmentDeps, type AppointmentFilter, type BookInput, type BookingFailure, type BookingResult, type CancelInput, type ChangeResult,
  type RescheduleInput, type RescheduleResult, type SchedulingActor,
} from './appointments.js';
export { HOLDING_STATES, nearestSlots, searchSlots, serviceRules, type FreeSlot, type NearestSearch, type ServiceRules, type SlotSearch } from './slot-search.js';
export { acceptOffer, declineOffer, joinWaitlist, leaveWaitlist, offerFreedSlot, partOfDayOf, waitlistOf, type AcceptResult, type FreedSlot, type JoinWaitlistInput, type WaitlistEntry, type WaitlistOffer } from './waitlist.js';
export { availability, slots, type AvailabilityInput, type SlotRules } from './slots.js';
export { localDateOf, localToInstant, localDaysInterval, parseLocalDate, formatLocalDate, type Interval, type LocalDate } from './intervals.js';

export function schedulingModule(): AppModule {
  return {
    name: 'scheduling',
    api: (ctx) => async (app) => {
      await app.register(schedulingRoutes(ctx));
      await app.register(catalogRoutes(ctx));
    },
    // SEED_DEMO: the demo clinic, created once (never overwritten at start).
    init: (ctx) => seedDemoIfNeeded(ctx.database.db, ctx.config, ctx.log),
    commands: schedulingCommands,
  };
}
