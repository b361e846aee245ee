// Sandbox tables: what the simulated Cloud API and the patient phone page keep (simulated patients, each
// chat as the phone shows it, uploaded media, message templates, the sandbox's settings, its outgoing
// webhook queue and a log of API calls). Only used in sandbox mode; in production they stay empty. Names,
// message content and media are encrypted like all patient data: people do type real things into demos.
export const sandbox: readonly string[] = [
  `create sequence sandbox_rev`,
  `create table sandbox_patients (
    id uuid primary key default gen_random_uuid(),
    wa_id text not null unique,
    bsuid text not null unique,
    name bytea not null,
    language text not null,
    last_inbound_at timestamptz,
    typing_until timestamptz,
    rev bigint not null default nextval('sandbox_rev'),
    created_at timestamptz not null default now()
  )`,
  `create table sandbox_messages (
    id bigserial primary key,
    patient_id uuid not null references sandbox_patients (id) on delete cascade,
    direction text not null check (direction in ('in', 'out')),
    wamid text not null unique,
    type text not null,
    content bytea not null,
    status text not null,
    error_code integer,
    callback_data text,
    context_wamid text,
    created_at timestamptz not null,
    rev bigint not null default nextval('sandbox_rev')
  )`,
  `create index sandbox_messages_patient on sandbox_messages (patient_id, id)`,
  `create index sandbox_messages_rev on sandbox_messages (patient_id, rev)`,
  `create index sandbox_messages_out on sandbox_messages (created_at) where direction = 'out'`,
  `create table sandbox_media (
    id text primary key,
    mime_type text not null,
    sha256 text not null,
    size integer not null,
    filename text,
    origin text not null check (origin in ('business', 'patient')),
    content bytea not null,
    created_at timestamptz not null,
    deleted_at timestamptz
  )`,
  `create table sandbox_templates (
    id text primary key,
    name text not null,
    language text not null,
    category text not null,
    parameter_format text,
    components jsonb not null,
    status text not null,
    created_at timestamptz not null,
    approve_at timestamptz,
    status_notified text,
    unique (name, language)
  )`,
  `create table sandbox_settings (
    key text primary key,
    value jsonb not null
  )`,
  `create table sandbox_webhooks (
    id bigserial primary key,
    kind text not null,
    ref_wamid text,
    body bytea not null,
    due_at timestamptz not null,
    attempts integer not null default 0,
    lease_until timestamptz,
    delivered_at timestamptz,
    last_error text
  )`,
  `create index sandbox_webhooks_due on sandbox_webhooks (due_at, id) where delivered_at is null`,
  `create table sandbox_api_log (
    id bigserial primary key,
    at timestamptz not null,
    method text not null,
    path text not null,
    http_status integer not null,
    error_code integer,
    details text
  )`,
];
