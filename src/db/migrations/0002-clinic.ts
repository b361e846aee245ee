// The clinic as patients and the booking engine see it: clinics, their locations (each with its IANA time
// zone), practitioners, services, who gives which service where, weekly opening hours, closures and the FAQ.
// Owned by src/scheduling (the FAQ text by the FAQ flow). Constraints make bad data impossible rather than
// trusting the API: every child row carries clinic_id and uses composite foreign keys, so a practitioner of
// one clinic can never be attached to another clinic's location or service.
//
// Opening-hour rules (opening_hours) come in three kinds, all in the location's local time:
//   practitioner_id null, service_id null  → the location's opening hours (doors open);
//   practitioner_id set                    → that practitioner's sessions at that location;
//   service_id set                         → the only windows in which that service is given there
//                                            (a service without such rules is limited by the other two).
// A bookable slot lies inside all three (location ∩ practitioner ∩ service windows), outside closures.
// A practitioner without sessions at a location is not bookable there: absence of rules never means "always".
//
// Runs on PostgreSQL 15 and on PGlite (PostgreSQL 18): `unique nulls not distinct` is the newest syntax used.
export const clinic: readonly string[] = [
  // Helpers for checks. Each is self-contained with a pinned search_path: pg_restore evaluates checks with an
  // empty search_path, and a helper calling another unqualified helper would then fail.
  `create function is_language_tag(tag text) returns boolean
    language sql immutable strict parallel safe
    set search_path = pg_catalog
    as $$ select tag ~ '^[a-z]{2,3}(-[A-Z]{2})?$' $$`,
  `create function is_language_list(tags text[]) returns boolean
    language sql immutable strict parallel safe
    set search_path = pg_catalog
    as $$
      select case
        when cardinality(tags) not between 1 and 32 or array_ndims(tags) <> 1 then false
        when array_position(tags, null) is not null then false
        else (select bool_and(t ~ '^[a-z]{2,3}(-[A-Z]{2})?$') and count(distinct t) = count(*) from unnest(tags) t)
      end
    $$`,
  // Localised text is a JSON object from language tag to a non-blank string: {"en": "Blood test", "fr": …}.
  `create function is_localized_text(v jsonb) returns boolean
    language sql immutable strict parallel safe
    set search_path = pg_catalog
    as $$
      select case
        when jsonb_typeof(v) <> 'object' or v = '{}'::jsonb then false
        else not exists (
          select 1 from jsonb_each(v) e
          where e.key !~ '^[a-z]{2,3}(-[A-Z]{2})?$'
             or jsonb_typeof(e.value) <> 'string'
             or btrim(e.value #>> '{}') = ''
        )
      end
    $$`,
  // Canonical IANA names only (Area/Location or UTC) that this server's time-zone database knows. The area
  // list keeps out what pg_timezone_names also lists but is no IANA zone id: posix/…, right/…, localtime,
  // posixrules, Factory and the legacy EST/MST5MDT family. Stable, not immutable: it reads the tz database.
  `create function is_iana_time_zone(tz text) returns boolean
    language sql stable strict
    set search_path = pg_catalog
    as $$
      select tz ~ '^(UTC|(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)?)$'
        and exists (select 1 from pg_timezone_names where name = tz)
    $$`,

  `create table clinics (
    id uuid primary key default gen_random_uuid(),
    code text not null unique check (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(code) <= 64),
    name text not null check (btrim(name) <> '' and char_length(name) <= 200),
    default_language text not null check (is_language_tag(default_language)),
    languages text[] not null check (is_language_list(languages)),
    emergency_number text not null check (emergency_number ~ '^[0-9]{2,6}$'),
    phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
    email text check (email ~ '^[^@\\s]+@[^@\\s]+$'),
    website text check (website ~ '^https?://'),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint clinics_default_language_supported check (default_language = any (languages))
  )`,

  `create table locations (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    code text not null check (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(code) <= 64),
    name text not null check (btrim(name) <> '' and char_length(name) <= 200),
    address_line1 text not null check (btrim(address_line1) <> ''),
    address_line2 text,
    postal_code text not null check (btrim(postal_code) <> ''),
    city text not null check (btrim(city) <> ''),
    country text not null check (country ~ '^[A-Z]{2}$'),
    time_zone text not null constraint locations_time_zone_iana check (is_iana_time_zone(time_zone)),
    phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
    emergency_number text not null check (emergency_number ~ '^[0-9]{2,6}$'),
    languages text[] not null check (is_language_list(languages)),
    accessibility_notes jsonb check (is_localized_text(accessibility_notes)),
    latitude double precision check (latitude between -90 and 90),
    longitude double precision check (longitude between -180 and 180),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint locations_code_unique unique (clinic_id, code),
    constraint locations_clinic_id_unique unique (clinic_id, id),
    constraint locations_coordinates_pair check ((latitude is null) = (longitude is null))
  )`,

  `create table practitioners (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    code text not null check (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(code) <= 64),
    display_name text not null check (btrim(display_name) <> '' and char_length(display_name) <= 200),
    title text check (btrim(title) <> '' and char_length(title) <= 40),
    specialties text[] not null default '{}' check (
      array_position(specialties, null) is null
      and array_to_string(specialties, ',') ~ '^([a-z0-9]+(-[a-z0-9]+)*(,[a-z0-9]+(-[a-z0-9]+)*)*)?$'
    ),
    languages text[] not null check (is_language_list(languages)),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint practitioners_code_unique unique (clinic_id, code),
    constraint practitioners_clinic_id_unique unique (clinic_id, id)
  )`,

  `create table services (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    code text not null check (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(code) <= 64),
    name jsonb not null check (is_localized_text(name)),
    instructions jsonb check (is_localized_text(instructions)),
    duration_minutes integer not null constraint services_duration_positive check (duration_minutes > 0 and duration_minutes <= 480),
    buffer_minutes integer not null default 0 check (buffer_minutes between 0 and 240),
    requires_referral boolean not null default false,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint services_code_unique unique (clinic_id, code),
    constraint services_clinic_id_unique unique (clinic_id, id)
  )`,

  `create table practitioner_services (
    clinic_id uuid not null references clinics (id) on delete cascade,
    practitioner_id uuid not null,
    service_id uuid not null,
    location_id uuid not null,
    created_at timestamptz not null default now(),
    primary key (practitioner_id, service_id, location_id),
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id) on delete cascade,
    foreign key (clinic_id, service_id) references services (clinic_id, id) on delete cascade,
    foreign key (clinic_id, location_id) references locations (clinic_id, id) on delete cascade
  )`,
  `create index practitioner_services_by_service on practitioner_services (service_id, location_id)`,

  `create table opening_hours (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    location_id uuid not null,
    practitioner_id uuid,
    service_id uuid,
    weekday smallint not null check (weekday between 1 and 7),
    start_time time not null check (extract(second from start_time) = 0),
    end_time time not null check (extract(second from end_time) = 0),
    valid_from date,
    valid_to date,
    created_at timestamptz not null default now(),
    constraint opening_hours_end_after_start check (end_time > start_time),
    constraint opening_hours_valid_range check (valid_to >= valid_from),
    constraint opening_hours_one_scope check (num_nonnulls(practitioner_id, service_id) <= 1),
    foreign key (clinic_id, location_id) references locations (clinic_id, id) on delete cascade,
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id) on delete cascade,
    foreign key (clinic_id, service_id) references services (clinic_id, id) on delete cascade
  )`,
  `create index opening_hours_by_location on opening_hours (location_id, weekday)`,
  `create index opening_hours_by_practitioner on opening_hours (practitioner_id) where practitioner_id is not null`,
  `create index opening_hours_by_service on opening_hours (service_id) where service_id is not null`,

  // A closure with a location and no practitioner closes the location; with a practitioner, that
  // practitioner is away (everywhere, or only at the given location).
  `create table closures (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    location_id uuid,
    practitioner_id uuid,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    reason text not null check (btrim(reason) <> '' and char_length(reason) <= 200),
    created_at timestamptz not null default now(),
    constraint closures_end_after_start check (ends_at > starts_at),
    constraint closures_has_scope check (num_nonnulls(location_id, practitioner_id) >= 1),
    foreign key (clinic_id, location_id) references locations (clinic_id, id) on delete cascade,
    foreign key (clinic_id, practitioner_id) references practitioners (clinic_id, id) on delete cascade
  )`,
  `create index closures_by_location on closures (location_id, ends_at) where location_id is not null`,
  `create index closures_by_practitioner on closures (practitioner_id, ends_at) where practitioner_id is not null`,

  // location_id null: the clinic-wide answer; a location's own answer (its address, its hours) wins over it.
  // The answer must fit one WhatsApp text message (4,096 characters).
  `create table faq_entries (
    id uuid primary key default gen_random_uuid(),
    clinic_id uuid not null references clinics (id) on delete cascade,
    location_id uuid,
    intent text not null check (intent in (
      'opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy'
    )),
    language text not null check (is_language_tag(language)),
    question text not null check (btrim(question) <> '' and char_length(question) <= 500),
    answer text not null check (btrim(answer) <> '' and char_length(answer) <= 4096),
    updated_by text check (btrim(updated_by) <> ''),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint faq_entries_one_answer unique nulls not distinct (clinic_id, location_id, intent, language),
    foreign key (clinic_id, location_id) references locations (clinic_id, id) on delete cascade
  )`,
];
