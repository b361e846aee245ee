// Message templates and reminders (issue 15).
// - message_templates: one row per template and language as Meta reviews it (src/whatsapp/template-sync.ts):
//   its status, Meta's id, the reason of a rejection, a hash of the definition it was created from.
// - reminder_settings: the clinic's appointment reminder offsets (minutes before the start) and quiet hours
//   (no business-initiated message then, in the patient's zone; null: none).
// - reminders: each reminder of an appointment, due at an instant (quiet hours already applied), created,
//   moved and cancelled in the booking's transaction; the reminder worker claims due rows with SKIP LOCKED
//   and, in the transaction that queues the message, marks them sent (or skipped, with why).
export const templatesReminders: readonly string[] = [
  `create table message_templates (
    name text not null,
    language text not null,
    meta_language text not null,
    category text not null check (category in ('UTILITY', 'MARKETING', 'AUTHENTICATION')),
    status text not null default 'NOT_CREATED',
    meta_id text,
    reason text,
    definition_hash text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    synced_at timestamptz,
    primary key (name, language)
  )`,
  `create table reminder_settings (
    clinic_id uuid primary key references clinics (id) on delete cascade,
    appointment_offsets_minutes integer[] not null default '{4320,1440}',
    quiet_start text check (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    quiet_end text check (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    updated_by text,
    updated_at timestamptz not null default now(),
    constraint reminder_settings_quiet_both check ((quiet_start is null) = (quiet_end is null))
  )`,
  `create table reminders (
    id uuid primary key default gen_random_uuid(),
    appointment_id uuid not null references appointments (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    kind text not null default 'appointment' check (kind in ('appointment')),
    offset_minutes integer not null,
    due_at timestamptz not null,
    state text not null default 'scheduled' check (state in ('scheduled', 'sent', 'cancelled', 'skipped')),
    reason text,
    outbox_id bigint,
    via text check (via in ('template', 'message')),
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    constraint reminders_one_per_offset unique (appointment_id, kind, offset_minutes)
  )`,
  `create index reminders_due on reminders (due_at) where state = 'scheduled'`,
  `create index reminders_by_appointment on reminders (appointment_id)`,
];
