// Which clinic rows a clinic definition (the demo clinic's seed) wrote, and what they held then. Re-seeding
// updates only the rows that still hold exactly what the seed wrote (same content hash), keeps what staff
// edited or created, never deletes, and does not bring back a seeded row that staff deleted: the entry here
// outlives the row and says "the seed made this once". One row per seeded row, keyed by a stable code
// (a location's code, an FAQ entry's scope/intent/language, a rule's scope/weekday/position).
export const clinicSeed: readonly string[] = [
  `create table clinic_seed_rows (
    clinic_id uuid not null references clinics (id) on delete cascade,
    table_name text not null check (table_name in (
      'clinics', 'locations', 'practitioners', 'services', 'practitioner_services', 'opening_hours', 'closures', 'faq_entries'
    )),
    seed_key text not null check (btrim(seed_key) <> '' and char_length(seed_key) <= 300),
    row_id uuid,
    content_hash text not null check (content_hash ~ '^[0-9a-f]{32}$'),
    seeded_at timestamptz not null default now(),
    primary key (clinic_id, table_name, seed_key)
  )`,
];
