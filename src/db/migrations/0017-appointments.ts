// Appointments, availability exceptions and the waitlist (issue 14), owned by src/scheduling. Shaped like FHIR
// R4 so that the FHIR facade maps rather than rewrites: a service is a HealthcareService with a mode (in
// person or video), a lead time (how soon one may be booked), a horizon (how far ahead) and a slot step; an
// appointment is an Appointment (booked, confirmed, cancelled, rescheduled, arrived, noshow, completed)
// with its history; the waitlist is a list of requests for a service in a local date range.
//
// No double booking, enforced by the database itself: an exclusion constraint over the practitioner's
// time range [starts_at, blocks_until) (the end plus the service's buffer) among appointments that still
// hold their time. `timestamptz + interval` is only stable (it depends on the session's zone), so an index
// expression cannot add the buffer: the application stores blocks_until, and a check keeps it honest.
// btree_gist gives uuid equality in a GiST index; it is trusted since PostgreSQL 13 (no superuser needed),
// and on PGlite src/db/database.ts loads it.
export const appointments: readonly string[] = [
  `create extension if not exists btree_gist`,

  `alter table services
    add column mode text not null default 'in_person' check (mode in ('in_person', 'video')),
    add column lead_time_minutes integer not null default 60 check (lead_time_minutes between 0 and 43200),
    add column horizon_days integer not null default 90 check (horizon_days between 1 and 730),
    add column slot_step_minutes integer check (slot_step_minutes between 5 and 480)`,

  // Extra hours a practitioner works besides their weekly sessions (leave is a closure with the practitioner).
  `create table availability_exceptions (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    location_id uuid not null,
    practitioner_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    reason text check (btrim(reason) <> '' and char_length(reason) <= 200),
    created_at timestamptz not null default now(),
    constraint availability_exceptions_end_after_start check (ends_at > starts_at),
    foreign key (clinic_id, location_id) references locations (clinic_id, id) on delete cascade,
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id) on delete cascade
  )`,
  `create index availability_exceptions_by_practitioner on availability_exceptions (practitioner_id, ends_at)`,

  `create table appointments (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id),
    location_id uuid not null,
    practitioner_id uuid not null,
    service_id uuid not null,
    patient_id uuid not null references patients (id) on delete cascade,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    blocks_until timestamptz not null,
    state text not null default 'booked' check (state in ('booked', 'confirmed', 'cancelled', 'rescheduled', 'arrived', 'noshow', 'completed')),
    booked_by_type text not null check (booked_by_type in ('patient', 'staff', 'token', 'system')),
    booked_by_id text,
    cancel_reason text check (cancel_reason in ('patient_request', 'clinic_request', 'practitioner_unavailable', 'duplicate', 'other')),
    cancelled_by_type text check (cancelled_by_type in ('patient', 'staff', 'token', 'system')),
    cancelled_by_id text,
    cancel_note bytea,
    rescheduled_to uuid references appointments (id) on delete set null,
    video_url bytea,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint appointments_end_after_start check (ends_at > starts_at),
    constraint appointments_blocks_after_end check (blocks_until >= ends_at and blocks_until <= ends_at + interval '240 minutes'),
    constraint appointments_cancel_when_cancelled check ((state = 'cancelled') = (cancel_reason is not null)),
    constraint appointments_rescheduled_link check (rescheduled_to is null or state = 'rescheduled'),
    foreign key (clinic_id, location_id) references locations (clinic_id, id),
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id),
    foreign key (clinic_id, service_id) references services (clinic_id, id),
    constraint appointments_no_overlap exclude using gist (practitioner_id with =, tstzrange(starts_at, blocks_until) with &&)
      where (state in ('booked', 'confirmed', 'arrived', 'noshow', 'completed'))
  )`,
  `create index appointments_by_practitioner on appointments (practitioner_id, starts_at)`,
  `create index appointments_by_patient on appointments (patient_id, starts_at)`,
  `create index appointments_by_start on appointments (starts_at)`,

  `create table appointment_history (
    id bigserial primary key,
    appointment_id uuid not null references appointments (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    state text not null,
    actor_type text not null check (actor_type in ('patient', 'staff', 'token', 'system')),
    actor_id text,
    reason text,
    at timestamptz not null default now()
  )`,
  `create index appointment_history_by_appointment on appointment_history (appointment_id, id)`,

  `create table waitlist_entries (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    service_id uuid not null,
    practitioner_id uuid,
    from_date date not null,
    to_date date not null,
    part_of_day text not null default 'any' check (part_of_day in ('any', 'morning', 'afternoon')),
    state text not null default 'waiting' check (state in ('waiting', 'booked', 'cancelled', 'expired')),
    appointment_id uuid references appointments (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint waitlist_entries_range check (to_date >= from_date and to_date <= from_date + 366),
    foreign key (clinic_id, service_id) references services (clinic_id, id) on delete cascade,
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id) on delete cascade
  )`,
  `create index waitlist_entries_waiting on waitlist_entries (service_id, created_at) where state = 'waiting'`,
  `create unique index waitlist_entries_one_per_service on waitlist_entries (patient_id, service_id) where state = 'waiting'`,

  `create table waitlist_offers (
    id uuid primary key default gen_random_uuid(),
    entry_id uuid not null references waitlist_entries (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    service_id uuid not null,
    location_id uuid not null,
    practitioner_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    expires_at timestamptz not null,
    outcome text not null default 'pending' check (outcome in ('pending', 'accepted', 'declined', 'gone', 'expired')),
    appointment_id uuid references appointments (id) on delete set null,
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    constraint waitlist_offers_one_per_slot unique (entry_id, practitioner_id, starts_at)
  )`,
  `create index waitlist_offers_by_slot on waitlist_offers (practitioner_id, starts_at) where outcome = 'pending'`,
];
