// The contract of the conversation engine (issue 13): flows are pure steps
//   step(state, input, ctx) → { state, outbound[], effects[] }
// (STYLE.md, "Flows are pure"). A flow reads what it needs through `ctx` (read-only) and never writes: the
// inbound worker persists the returned state, outbox rows and effects in the transaction that marks the
// message done. Flows test without I/O. Each flow is one module under src/flows/.
import type { HandoffPriority, HandoffReason } from '../db/schema.js';
import type { Language, NluResult, RedFlagKind } from '../nlu/types.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import type { OutboundMessage } from '../whatsapp/outbound.js';

/** A translator bound to the patient's language (src/flows/messages/<lang>.json through i18next). */
export type Translate = (key: string, vars?: Record<string, unknown>) => string;

export interface StepInput {
  message: InboundMessage;
  /** The message's text (text body, caption, button or list title), or null. */
  text: string | null;
  /** The understanding of `text`, computed outside the database transaction; null for non-text input. */
  nlu: NluResult | null;
  now: Date;
  isNewPatient: boolean;
}

export interface ClinicView {
  name: string;
  emergencyNumber: string;
  /** A crisis line for suicidal thoughts and self-harm, where the clinic configured one. */
  crisisLine: string | null;
  timeZone: string;
  languages: readonly Language[];
  defaultLanguage: Language;
  phone: string | null;
  /** Whether the clinic (its main location) is open at `at`, and when it next opens. */
  isOpen(at: Date): boolean;
  nextOpening(at: Date): Date | null;
}

export interface PatientView {
  id: string;
  /** The stored preference; null until detected or chosen. */
  language: Language | null;
  optedOut: boolean;
}

export interface FaqAnswer {
  topic: string;
  question: string;
  answer: string;
  link: string | null;
}

/** The clinic's FAQ as staff edited it (src/faq): read-only. */
export interface FaqLookup {
  /** The answer to a topic in a language (falling back to the clinic's default language), or null. */
  answer(topic: string, language: Language): Promise<FaqAnswer | null>;
  /** The entry whose question or variants mean what `text` asks, or null when none is close enough. */
  match(text: string, language: Language, nlu: NluResult | null): Promise<(FaqAnswer & { score: number }) | null>;
  /** Topics to offer in a list, in the language. */
  topics(language: Language): Promise<{ topic: string; title: string }[]>;
}

export interface HandoffView {
  id: string;
  state: 'open' | 'assigned';
  priority: HandoffPriority;
}

/** A service as the booking flow offers it, named in the patient's language. */
export interface ServiceChoice {
  id: string;
  /** The clinic's slug for it ('blood-test'): the triage flow's offer to book names it. */
  code: string;
  name: string;
  /** Its names in every language and the clinic's keywords for it (service matching on free text). */
  terms: readonly string[];
  durationMinutes: number;
  mode: 'in_person' | 'video';
  practitionerIds: readonly string[];
}

export interface PractitionerChoice {
  id: string;
  name: string;
  specialties: readonly string[];
  languages: readonly string[];
}

export interface SlotChoice {
  serviceId: string;
  practitionerId: string;
  start: Date;
  end: Date;
}

/** One of the patient's appointments, with what a confirmation says (in the patient's language). */
export interface AppointmentView {
  id: string;
  serviceId: string;
  serviceName: string;
  practitionerId: string;
  practitionerName: string;
  start: Date;
  end: Date;
  state: string;
  mode: 'in_person' | 'video';
  /** The location's address (in person), or null. */
  address: string | null;
  /** The join link (video visits), or null. */
  videoUrl: string | null;
  /** Preparation instructions, or null. */
  instructions: string | null;
}

export type BookingRefusal = 'patient_busy' | 'slot_taken' | 'outside_availability' | 'outside_booking_window' | 'unknown_service' | 'unknown_patient' | 'not_found' | 'invalid_transition';
export type AppointmentOutcome = { ok: true; appointment: AppointmentView } | { ok: false; code: BookingRefusal };

/**
 * Scheduling as the booking flow sees it, bound to the patient and the message's transaction. Reads are
 * reads; the commands (book, cancel, reschedule, confirm, the waitlist, the patient's particulars) write in
 * the message's transaction, each in its own savepoint where the database may refuse it, and answer a typed
 * outcome the flow turns into words: the one place a flow writes, because whether a slot could be had is
 * only known by trying. Everything commits with the reply, or nothing does.
 */
export interface SchedulingPort {
  services(): Promise<ServiceChoice[]>;
  practitioners(serviceId: string): Promise<PractitionerChoice[]>;
  /** Free slots, earliest first; `practitionerId` null: anyone who gives the service. */
  slots(q: { serviceId: string; practitionerId: string | null; from: Date; to: Date; limit: number }): Promise<SlotChoice[]>;
  /** The free slots nearest an instant, or inside a window (then nearest to it). */
  nearest(q: { serviceId: string; practitionerId: string | null; target: Date | { from: Date; to: Date }; limit: number }): Promise<SlotChoice[]>;
  /** The patient's booked or confirmed appointments still to come, soonest first. */
  upcoming(): Promise<AppointmentView[]>;
  /** Whether the patient's name and date of birth are on file. */
  identity(): Promise<{ name: boolean; dateOfBirth: boolean }>;
  saveIdentity(p: { name: string; dateOfBirth: string }): Promise<void>;
  /** Books the slot; `patient_busy` when the patient already has an appointment at that time. */
  book(s: { serviceId: string; practitionerId: string; start: Date }): Promise<AppointmentOutcome>;
  /** Cancels the patient's own appointment; the freed time is offered to the waitlist. */
  cancel(appointmentId: string, note: string | null): Promise<AppointmentOutcome>;
  /** Moves the patient's own appointment; the old time is freed only when the new one is taken. */
  reschedule(appointmentId: string, to: { practitionerId: string; start: Date }): Promise<AppointmentOutcome>;
  confirm(appointmentId: string): Promise<AppointmentOutcome>;
  joinWaitlist(w: { serviceId: string; practitionerId: string | null; fromDate: string; toDate: string; partOfDay: 'any' | 'morning' | 'afternoon' }): Promise<boolean>;
  /** Takes a waitlist offer made to this patient; `gone` when someone else was quicker or it expired. */
  acceptOffer(offerId: string): Promise<AppointmentOutcome | { ok: false; code: 'gone' }>;
  declineOffer(offerId: string): Promise<boolean>;
}

/** A vitals prompt sent to the patient (in the last 12 hours) and not answered yet. */
export interface OpenVitalsPrompt {
  occurrenceId: string;
  measure: 'glucose' | 'blood_pressure' | 'weight' | 'temperature' | 'heart_rate';
}

/** A reading as the care-plans flow read it from the patient's words (src/careplans/vitals.ts). */
export interface VitalsReading {
  /** LOINC. */
  code: string;
  /** UCUM. */
  unit: string;
  value: number;
  systolic?: number;
  diastolic?: number;
}

export type CareAnswer =
  | { ok: true; medicine: string; dose: string; until?: Date }
  | { ok: false; code: 'not_found' | 'already_answered' | 'snooze_limit' };

export type RecordedReading =
  | { ok: true; interpretation: 'normal' | 'low' | 'high' }
  | { ok: false; code: 'not_found' | 'already_answered' };

/**
 * Care plans as the care-plans flow sees them (src/careplans/port.ts), bound to the patient and the message's
 * transaction, like SchedulingPort: the read of an open vitals prompt, and the answers, which write the
 * occurrence's state (taken, snoozed with a new occurrence 30 minutes later, answered with an observation)
 * in the message's transaction. Occurrences are the patient's own: another's id answers not_found.
 */
export interface CarePlansPort {
  openVitalsPrompt(): Promise<OpenVitalsPrompt | null>;
  taken(occurrenceId: string): Promise<CareAnswer>;
  /** A new occurrence 30 minutes later; `snooze_limit` after two snoozes of the same dose. */
  snooze(occurrenceId: string): Promise<CareAnswer>;
  /** Stores the observation (sealed) and marks the prompt answered; the interpretation against the plan's thresholds. */
  recordReading(occurrenceId: string, reading: VitalsReading): Promise<RecordedReading>;
}

export interface FlowContext {
  clinic: ClinicView;
  patient: PatientView;
  /** The language to answer in (detected, preferred or the clinic's default). */
  language: Language;
  t: Translate;
  /** Any language's translator (a reply in two languages, a language menu). */
  tIn(language: Language): Translate;
  faq: FaqLookup;
  handoff: HandoffView | null;
  /** Booking (null where no clinic is configured: reception arranges appointments through a handoff). */
  scheduling: SchedulingPort | null;
  /** Medication, follow-up and vitals answers (absent or null: no care plans; optional so that contexts built before care plans still type). */
  careplans?: CarePlansPort | null;
}

/** What a step asks the engine to do besides answering. Each is applied in the message's transaction. */
export type Effect =
  | { type: 'handoff.open'; reason: HandoffReason; priority: HandoffPriority }
  | { type: 'alert'; kind: 'emergency' | 'negative_feedback' | 'handoff' | 'other'; codes: readonly string[] }
  | { type: 'patient.language'; language: Language }
  /** The patient wrote during the active handoff (the inbox sorts by it). */
  | { type: 'handoff.touch' }
  /**
   * Opt-out (granted false) or back in (true) of every business-initiated purpose, recorded through the
   * compliance functions the STOP/START keyword step uses; `source` is e.g. 'keyword:STOP', 'chat:confirm'.
   */
  | { type: 'consent'; granted: boolean; source: string; language: string }
  /** A job on the PostgreSQL queue, enqueued in the same transaction; `key` dedupes it. */
  | { type: 'job'; name: string; data: unknown; startAfter?: Date; key?: string };

export interface StepResult<S = unknown> {
  /** The flow's next state, or null when the flow has finished (the router decides the next message). */
  state: S | null;
  outbound: OutboundMessage[];
  effects: Effect[];
  /** The flow does not handle this input (the patient changed the subject): the router routes it afresh. */
  pass?: boolean;
}

export interface Flow<S = unknown> {
  /** Also the prefix of its button and list-row ids: `${name}:…` routes to this flow. */
  readonly name: string;
  /** Bump when S changes shape: a stored state of another version restarts the flow. */
  readonly version: number;
  /** Begins the flow (a router decision: an intent, a menu choice, a button of this flow). */
  start(input: StepInput, ctx: FlowContext): Promise<StepResult<S>>;
  /** Continues with the patient's next input while this flow is active. */
  step(state: S, input: StepInput, ctx: FlowContext): Promise<StepResult<S>>;
}

/** The red-flag kinds that call for the crisis line as well as the emergency number. */
export const CRISIS_KINDS: readonly RedFlagKind[] = ['self_harm'];
