// Care plans (issue 15): medication reminders, follow-up reminders and vitals prompts.
// - care_plans: one plan of one patient: its kind, what it is about (medicine and dose, the service to book,
//   the measure to send) sealed with the patient's key, an RFC 5545 recurrence rule expanded from a local
//   start in an IANA zone, the vitals thresholds (low/high in `unit`), whether it is active, and how far
//   ahead its occurrences are materialised (`scheduled_until`: the worker tops them up).
// - care_plan_occurrences: each instant a plan is due, once (unique plan, due_at); the care-plan worker claims
//   due rows with SKIP LOCKED and marks them sent in the transaction that queues the message; the patient's
//   answer (taken, snoozed, a reading) or its absence (missed) decides them.
// - observations: readings (the patient's answer to a vitals prompt, or staff's), LOINC-coded, the value
//   sealed with the patient's key, with the plan's interpretation (normal/low/high).
export const carePlans: readonly string[] = [
  `create table care_plans (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null references patients (id) on delete cascade,
    kind text not null check (kind in ('medication', 'follow_up', 'vitals')),
    details bytea not null,
    rrule text not null,
    dtstart_local text not null check (dtstart_local ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$'),
    time_zone text not null,
    threshold_low double precision,
    threshold_high double precision,
    threshold_unit text,
    active boolean not null default true,
    scheduled_until timestamptz,
    created_by text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index care_plans_by_patient on care_plans (patient_id)`,
  `create table care_plan_occurrences (
    id uuid primary key default gen_random_uuid(),
    plan_id uuid not null references care_plans (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    due_at timestamptz not null,
    state text not null default 'scheduled' check (state in ('scheduled', 'sent', 'taken', 'snoozed', 'missed', 'answered', 'skipped', 'cancelled')),
    reason text,
    snoozes integer not null default 0,
    outbox_id bigint,
    via text check (via in ('template', 'message')),
    sent_at timestamptz,
    answered_at timestamptz,
    created_at timestamptz not null default now(),
    constraint care_plan_occurrences_once unique (plan_id, due_at)
  )`,
  `create index care_plan_occurrences_due on care_plan_occurrences (due_at) where state = 'scheduled'`,
  `create index care_plan_occurrences_open on care_plan_occurrences (patient_id, sent_at) where state = 'sent'`,
  `create table observations (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null references patients (id) on delete cascade,
    plan_id uuid references care_plans (id) on delete set null,
    occurrence_id uuid references care_plan_occurrences (id) on delete set null,
    code text not null,
    value bytea not null,
    unit text not null,
    effective_at timestamptz not null,
    source text not null check (source in ('whatsapp', 'staff')),
    interpretation text check (interpretation in ('normal', 'low', 'high')),
    created_at timestamptz not null default now()
  )`,
  `create index observations_by_patient on observations (patient_id, effective_at)`,
];
