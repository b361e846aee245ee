// Phone numbers and BSUIDs at rest (issue 12): every table that held one in clear gets a blind index column
// (HMAC under the system key 'blind-index', src/compliance/identifiers.ts) for its look-ups and, where the
// value itself is needed, an encrypted column. The keys live in system_keys, wrapped by ENCRYPTION_KEY.
//
// A migration cannot compute an HMAC (the key is not in the database), so the rows of an existing database
// are converted at start, in batches, by src/compliance/seal-identifiers.ts, which then clears the old
// columns (wa_id, bsuid, parent_bsuid, username, recipient, to_phone, to_bsuid): they stay, always null,
// until a later migration drops them. The "clear" partial indexes below find what is left to convert; new
// rows never enter them.
export const identifiers: readonly string[] = [
  `create table system_keys (
    name text primary key,
    kek_id text not null,
    wrapped bytea not null,
    created_at timestamptz not null default now(),
    rewrapped_at timestamptz
  )`,
  `alter table patients add column wa_id_index text`,
  `alter table patients add column bsuid_index text`,
  `alter table patients add column wa_id_sealed bytea`,
  `alter table patients add column bsuid_sealed bytea`,
  `alter table patients add column parent_bsuid_sealed bytea`,
  `alter table patients add column username_sealed bytea`,
  `create unique index patients_wa_id_index on patients (wa_id_index)`,
  `create unique index patients_bsuid_index on patients (bsuid_index)`,
  `alter table patients drop constraint patients_identity`,
  `alter table patients add constraint patients_identity
     check (wa_id_index is not null or bsuid_index is not null or wa_id is not null or bsuid is not null)`,
  `create index patients_clear on patients (id) where wa_id is not null or bsuid is not null or parent_bsuid is not null or username is not null`,

  // sender_key becomes 'u:' or 'p:' + the index (converted at start too).
  `alter table inbound_messages add column wa_id_index text`,
  `alter table inbound_messages add column bsuid_index text`,
  `create index inbound_messages_pending_bsuid_index on inbound_messages (bsuid_index, id) where state = 'pending' and bsuid_index is not null`,
  `create index inbound_messages_pending_wa_id_index on inbound_messages (wa_id_index, id) where state = 'pending' and wa_id_index is not null`,
  `drop index inbound_messages_pending_bsuid`,
  `drop index inbound_messages_pending_wa_id`,
  `create index inbound_messages_clear on inbound_messages (id) where wa_id is not null or bsuid is not null`,

  // A status's recipient: the index only (nothing reads the value); erasure finds a patient's statuses by it.
  // No index on it: every status webhook would pay for one more btree insert, for a look-up made only at erasure.
  `alter table status_events add column recipient_index text`,
  `create index status_events_clear on status_events (id) where recipient is not null`,

  // Where a message goes: { phone, bsuid } as encrypted JSON, under the patient's data key. recipient_key is
  // the patient's id already.
  `alter table outbox add column to_sealed bytea`,
  `alter table outbox drop constraint outbox_has_recipient`,
  `alter table outbox add constraint outbox_has_recipient check (to_sealed is not null or to_phone is not null or to_bsuid is not null)`,
  `create index outbox_clear on outbox (id) where to_phone is not null or to_bsuid is not null`,
];
