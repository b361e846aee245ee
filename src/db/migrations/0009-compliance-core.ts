// The compliance core (issue 12): the hash-chained audit log, per-patient data keys (envelope encryption),
// and the patient's own particulars (name, date of birth), encrypted under the patient's key.
export const complianceCore: readonly string[] = [
  // id is the chain position, assigned under the chain lock (compliance/audit.ts): gapless, in commit order.
  `create table audit_log (
    id bigint primary key,
    at timestamptz not null,
    actor_type text not null check (actor_type in ('staff', 'token', 'system', 'patient')),
    actor_id text,
    action text not null,
    patient_id uuid,
    target text,
    ip text,
    details jsonb not null default '{}'::jsonb,
    prev_hash text not null,
    hash text not null
  )`,
  `create index audit_log_patient on audit_log (patient_id, id) where patient_id is not null`,
  `create index audit_log_actor on audit_log (actor_id, id) where actor_id is not null`,
  `create index audit_log_action on audit_log (action, id)`,
  `create index audit_log_at on audit_log (at)`,
  // Append-only for the application: an edit needs a superuser disabling this trigger, and the chain shows it.
  `create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only' using errcode = '42501';
    end $$`,
  `create trigger audit_log_no_change before update or delete on audit_log
     for each row execute function audit_log_append_only()`,
  `create trigger audit_log_no_truncate before truncate on audit_log
     for each statement execute function audit_log_append_only()`,
  // One data key per patient, wrapped by a key-encryption key (ENCRYPTION_KEY or a previous one, by kek_id).
  // Erasure deletes the row: every value sealed with it is unreadable anywhere it was copied (crypto-shredding).
  `create table data_keys (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null unique references patients (id) on delete cascade,
    kek_id text not null,
    wrapped bytea not null,
    created_at timestamptz not null default now(),
    rewrapped_at timestamptz
  )`,
  `create index data_keys_kek on data_keys (kek_id)`,
  `alter table patients add column given_name bytea`,
  `alter table patients add column family_name bytea`,
  `alter table patients add column date_of_birth bytea`,
  // Blind indexes (keyed hashes) of the normalised name's words: search without decrypting every row.
  `alter table patients add column name_index text[] not null default '{}'`,
  `create index patients_name_index on patients using gin (name_index)`,
];
