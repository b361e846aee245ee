// The conversation engine (issue 13): a version on each patient's conversation state (a flow whose state
// changes shape bumps its version; a stored state of another version restarts that flow), human handoffs
// (the bot stays silent while one is open, red flags excepted) and staff alerts (emergencies, negative
// feedback later). Owned by src/conversation. Alerts carry codes and red-flag kinds, never message text.
export const conversation: readonly string[] = [
  `alter table conversation_state add column version integer not null default 1 check (version > 0)`,

  `create table handoffs (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null references patients (id) on delete cascade,
    state text not null default 'open' check (state in ('open', 'assigned', 'closed')),
    reason text not null check (reason in ('requested', 'misunderstood', 'emergency', 'triage', 'staff', 'other')),
    priority text not null check (priority in ('emergency', 'high', 'normal')),
    assigned_to uuid references staff_users (id) on delete set null,
    opened_at timestamptz not null default now(),
    assigned_at timestamptz,
    closed_at timestamptz,
    closed_by uuid references staff_users (id) on delete set null,
    last_patient_message_at timestamptz,
    constraint handoffs_closed_has_time check ((state = 'closed') = (closed_at is not null)),
    constraint handoffs_assigned_has_user check (state <> 'assigned' or assigned_to is not null)
  )`,
  // At most one handoff a patient is not closed: opening another escalates the one there is.
  `create unique index handoffs_one_active on handoffs (patient_id) where state <> 'closed'`,
  `create index handoffs_active_queue on handoffs (priority, opened_at) where state <> 'closed'`,
  `create index handoffs_by_patient on handoffs (patient_id, opened_at desc)`,

  `create table staff_alerts (
    id bigint generated always as identity primary key,
    kind text not null check (kind in ('emergency', 'negative_feedback', 'handoff', 'other')),
    patient_id uuid references patients (id) on delete cascade,
    handoff_id uuid references handoffs (id) on delete set null,
    codes text[] not null default '{}',
    created_at timestamptz not null default now(),
    acknowledged_at timestamptz,
    acknowledged_by uuid references staff_users (id) on delete set null
  )`,
  `create index staff_alerts_open on staff_alerts (created_at desc) where acknowledged_at is null`,
];
