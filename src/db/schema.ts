// The typed shape of every table, for Kysely. Keep in step with migrations/.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Bytes = ColumnType<Uint8Array, Uint8Array, Uint8Array>;
type Id = ColumnType<number, number | undefined, number>;

export interface PatientsTable {
  id: Generated<string>;
  /** Legacy clear identifiers: null once src/compliance/seal-identifiers.ts converted the row (0012). */
  wa_id: string | null;
  bsuid: string | null;
  parent_bsuid: string | null;
  username: string | null;
  /** Blind indexes (0012, src/compliance/identifiers.ts): every look-up by phone or BSUID. */
  wa_id_index: string | null;
  bsuid_index: string | null;
  /** Encrypted under the patient's data key (0012). */
  wa_id_sealed: Bytes | null;
  bsuid_sealed: Bytes | null;
  parent_bsuid_sealed: Bytes | null;
  username_sealed: Bytes | null;
  /** Encrypted under the patient's data key (before 0012: under ENCRYPTION_KEY, still readable). */
  profile_name: Bytes | null;
  /** Encrypted under the patient's data key (0009). */
  given_name: Bytes | null;
  family_name: Bytes | null;
  /** 'YYYY-MM-DD', encrypted under the patient's data key. */
  date_of_birth: Bytes | null;
  /** Blind indexes of the name's normalised words. */
  name_index: ColumnType<string[], string[] | undefined, string[]>;
  language: string | null;
  last_inbound_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Set by STOP and its equivalents, cleared by an explicit opt-in (0011, src/compliance/consent.ts). */
  opted_out_at: NullableTimestamp;
}

export type InboundState = 'pending' | 'done' | 'dead';
export interface InboundMessagesTable {
  id: Generated<number>;
  wamid: string;
  phone_number_id: string;
  /** 'u:' + bsuid_index, else 'p:' + wa_id_index (0012). */
  sender_key: string;
  /** Legacy clear identifiers: null once converted (0012). */
  wa_id: string | null;
  bsuid: string | null;
  wa_id_index: string | null;
  bsuid_index: string | null;
  type: string;
  sent_at: Timestamp;
  received_at: Generated<Date>;
  payload: Bytes;
  state: ColumnType<InboundState, InboundState | undefined, InboundState>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  patient_id: string | null;
  processed_at: NullableTimestamp;
  processed_order: number | null;
  processed_by: string | null;
}

export interface StatusEventsTable {
  id: Generated<number>;
  wamid: string;
  status: string;
  occurred_at: Timestamp;
  received_at: Generated<Date>;
  callback_data: string | null;
  /** Legacy clear recipient: null once converted (0012). */
  recipient: string | null;
  recipient_index: string | null;
  error_code: number | null;
  details: ColumnType<unknown, string | null, string | null> | null;
  applied_at: NullableTimestamp;
  attempts: Generated<number>;
  /** When a held status (attempts > 0, not applied) is tried again. */
  next_attempt_at: NullableTimestamp;
  /** Terminal: held too long without a matching message (another app's, or one we never learned). */
  expired_at: NullableTimestamp;
}

export type OutboxState = 'pending' | 'sending' | 'in_doubt' | 'sent' | 'failed' | 'cancelled';
export interface OutboxTable {
  id: Generated<number>;
  patient_id: string | null;
  recipient_key: string;
  /** Legacy clear address: null once converted (0012). */
  to_phone: string | null;
  to_bsuid: string | null;
  /** { phone, bsuid } as encrypted JSON, under the patient's data key (0012). */
  to_sealed: Bytes | null;
  kind: string;
  payload: Bytes;
  requires_window: boolean;
  caused_by: number | null;
  idempotency_key: string | null;
  /** Random part of biz_opaque_callback_data: a status meant for another deployment on the same WABA never matches. */
  callback_token: string;
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  claimed_at: NullableTimestamp;
  /** Set just before the request leaves: an orphan without it never reached Meta. */
  dispatched_at: NullableTimestamp;
  /** Number of the latest claim: only the send holding that claim may mark the row dispatched or settle it. */
  claim_seq: Generated<number>;
  in_doubt_at: NullableTimestamp;
  wamid: string | null;
  status: string | null;
  status_rank: Generated<number>;
  error_code: number | null;
  error_title: string | null;
  created_at: Generated<Date>;
  accepted_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  read_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  /** What the message is for (0011): 'reply' answers the patient's own message; the others need consent. */
  purpose: ColumnType<OutboxPurpose, OutboxPurpose | undefined, OutboxPurpose>;
}

export type ConsentPurpose = 'care' | 'sensitive' | 'surveys' | 'campaigns';
export type OutboxPurpose = 'reply' | ConsentPurpose;

/** The number's throughput as one schedule shared by every instance (migration 0008). */
export interface SendScheduleTable {
  id: Id;
  next_slot: Timestamp;
}

/** When each instance listened for webhooks: one row per process start, beat_at moved forward while it runs. */
export interface WebhookListenersTable {
  instance: string;
  started_at: Timestamp;
  beat_at: Timestamp;
}

export interface WebhookDeadLettersTable {
  id: Generated<number>;
  received_at: Generated<Date>;
  reason: string;
  body: Bytes;
}

export interface WebhookOtherEventsTable {
  id: Generated<number>;
  received_at: Generated<Date>;
  field: string;
  payload: Bytes;
  processed_at: NullableTimestamp;
}

export interface MediaTable {
  id: Generated<string>;
  media_id: string;
  inbound_message_id: number | null;
  patient_id: string | null;
  mime_type: string | null;
  sha256: string | null;
  size: number | null;
  content: Bytes | null;
  state: ColumnType<'pending' | 'stored' | 'failed', 'pending' | 'stored' | 'failed' | undefined, 'pending' | 'stored' | 'failed'>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  error: string | null;
  created_at: Generated<Date>;
  stored_at: NullableTimestamp;
  /** Chunked storage (0006): how many chunks, and the download attempt they belong to. Null for `content` rows. */
  chunk_count: number | null;
  chunk_attempt: number | null;
}

export interface MediaChunksTable {
  media_row_id: string;
  attempt: number;
  seq: number;
  content: Bytes;
}

export interface OperatorAlertsTable {
  id: Generated<number>;
  raised_at: Generated<Date>;
  code: string;
  message: string;
  resolved_at: NullableTimestamp;
}

export interface SenderPauseTable {
  id: Generated<number>;
  paused_until: Timestamp;
  reason: string;
}

export interface ConversationStateTable {
  patient_id: string;
  flow: string;
  state: Bytes;
  updated_at: Generated<Date>;
  version: Generated<number>;
}

export type HandoffState = 'open' | 'assigned' | 'closed';
export type HandoffReason = 'requested' | 'misunderstood' | 'emergency' | 'triage' | 'staff' | 'other';
export type HandoffPriority = 'emergency' | 'high' | 'normal';
export interface HandoffsTable {
  id: Generated<string>;
  patient_id: string;
  state: ColumnType<HandoffState, HandoffState | undefined, HandoffState>;
  reason: HandoffReason;
  priority: HandoffPriority;
  assigned_to: string | null;
  opened_at: Generated<Date>;
  assigned_at: NullableTimestamp;
  closed_at: NullableTimestamp;
  closed_by: string | null;
  last_patient_message_at: NullableTimestamp;
}

export type StaffAlertKind = 'emergency' | 'negative_feedback' | 'handoff' | 'other';
export interface StaffAlertsTable {
  id: Generated<number>;
  kind: StaffAlertKind;
  patient_id: string | null;
  handoff_id: string | null;
  codes: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Generated<Date>;
  acknowledged_at: NullableTimestamp;
  acknowledged_by: string | null;
}

export interface InboxNotesTable {
  id: Generated<string>;
  patient_id: string;
  handoff_id: string | null;
  author_id: string | null;
  author_kind: 'staff' | 'token';
  body: Bytes;
  created_at: Generated<Date>;
}

export type HandoffEventKind = 'opened' | 'takeover' | 'assigned' | 'reply' | 'note' | 'closed';
export interface HandoffEventsTable {
  id: Generated<number>;
  handoff_id: string | null;
  patient_id: string;
  kind: HandoffEventKind;
  actor_type: AuditActorType;
  actor_id: string | null;
  assigned_to: string | null;
  outbox_id: number | null;
  at: Generated<Date>;
}

export type StandbyItem = 'message' | 'echo' | 'status' | 'other';
export interface StandbyEventsTable {
  id: Generated<number>;
  received_at: Generated<Date>;
  item: StandbyItem;
  wamid: string | null;
  status: string | null;
  type: string | null;
  occurred_at: NullableTimestamp;
  wa_id_index: string | null;
  bsuid_index: string | null;
  patient_id: string | null;
  payload: Bytes;
  linked_at: NullableTimestamp;
}

export interface InboxChangesTable {
  id: Generated<number>;
  patient_id: string | null;
  kind: string;
  at: Generated<Date>;
}

export type AuditActorType = 'staff' | 'token' | 'system' | 'patient';
/** Append-only, hash-chained (0009, src/compliance/audit.ts). */
export interface AuditLogTable {
  id: string;
  at: Timestamp;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  patient_id: string | null;
  target: string | null;
  ip: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  prev_hash: string;
  hash: string;
  /** Which of the chains (0025): each has its own lock and its own gapless `seq`. */
  chain: number;
  seq: string;
  /** 1: hashed whole by the application (before 0027); 2: content hashed by it, linked by audit_append (0027). */
  hash_version: Generated<number>;
}

/** A patient's data key, wrapped by a key-encryption key (0009, src/compliance/keys.ts). */
export interface DataKeysTable {
  id: Generated<string>;
  patient_id: string;
  kek_id: string;
  wrapped: Bytes;
  created_at: Generated<Date>;
  rewrapped_at: NullableTimestamp;
}

export type ConsentChannel = 'whatsapp' | 'desk' | 'api' | 'system';
/** Append-only proof of consent (0011): 'all' is the opt-out (STOP) and the explicit opt-in (START). */
export interface ConsentEventsTable {
  id: Generated<number>;
  patient_id: string;
  purpose: ConsentPurpose | 'all';
  granted: boolean;
  text_version: string | null;
  language: string | null;
  channel: ConsentChannel;
  /** The staff user who recorded it at the desk, else null. */
  recorded_by: string | null;
  /** What made it: 'keyword:STOP', 'meta:131050', 'desk', … */
  source: string | null;
  at: Timestamp;
}

/** The current state per purpose, written with each event (0011). */
export interface PatientConsentsTable {
  patient_id: string;
  purpose: ConsentPurpose;
  granted: boolean;
  channel: ConsentChannel;
  at: Timestamp;
  event_id: number;
}

export interface IdentityVerificationsTable {
  id: Generated<string>;
  patient_id: string;
  created_at: Timestamp;
  dob_checked_at: NullableTimestamp;
  /** Keyed hash of the one-time code, never the code. */
  code_hash: string | null;
  code_sent_at: NullableTimestamp;
  code_expires_at: NullableTimestamp;
  code_used_at: NullableTimestamp;
  attempts: Generated<number>;
  locked_at: NullableTimestamp;
  unlocked_at: NullableTimestamp;
  verified_at: NullableTimestamp;
  verified_until: NullableTimestamp;
}

/** A key of the deployment (the blind-index key), wrapped by a KEK like a data key (0012). */
export interface SystemKeysTable {
  name: string;
  kek_id: string;
  wrapped: Bytes;
  created_at: Generated<Date>;
  rewrapped_at: NullableTimestamp;
}

export type StaffRole = 'admin' | 'clinician' | 'reception' | 'analyst';
/** Staff accounts (0010, src/staff). */
export interface StaffUsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  role: StaffRole;
  /** argon2id, PHC string format. */
  password_hash: string;
  /** Sealed with ENCRYPTION_KEY (bound to the user's id). */
  totp_secret: Bytes | null;
  totp_pending_secret: Bytes | null;
  totp_enabled: Generated<boolean>;
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  require_totp: Generated<boolean>;
  failed_logins: Generated<number>;
  locked_until: NullableTimestamp;
  disabled_at: NullableTimestamp;
  password_changed_at: Generated<Date>;
  last_login_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Console sessions (0010): id = SHA-256 of the cookie's token. */
export interface StaffSessionsTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  pending_totp: Generated<boolean>;
  ip: string | null;
}

/** API tokens for integrations (0010): only the SHA-256 of the token is kept. */
export interface ApiTokensTable {
  id: Generated<string>;
  name: string;
  token_hash: string;
  role: StaffRole;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

/** Per-IP hits on the sign-in routes in the current window (0010, src/staff/rate-limit.ts). */
export interface AuthRateLimitsTable {
  key: string;
  window_started_at: Timestamp;
  hits: number;
}

export interface DB {
  consent_events: ConsentEventsTable;
  patient_consents: PatientConsentsTable;
  identity_verifications: IdentityVerificationsTable;
  auth_rate_limits: AuthRateLimitsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  system_keys: SystemKeysTable;
  data_keys: DataKeysTable;
  patients: PatientsTable;
  inbound_messages: InboundMessagesTable;
  status_events: StatusEventsTable;
  outbox: OutboxTable;
  send_schedule: SendScheduleTable;
  webhook_listeners: WebhookListenersTable;
  webhook_dead_letters: WebhookDeadLettersTable;
  webhook_other_events: WebhookOtherEventsTable;
  media: MediaTable;
  media_chunks: MediaChunksTable;
  operator_alerts: OperatorAlertsTable;
  sender_pause: SenderPauseTable;
  conversation_state: ConversationStateTable;
  handoffs: HandoffsTable;
  staff_alerts: StaffAlertsTable;
  inbox_notes: InboxNotesTable;
  handoff_events: HandoffEventsTable;
  standby_events: StandbyEventsTable;
  inbox_changes: InboxChangesTable;
  clinics: ClinicsTable;
  locations: LocationsTable;
  practitioners: PractitionersTable;
  services: ServicesTable;
  practitioner_services: PractitionerServicesTable;
  opening_hours: OpeningHoursTable;
  closures: ClosuresTable;
  faq_entries: FaqEntriesTable;
  faq_revisions: FaqRevisionsTable;
  clinic_seed_rows: ClinicSeedRowsTable;
  availability_exceptions: AvailabilityExceptionsTable;
  appointments: AppointmentsTable;
  appointment_history: AppointmentHistoryTable;
  waitlist_entries: WaitlistEntriesTable;
  waitlist_offers: WaitlistOffersTable;
  message_templates: MessageTemplatesTable;
  reminder_settings: ReminderSettingsTable;
  reminders: RemindersTable;
  care_plans: CarePlansTable;
  care_plan_occurrences: CarePlanOccurrencesTable;
  observations: ObservationsTable;
}

export type { Id };

// Clinic, locations, practitioners, services, hours, closures, FAQ (migration 0002, owned by src/scheduling).
// jsonb columns are written as JSON text (JSON.stringify) and read back parsed; both drivers agree on that.
/** Text per language tag: { en: 'Blood test', fr: 'Prise de sang' }. */
export type LocalizedText = Record<string, string>;
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
type TextArray = ColumnType<string[], string[], string[]>;
/** A local wall-clock time 'HH:MM:SS' in the location's zone ('24:00:00' ends a day). */
type LocalTime = string;
// A calendar date. Written as 'YYYY-MM-DD'; read back as a Date at midnight UTC (PGlite) or at the
// process's local midnight (node-postgres), so select it as `col::text` when the date itself matters.
type LocalDate = ColumnType<Date | null, string | null | undefined, string | null>;
type Timestamps = { created_at: Generated<Date>; updated_at: Generated<Date> };

export interface ClinicsTable extends Timestamps {
  id: Generated<string>;
  code: string;
  name: string;
  default_language: string;
  languages: TextArray;
  emergency_number: string;
  phone: string | null;
  email: string | null;
  website: string | null;
  /** A crisis line for suicidal thoughts and self-harm (0016): digits or E.164. */
  crisis_line: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LocationsTable extends Timestamps {
  id: Generated<string>;
  clinic_id: string;
  code: string;
  name: string;
  address_line1: string;
  address_line2: string | null;
  postal_code: string;
  city: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** IANA zone id; all slot and reminder arithmetic for this location happens in it. */
  time_zone: string;
  phone: string | null;
  emergency_number: string;
  languages: TextArray;
  accessibility_notes: NullableJson<LocalizedText>;
  latitude: number | null;
  longitude: number | null;
  active: Generated<boolean>;
}

export interface PractitionersTable extends Timestamps {
  id: Generated<string>;
  clinic_id: string;
  code: string;
  display_name: string;
  title: string | null;
  specialties: ColumnType<string[], string[] | undefined, string[]>;
  languages: TextArray;
  active: Generated<boolean>;
}

export interface ServicesTable extends Timestamps {
  id: Generated<string>;
  clinic_id: string;
  code: string;
  name: Json<LocalizedText>;
  instructions: NullableJson<LocalizedText>;
  duration_minutes: number;
  buffer_minutes: Generated<number>;
  requires_referral: Generated<boolean>;
  active: Generated<boolean>;
  /** 0017: in person or a video visit (a join link per appointment). */
  mode: ColumnType<ServiceMode, ServiceMode | undefined, ServiceMode>;
  /** How soon before its start a slot may still be booked. */
  lead_time_minutes: Generated<number>;
  /** How many days ahead slots are offered. */
  horizon_days: Generated<number>;
  /** Slot starts every this many minutes; null: every duration. */
  slot_step_minutes: number | null;
  /** 0018: what patients call it besides its names, any language (the chat's service matching). */
  keywords: ColumnType<string[], string[] | undefined, string[]>;
}

export interface PractitionerServicesTable {
  clinic_id: string;
  practitioner_id: string;
  service_id: string;
  location_id: string;
  created_at: Generated<Date>;
}

/** See migrations/0002-clinic.ts for how location, practitioner and service rules combine. */
export interface OpeningHoursTable {
  id: Generated<string>;
  clinic_id: string;
  location_id: string;
  practitioner_id: string | null;
  service_id: string | null;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  weekday: number;
  start_time: LocalTime;
  end_time: LocalTime;
  valid_from: LocalDate;
  valid_to: LocalDate;
  created_at: Generated<Date>;
}

export interface ClosuresTable {
  id: Generated<string>;
  clinic_id: string;
  location_id: string | null;
  practitioner_id: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp;
  reason: string;
  created_at: Generated<Date>;
}

export interface FaqEntriesTable extends Timestamps {
  id: Generated<string>;
  clinic_id: string;
  location_id: string | null;
  intent: string;
  language: string;
  question: string;
  answer: string;
  updated_by: string | null;
  /** Other ways patients ask the question (migration 0015): ≤ 30, each ≤ 500 characters. */
  variants: ColumnType<string[], string[] | undefined, string[]>;
  /** An https link sent with the answer (0015). */
  link: string | null;
  /** The topic's list title in this language (≤ 24); required for staff-defined topics (0015). */
  title: string | null;
}

/** A counter per clinic bumped by a trigger on every FAQ change (0015): instances rebuild their match index. */
export interface FaqRevisionsTable {
  clinic_id: string;
  revision: ColumnType<string, never, never>;
  changed_at: ColumnType<Date, never, never>;
}

/** What a clinic definition wrote (migration 0007): see src/scheduling/seed-clinic.ts. */
export interface ClinicSeedRowsTable {
  clinic_id: string;
  table_name: string;
  seed_key: string;
  /** The seeded row's id; null for practitioner_services, whose key is its primary key. */
  row_id: string | null;
  /** md5 of the seeded columns as stored, when the seed last wrote the row. */
  content_hash: string;
  seeded_at: Generated<Date>;
}

// Appointments, availability exceptions, the waitlist (migration 0017, owned by src/scheduling).
export type ServiceMode = 'in_person' | 'video';
export type AppointmentState = 'booked' | 'confirmed' | 'cancelled' | 'rescheduled' | 'arrived' | 'noshow' | 'completed';
/** Who did it: the patient (in chat), a staff user, an API token, the system. */
export type SchedulingActorType = 'patient' | 'staff' | 'token' | 'system';
export type CancelReason = 'patient_request' | 'clinic_request' | 'practitioner_unavailable' | 'duplicate' | 'other';
export type PartOfDay = 'any' | 'morning' | 'afternoon';
export type WaitlistState = 'waiting' | 'booked' | 'cancelled' | 'expired';
export type OfferOutcome = 'pending' | 'accepted' | 'declined' | 'gone' | 'expired';

/** Extra hours a practitioner works at a location besides their weekly sessions. */
export interface AvailabilityExceptionsTable {
  id: Generated<string>;
  clinic_id: string;
  location_id: string;
  practitioner_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  reason: string | null;
  created_at: Generated<Date>;
}

export interface AppointmentsTable {
  id: Generated<string>;
  clinic_id: string;
  location_id: string;
  practitioner_id: string;
  service_id: string;
  patient_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  /** ends_at plus the service's buffer: the no-overlap constraint's range ends here. */
  blocks_until: Timestamp;
  state: ColumnType<AppointmentState, AppointmentState | undefined, AppointmentState>;
  booked_by_type: SchedulingActorType;
  booked_by_id: string | null;
  cancel_reason: CancelReason | null;
  cancelled_by_type: SchedulingActorType | null;
  cancelled_by_id: string | null;
  /** Free text about the cancellation, sealed with the patient's key (it may say why: PHI). */
  cancel_note: Bytes | null;
  rescheduled_to: string | null;
  /** The video visit's join URL, sealed with the patient's key. */
  video_url: Bytes | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AppointmentHistoryTable {
  id: Generated<number>;
  appointment_id: string;
  patient_id: string;
  state: AppointmentState;
  actor_type: SchedulingActorType;
  actor_id: string | null;
  /** A code (the cancel reason, 'rescheduled_from:<id>'), never free text. */
  reason: string | null;
  at: Timestamp;
}

export interface WaitlistEntriesTable {
  id: Generated<string>;
  clinic_id: string;
  patient_id: string;
  service_id: string;
  practitioner_id: string | null;
  /** Local dates in the location's zone, 'YYYY-MM-DD' (select as ::text). */
  from_date: ColumnType<Date, string, string>;
  to_date: ColumnType<Date, string, string>;
  part_of_day: ColumnType<PartOfDay, PartOfDay | undefined, PartOfDay>;
  state: ColumnType<WaitlistState, WaitlistState | undefined, WaitlistState>;
  appointment_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WaitlistOffersTable {
  id: Generated<string>;
  entry_id: string;
  patient_id: string;
  service_id: string;
  location_id: string;
  practitioner_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  expires_at: Timestamp;
  outcome: ColumnType<OfferOutcome, OfferOutcome | undefined, OfferOutcome>;
  appointment_id: string | null;
  created_at: Generated<Date>;
  decided_at: NullableTimestamp;
  /** 0018: queued to the patient (src/conversation/waitlist-notifier.ts). */
  notified_at: NullableTimestamp;
  /** 0018: the patient was told someone else took the time. */
  gone_notified_at: NullableTimestamp;
}

// Templates and reminders (migration 0019, issue 15).
export interface MessageTemplatesTable {
  name: string;
  /** Our language code (en, fr…). */
  language: string;
  /** Meta's (pt_PT…). */
  meta_language: string;
  category: 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
  status: ColumnType<string, string | undefined, string>;
  meta_id: string | null;
  reason: string | null;
  definition_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  synced_at: NullableTimestamp;
}

export interface ReminderSettingsTable {
  clinic_id: string;
  appointment_offsets_minutes: ColumnType<number[], number[] | undefined, number[]>;
  /** 'HH:MM' local, or null (no quiet hours). */
  quiet_start: string | null;
  quiet_end: string | null;
  updated_by: string | null;
  updated_at: Generated<Date>;
}

export type ReminderState = 'scheduled' | 'sent' | 'cancelled' | 'skipped';

export interface RemindersTable {
  id: Generated<string>;
  appointment_id: string;
  patient_id: string;
  kind: ColumnType<'appointment', 'appointment' | undefined, 'appointment'>;
  offset_minutes: number;
  due_at: Timestamp;
  state: ColumnType<ReminderState, ReminderState | undefined, ReminderState>;
  reason: string | null;
  outbox_id: number | null;
  via: 'template' | 'message' | null;
  created_at: Generated<Date>;
  decided_at: NullableTimestamp;
}

// Care plans (migration 0021, issue 15).
export type CarePlanKind = 'medication' | 'follow_up' | 'vitals';
export type CarePlanStopReason = 'completed' | 'side_effects' | 'patient_request' | 'clinician_decision' | 'replaced' | 'other';
export type OccurrenceState = 'scheduled' | 'sent' | 'taken' | 'snoozed' | 'missed' | 'answered' | 'skipped' | 'cancelled';

export interface CarePlansTable {
  id: Generated<string>;
  patient_id: string;
  kind: CarePlanKind;
  /** What the plan is about (medicine and dose, service, measure), JSON sealed with the patient's key. */
  details: Bytes;
  /** RFC 5545 RRULE (without DTSTART), e.g. FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0;COUNT=60. */
  rrule: string;
  /** 'YYYY-MM-DDTHH:MM' local in `time_zone`. */
  dtstart_local: string;
  time_zone: string;
  threshold_low: number | null;
  threshold_high: number | null;
  threshold_unit: string | null;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  /** Occurrences exist up to here (exclusive of later ones); null: none materialised yet. */
  scheduled_until: NullableTimestamp;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** When staff stopped the plan (0023); null while it runs, or when its schedule simply ran out. */
  stopped_at: NullableTimestamp;
  /** The staff user id who stopped it. */
  stopped_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** Why, as a code (never free text: the column is not sealed). */
  stop_reason: ColumnType<CarePlanStopReason | null, CarePlanStopReason | null | undefined, CarePlanStopReason | null>;
}

export interface CarePlanOccurrencesTable {
  id: Generated<string>;
  plan_id: string;
  patient_id: string;
  due_at: Timestamp;
  state: ColumnType<OccurrenceState, OccurrenceState | undefined, OccurrenceState>;
  reason: string | null;
  /** How many snoozes led here (a snoozed dose's next occurrence has one more). */
  snoozes: ColumnType<number, number | undefined, number>;
  outbox_id: number | null;
  via: 'template' | 'message' | null;
  sent_at: NullableTimestamp;
  answered_at: NullableTimestamp;
  created_at: Generated<Date>;
}

export interface ObservationsTable {
  id: Generated<string>;
  patient_id: string;
  plan_id: string | null;
  occurrence_id: string | null;
  /** LOINC. */
  code: string;
  /** JSON sealed with the patient's key: { value } or { systolic, diastolic }. */
  value: Bytes;
  /** UCUM. */
  unit: string;
  effective_at: Timestamp;
  source: 'whatsapp' | 'staff';
  interpretation: 'normal' | 'low' | 'high' | null;
  created_at: Generated<Date>;
}
