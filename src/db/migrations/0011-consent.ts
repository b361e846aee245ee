// Consent per purpose, opt-out, and identity verification (issue 12, src/compliance/consent.ts and
// verification.ts). consent_events is the proof: append-only, one row per expression of the patient's will
// (keyword, desk, API, Meta's 131050). patient_consents and patients.opted_out_at are the current state,
// written in the same transaction as the event, so the sender's send-time check is one join, not a history
// scan. Outbox rows carry the purpose they serve: the sender refuses the business-initiated ones the patient
// withdrew ('reply' = an answer to the patient's own message, never refused).
export const consent: readonly string[] = [
  `create table consent_events (
    id bigint generated always as identity primary key,
    patient_id uuid not null references patients (id) on delete cascade,
    purpose text not null check (purpose in ('all', 'care', 'sensitive', 'surveys', 'campaigns')),
    granted boolean not null,
    text_version text,
    language text,
    channel text not null check (channel in ('whatsapp', 'desk', 'api', 'system')),
    recorded_by text,
    source text,
    at timestamptz not null default now()
  )`,
  `create index consent_events_patient on consent_events (patient_id, id)`,
  // History is never overwritten. Deleting the patient (erasure) cascades here: the RI trigger runs at depth 2.
  `create function consent_events_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and pg_trigger_depth() > 1 then return old; end if;
      raise exception 'consent_events is append-only' using errcode = '42501';
    end $$`,
  `create trigger consent_events_no_change before update or delete on consent_events
     for each row execute function consent_events_append_only()`,
  `create trigger consent_events_no_truncate before truncate on consent_events
     for each statement execute function consent_events_append_only()`,
  `create table patient_consents (
    patient_id uuid not null references patients (id) on delete cascade,
    purpose text not null check (purpose in ('care', 'sensitive', 'surveys', 'campaigns')),
    granted boolean not null,
    channel text not null,
    at timestamptz not null,
    event_id bigint not null,
    primary key (patient_id, purpose)
  )`,
  // Set by STOP and its equivalents, cleared by an explicit START: everything business-initiated is refused.
  `alter table patients add column opted_out_at timestamptz`,
  `alter table outbox add column purpose text not null default 'care'
     check (purpose in ('reply', 'care', 'sensitive', 'surveys', 'campaigns'))`,
  `create index outbox_pending_campaigns on outbox (patient_id) where state = 'pending' and purpose = 'campaigns'`,
  // One row per attempt to verify a patient: the code only as a keyed hash, single-use, expiring, attempts
  // counted (date of birth and code together), locked after too many; verified_until ends the verified state.
  `create table identity_verifications (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null references patients (id) on delete cascade,
    created_at timestamptz not null,
    dob_checked_at timestamptz,
    code_hash text,
    code_sent_at timestamptz,
    code_expires_at timestamptz,
    code_used_at timestamptz,
    attempts integer not null default 0,
    locked_at timestamptz,
    unlocked_at timestamptz,
    verified_at timestamptz,
    verified_until timestamptz
  )`,
  `create index identity_verifications_patient on identity_verifications (patient_id, created_at desc)`,
];
