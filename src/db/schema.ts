// The typed shape of every table, for Kysely. Keep in step with migrations/.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Bytes = ColumnType<Uint8Array, Uint8Array, Uint8Array>;
type Id = ColumnType<number, number | undefined, number>;

export interface PatientsTable {
  id: Generated<string>;
  wa_id: string | null;
  bsuid: string | null;
  parent_bsuid: string | null;
  username: string | null;
  profile_name: Bytes | null;
  language: string | null;
  last_inbound_at: NullableTimestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type InboundState = 'pending' | 'done' | 'dead';
export interface InboundMessagesTable {
  id: Generated<number>;
  wamid: string;
  phone_number_id: string;
  sender_key: string;
  wa_id: string | null;
  bsuid: string | null;
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
}

export interface StatusEventsTable {
  id: Generated<number>;
  wamid: string;
  status: string;
  occurred_at: Timestamp;
  received_at: Generated<Date>;
  callback_data: string | null;
  recipient: string | null;
  error_code: number | null;
  details: ColumnType<unknown, string | null, string | null> | null;
  applied_at: NullableTimestamp;
  attempts: Generated<number>;
}

export type OutboxState = 'pending' | 'sending' | 'in_doubt' | 'sent' | 'failed' | 'cancelled';
export interface OutboxTable {
  id: Generated<number>;
  patient_id: string | null;
  recipient_key: string;
  to_phone: string | null;
  to_bsuid: string | null;
  kind: string;
  payload: Bytes;
  requires_window: boolean;
  caused_by: number | null;
  idempotency_key: string | null;
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  claimed_at: NullableTimestamp;
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
}

export interface SendRateTable {
  second: Timestamp;
  count: number;
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
}

export interface DB {
  patients: PatientsTable;
  inbound_messages: InboundMessagesTable;
  status_events: StatusEventsTable;
  outbox: OutboxTable;
  send_rate: SendRateTable;
  webhook_dead_letters: WebhookDeadLettersTable;
  webhook_other_events: WebhookOtherEventsTable;
  media: MediaTable;
  operator_alerts: OperatorAlertsTable;
  sender_pause: SenderPauseTable;
  conversation_state: ConversationStateTable;
}

export type { Id };
