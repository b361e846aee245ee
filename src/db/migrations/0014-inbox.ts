// The staff inbox (issue 13): internal notes (sealed under the patient's key), the history of each handoff
// (who opened, assigned, replied, noted, closed, and when: never the text), standby webhooks (another app such
// as Meta's own agent holds the thread: stored sealed, linked to the patient by their identifier, shown in the
// thread and never answered), and a change feed for live updates. Owned by src/conversation/inbox.
//
// The change feed (inbox_changes) is written by triggers on the tables whose changes the inbox shows, so that
// every instance on one PostgreSQL sees what any other instance (or worker) did: each instance polls it for
// rows it has not seen (no in-memory bus). Rows name a patient id and a PHI-free kind only, and live minutes.
export const inbox: readonly string[] = [
  `create table inbox_notes (
    id uuid primary key default gen_random_uuid(),
    patient_id uuid not null references patients (id) on delete cascade,
    handoff_id uuid references handoffs (id) on delete set null,
    author_id uuid references staff_users (id) on delete set null,
    author_kind text not null check (author_kind in ('staff', 'token')),
    body bytea not null,
    created_at timestamptz not null default now()
  )`,
  `create index inbox_notes_by_patient on inbox_notes (patient_id, created_at)`,

  `create table handoff_events (
    id bigint generated always as identity primary key,
    handoff_id uuid references handoffs (id) on delete cascade,
    patient_id uuid not null references patients (id) on delete cascade,
    kind text not null check (kind in ('opened', 'takeover', 'assigned', 'reply', 'note', 'closed')),
    actor_type text not null check (actor_type in ('staff', 'token', 'system', 'patient')),
    actor_id text,
    assigned_to uuid references staff_users (id) on delete set null,
    -- A staff reply's outbox row: the thread tells staff replies from the bot's.
    outbox_id bigint,
    at timestamptz not null default now()
  )`,
  `create index handoff_events_by_patient on handoff_events (patient_id, at)`,

  // One row per item of a standby change (a message of the patient, an echo of what the other app sent, a
  // status of it), or the whole value when it has none we recognise. Sealed with ENCRYPTION_KEY at intake
  // (the patient may not be known yet), re-sealed under the patient's key when linked.
  `create table standby_events (
    id bigint generated always as identity primary key,
    received_at timestamptz not null default now(),
    item text not null check (item in ('message', 'echo', 'status', 'other')),
    wamid text,
    status text,
    type text,
    occurred_at timestamptz,
    wa_id_index text,
    bsuid_index text,
    patient_id uuid references patients (id) on delete cascade,
    payload bytea not null,
    -- Set once the linker has looked: with patient_id null, no patient had the identifier then (the thread
    -- still finds the row by the blind index).
    linked_at timestamptz
  )`,
  `create unique index standby_events_dedupe on standby_events (item, wamid, coalesce(status, '')) where wamid is not null`,
  `create index standby_events_unlinked on standby_events (id) where linked_at is null`,
  `create index standby_events_by_patient on standby_events (patient_id, occurred_at)`,

  `create table inbox_changes (
    id bigint generated always as identity primary key,
    patient_id uuid references patients (id) on delete cascade,
    kind text not null,
    at timestamptz not null default clock_timestamp()
  )`,
  `create index inbox_changes_at on inbox_changes (at)`,

  `create function inbox_change_patient() returns trigger language plpgsql as $$
    begin
      if new.patient_id is not null then
        insert into inbox_changes (patient_id, kind) values (new.patient_id, 'conversation');
      end if;
      return null;
    end $$`,
  `create function inbox_change_alert() returns trigger language plpgsql as $$
    begin
      insert into inbox_changes (patient_id, kind) values (new.patient_id, 'alert:' || new.kind);
      return null;
    end $$`,
  // A message becomes visible in the thread when it is handled (decrypted under the patient's key).
  `create trigger inbox_inbound_done after update of state on inbound_messages
    for each row when (new.state = 'done' and old.state is distinct from 'done') execute function inbox_change_patient()`,
  `create trigger inbox_outbox_new after insert on outbox for each row when (new.kind <> 'read') execute function inbox_change_patient()`,
  `create trigger inbox_outbox_status after update of state, status on outbox
    for each row when (new.kind <> 'read' and (old.state is distinct from new.state or old.status is distinct from new.status)) execute function inbox_change_patient()`,
  `create trigger inbox_handoffs after insert or update on handoffs for each row execute function inbox_change_patient()`,
  `create trigger inbox_notes_new after insert on inbox_notes for each row execute function inbox_change_patient()`,
  `create trigger inbox_standby after insert or update of patient_id on standby_events for each row execute function inbox_change_patient()`,
  `create trigger inbox_alerts after insert on staff_alerts for each row execute function inbox_change_alert()`,
  `create trigger inbox_alerts_ack after update of acknowledged_at on staff_alerts for each row execute function inbox_change_patient()`,
];
