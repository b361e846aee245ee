// Appointments in chat (book, reschedule, cancel, confirm, status). Booking itself lands with issue 14; until
// then the patient is told that reception arranges it here, and a handoff (requested, normal) puts the
// conversation in the staff inbox so that a human does. `booking:start:<service>` (the triage flow's offer)
// and `menu:book` start it too.
import type { Flow, StepInput } from '../conversation/flow.js';
import { tappedId } from './common.js';
import { handTo } from './handoff.js';

const BY_INTENT: Record<string, string> = {
  book_appointment: 'booking.book',
  reschedule_appointment: 'booking.reschedule',
  cancel_appointment: 'booking.cancel',
  confirm_appointment: 'booking.confirm',
  appointment_status: 'booking.status',
};

function bodyKey(input: StepInput): string {
  const id = tappedId(input.message);
  if (id !== null) return 'booking.book';
  return BY_INTENT[input.nlu?.intent ?? ''] ?? 'booking.book';
}

export const bookingFlow: Flow<never> = {
  name: 'booking',
  version: 1,
  async start(input, ctx) {
    return handTo(ctx, input, bodyKey(input));
  },
  async step(_state, input, ctx) {
    return this.start(input, ctx);
  },
};
