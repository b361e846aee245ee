// Foundation tables: patients keyed by WhatsApp identity, the durable inbound store, status events, the
// outbox and its pacing, dead letters, media and operator alerts. PHI columns are bytea, encrypted by
// src/compliance/crypto.ts before they reach the database.
export const foundation: readonly string[] = [
  `create table patients (
    id uuid primary key default gen_random_uuid(),
    wa_id text unique,
    bsuid text unique,
    parent_bsuid text,
    username text,
    profile_name bytea,
    language text,
    last_inbound_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint patients_identity check (wa_id is not null or bsuid is not null)
  )`,
  `create table inbound_messages (
    id bigserial primary key,
    wamid text not null unique,
    phone_number_id text not null,
    sender_key text not null,
    wa_id text,
    bsuid text,
    type text not null,
    sent_at timestamptz not null,
    received_at timestamptz not null default now(),
    payload bytea not null,
    state text not null default 'pending' check (state in ('pending', 'done', 'dead')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    patient_id uuid references patients (id) on delete set null,
    processed_at timestamptz,
    processed_order bigint,
    processed_by text
  )`,
  `create sequence inbound_processed_order`,
  `create index inbound_messages_pending on inbound_messages (id) where state = 'pending'`,
  `create index inbound_messages_pending_sender on inbound_messages (sender_key, id) where state = 'pending'`,
  `create index inbound_messages_patient on inbound_messages (patient_id, id)`,
  `create table status_events (
    id bigserial primary key,
    wamid text not null,
    status text not null,
    occurred_at timestamptz not null,
    received_at timestamptz not null default now(),
    callback_data text,
    recipient text,
    error_code integer,
    details jsonb,
    applied_at timestamptz,
    attempts integer not null default 0,
    unique (wamid, status)
  )`,
  `create index status_events_unapplied on status_events (id) where applied_at is null`,
  `create index status_events_callback on status_events (callback_data) where callback_data is not null`,
  `create table outbox (
    id bigserial primary key,
    patient_id uuid references patients (id) on delete cascade,
    recipient_key text not null,
    to_phone text,
    to_bsuid text,
    kind text not null,
    payload bytea not null,
    requires_window boolean not null,
    caused_by bigint,
    idempotency_key text unique,
    state text not null default 'pending'
      check (state in ('pending', 'sending', 'in_doubt', 'sent', 'failed', 'cancelled')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    claimed_at timestamptz,
    in_doubt_at timestamptz,
    wamid text unique,
    status text,
    status_rank integer not null default 0,
    error_code integer,
    error_title text,
    created_at timestamptz not null default now(),
    accepted_at timestamptz,
    sent_at timestamptz,
    delivered_at timestamptz,
    read_at timestamptz,
    failed_at timestamptz,
    constraint outbox_has_recipient check (to_phone is not null or to_bsuid is not null)
  )`,
  `create index outbox_due on outbox (next_attempt_at, id) where state = 'pending'`,
  `create index outbox_active_recipient on outbox (recipient_key, id) where state in ('pending', 'sending', 'in_doubt')`,
  `create index outbox_unsettled on outbox (state, claimed_at) where state in ('sending', 'in_doubt')`,
  `create index outbox_patient on outbox (patient_id, id)`,
  `create table send_rate (
    second timestamptz primary key,
    count integer not null
  )`,
  `create table webhook_dead_letters (
    id bigserial primary key,
    received_at timestamptz not null default now(),
    reason text not null,
    body bytea not null
  )`,
  `create table webhook_other_events (
    id bigserial primary key,
    received_at timestamptz not null default now(),
    field text not null,
    payload bytea not null,
    processed_at timestamptz
  )`,
  `create table media (
    id uuid primary key default gen_random_uuid(),
    media_id text not null unique,
    inbound_message_id bigint references inbound_messages (id) on delete cascade,
    patient_id uuid references patients (id) on delete cascade,
    mime_type text,
    sha256 text,
    size integer,
    content bytea,
    state text not null default 'pending' check (state in ('pending', 'stored', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    error text,
    created_at timestamptz not null default now(),
    stored_at timestamptz
  )`,
  `create index media_pending on media (next_attempt_at) where state = 'pending'`,
  `create table operator_alerts (
    id bigserial primary key,
    raised_at timestamptz not null default now(),
    code text not null,
    message text not null,
    resolved_at timestamptz
  )`,
  `create table sender_pause (
    id integer primary key default 1 check (id = 1),
    paused_until timestamptz not null,
    reason text not null
  )`,
  `create table conversation_state (
    patient_id uuid primary key references patients (id) on delete cascade,
    flow text not null,
    state bytea not null,
    updated_at timestamptz not null default now()
  )`,
];
