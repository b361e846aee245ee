// The data map: every table and column of the schema, what kind of data it holds, how its rows relate to a
// patient, and what a GDPR export, an erasure and retention do with it. Export (export.ts), erasure
// (erase.ts) and retention (retention.ts) iterate this list; they hold no per-table code of their own.
// data-map.test.ts migrates a fresh database and fails when information_schema has a column this map does
// not classify, or when the map names one that does not exist: a migration that adds a column adds it here.
//
// Table and column names below are constants of this file, never input: the engines quote them with
// sql.table / sql.ref and bind every value.

/** What a column holds. */
export type ColumnClass =
  /** PHI, encrypted at rest (names, date of birth, message content, media bytes, conversation state). */
  | 'phi_sealed'
  /** A phone number, BSUID or username in clear (today's columns; the identifiers branch moves them). */
  | 'identifier_clear'
  /** A keyed hash of an identifier or of name words: finds a patient, reveals nothing alone. */
  | 'identifier_index'
  /** An identifier, encrypted. */
  | 'identifier_sealed'
  /** The opaque id of a patient row. */
  | 'patient_ref'
  /** An opaque id that links to a person only together with other data (wamid, media id, callback data). */
  | 'pseudonymous'
  /** State, timestamps, counters, codes: no personal data. */
  | 'operational'
  /** Key material or hashes of secrets: never exported. */
  | 'secret'
  /** The audit trail's own columns (ids, actions, PHI-free details). */
  | 'audit'
  /** The clinic's configuration and published content (may name staff members, never patients). */
  | 'clinic';

/** How a sealed value is opened for an export. `app`: ENCRYPTION_KEY's cipher; `patient`: the patient's data key. */
export interface Sealing {
  key: 'app' | 'patient';
  as: 'text' | 'json' | 'bytes';
  /** AAD bound into the ciphertext: such values (media chunks) are not opened by the export. */
  aad?: true;
}

export interface ColumnSpec {
  class: ColumnClass;
  /** Set for sealed columns. */
  sealed?: Sealing;
  /** Which identifier a clear or sealed identifier column holds: erasure matches the patient's on it. */
  identifier?: 'phone' | 'bsuid' | 'any';
  /** A blind index in the inbound ordering key's form: 'p:' + phone index or 'u:' + BSUID index. */
  senderKey?: true;
  /** Left out of the export (derived hashes, bytes, secrets are always left out). */
  noExport?: true;
  note?: string;
}

/** How a table's rows belong to a patient. */
export type Relation =
  /** The patients table itself. */
  | { kind: 'subject' }
  /**
   * Rows of the patient: `column` = the patient's id, or (`byIdentifier`) an identifier column equal to one
   * of the patient's (rows stored before they were linked), or (`via`) `column` in the `key` values of the
   * patient's rows of another table.
   */
  | { kind: 'patient'; column?: string; byIdentifier?: true; via?: { column: string; table: string; key: string } }
  /** Sealed blobs that may mention a patient but cannot be joined to one without opening each row. */
  | { kind: 'unlinked'; why: string }
  | { kind: 'none'; why: string };

/** What an erasure does to the patient's rows of a table. */
export type Erasure =
  /** Delete the patient's rows, except those `except` names (kept, and handled as someone new's). */
  | { action: 'delete'; except?: { column: string; in: readonly string[] }; why?: string }
  /** The patient's data key: ctx.keys.shred (crypto-shredding). */
  | { action: 'shred' }
  /** Open each row (app key) and delete it when it contains one of the patient's identifiers. */
  | { action: 'scan_delete'; column: string; key: string }
  | { action: 'keep'; why: string };

/** A value retention writes into a column: null, or the empty bytea (never a valid ciphertext: "purged"). */
export type PurgedValue = null | 'empty_bytes' | string;

/** What retention does to rows older than the message retention period. */
export interface Retention {
  /** The instant a row's age is counted from. */
  age: string;
  /** Only rows whose `column` is one of `in` (settled ones: never a message still being handled). */
  onlyWhen?: { column: string; in: readonly string[] };
  /** Rows not purged yet, told by `column` not being `value` (so counts are of what this run purged). */
  unlessPurged?: { column: string; value: PurgedValue };
  /** Delete the rows, or overwrite the content columns and keep the row's metadata. */
  action: { delete: true } | { set: Readonly<Record<string, PurgedValue>> };
  /** The age and conditions are those of the parent row (media chunks: their media row). */
  via?: { column: string; table: string; key: string };
}

export interface TableSpec {
  table: string;
  owner: string;
  relation: Relation;
  /** The section of the export the patient's rows go to; absent: not exported (with the reason in `why`). */
  export?: string;
  erase: Erasure;
  retention?: Retention;
  columns: Readonly<Record<string, ColumnSpec>>;
  why?: string;
}

const op: ColumnSpec = { class: 'operational' };
const pseudo: ColumnSpec = { class: 'pseudonymous' };
const audit: ColumnSpec = { class: 'audit' };
const clinic: ColumnSpec = { class: 'clinic' };
const ref: ColumnSpec = { class: 'patient_ref' };
// Columns kept from before 0012: always null since the start-time conversion (compliance/seal-identifiers.ts).
const phone: ColumnSpec = { class: 'identifier_clear', identifier: 'phone', note: 'before 0012; null once converted' };
const bsuid: ColumnSpec = { class: 'identifier_clear', identifier: 'bsuid', note: 'before 0012; null once converted' };
const phoneIdx: ColumnSpec = { class: 'identifier_index', identifier: 'phone', noExport: true };
const bsuidIdx: ColumnSpec = { class: 'identifier_index', identifier: 'bsuid', noExport: true };
const sealedText: ColumnSpec = { class: 'identifier_sealed', sealed: { key: 'patient', as: 'text' } };
const ops = (...names: string[]): Record<string, ColumnSpec> => Object.fromEntries(names.map((n) => [n, op]));
const clinicCols = (...names: string[]): Record<string, ColumnSpec> => Object.fromEntries(names.map((n) => [n, clinic]));

const clinicTable = (table: string, columns: Record<string, ColumnSpec>): TableSpec => ({
  table, owner: 'scheduling', relation: { kind: 'none', why: 'clinic configuration' }, erase: { action: 'keep', why: 'not personal data of patients' }, columns,
});
const sandboxWhy = 'the simulated patient phone (sandbox mode only): it stands for the patient\'s own device, not the clinic\'s records';
const sandboxTable = (table: string, columns: Record<string, ColumnSpec>): TableSpec => ({
  table, owner: 'sandbox', relation: { kind: 'none', why: sandboxWhy }, erase: { action: 'keep', why: sandboxWhy }, columns,
});

function staffTables(): TableSpec[] {
  const why = 'staff accounts and their credentials: no patient data';
  const secret: ColumnSpec = { class: 'secret' };
  const staffData = (note: string): ColumnSpec => ({ class: 'clinic', note });
  const t = (table: string, columns: Record<string, ColumnSpec>): TableSpec => ({ table, owner: 'staff', relation: { kind: 'none', why }, erase: { action: 'keep', why }, columns });
  return [
    t('staff_users', {
      id: op, email: staffData('the staff member\'s e-mail'), display_name: staffData('the staff member\'s name'), role: op,
      password_hash: { ...secret, note: 'argon2id' }, totp_secret: { ...secret, note: 'sealed with ENCRYPTION_KEY' }, totp_pending_secret: { ...secret, note: 'sealed with ENCRYPTION_KEY' },
      ...ops('totp_enabled', 'totp_last_step', 'require_totp', 'failed_logins', 'locked_until', 'disabled_at', 'password_changed_at', 'last_login_at', 'created_at', 'updated_at'),
    }),
    t('staff_sessions', {
      id: { ...secret, note: 'SHA-256 of the cookie token' }, user_id: op, csrf_token: secret,
      ...ops('created_at', 'last_seen_at', 'expires_at', 'revoked_at', 'pending_totp'), ip: staffData('the staff member\'s address'),
    }),
    t('api_tokens', { id: op, name: staffData('a label an admin chose'), token_hash: { ...secret, note: 'SHA-256 of the token' }, ...ops('role', 'created_by', 'created_at', 'expires_at', 'revoked_at', 'last_used_at') }),
    t('auth_rate_limits', { key: staffData('sign-in route and client address'), ...ops('window_started_at', 'hits') }),
  ];
}

export const DATA_MAP: readonly TableSpec[] = [
  {
    table: 'patients', owner: 'patients', relation: { kind: 'subject' }, export: 'patient', erase: { action: 'delete' },
    columns: {
      id: ref,
      wa_id: phone,
      bsuid,
      parent_bsuid: { class: 'identifier_clear', identifier: 'bsuid', note: 'the BSUID of the business portfolio parent' },
      username: { class: 'identifier_clear', note: 'WhatsApp username; before 0012' },
      wa_id_index: phoneIdx, bsuid_index: bsuidIdx,
      wa_id_sealed: sealedText, bsuid_sealed: sealedText, parent_bsuid_sealed: sealedText, username_sealed: sealedText,
      profile_name: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' }, note: 'WhatsApp profile name' },
      given_name: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' } },
      family_name: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' } },
      date_of_birth: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' } },
      name_index: { class: 'identifier_index', noExport: true, note: 'blind indexes of the name\'s words' },
      ...ops('language', 'last_inbound_at', 'created_at', 'updated_at', 'opted_out_at'),
    },
  },
  {
    table: 'system_keys', owner: 'compliance', relation: { kind: 'none', why: 'keys of the deployment (the blind-index key), wrapped by ENCRYPTION_KEY' },
    erase: { action: 'keep', why: 'not personal data' },
    columns: { name: op, kek_id: op, wrapped: { class: 'secret' }, created_at: op, rewrapped_at: op },
  },
  {
    table: 'data_keys', owner: 'compliance', relation: { kind: 'patient', column: 'patient_id' }, erase: { action: 'shred' },
    why: 'key material, never exported',
    columns: { id: op, patient_id: ref, kek_id: op, wrapped: { class: 'secret' }, created_at: op, rewrapped_at: op },
  },
  {
    table: 'inbound_messages', owner: 'whatsapp', relation: { kind: 'patient', column: 'patient_id', byIdentifier: true }, export: 'messagesIn',
    // A message not handled yet may be an emergency: it is handled after the erasure, as a new patient's.
    erase: { action: 'delete', except: { column: 'state', in: ['pending'] }, why: 'a pending message is still checked for red flags and answered, as a new patient\'s' },
    retention: { age: 'received_at', onlyWhen: { column: 'state', in: ['done', 'dead'] }, unlessPurged: { column: 'payload', value: 'empty_bytes' }, action: { set: { payload: 'empty_bytes' } } },
    columns: {
      id: op, wamid: pseudo, phone_number_id: op,
      sender_key: { class: 'identifier_index', identifier: 'any', senderKey: true, noExport: true, note: 'the BSUID or phone index the message is ordered by' },
      wa_id: phone, bsuid, wa_id_index: phoneIdx, bsuid_index: bsuidIdx,
      type: op, sent_at: op, received_at: op,
      payload: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' }, note: 'the message as Meta sent it, and its contact: ENCRYPTION_KEY until handled, then the patient\'s key' },
      ...ops('state', 'attempts', 'next_attempt_at', 'last_error'),
      patient_id: ref,
      ...ops('processed_at', 'processed_order', 'processed_by'),
    },
  },
  {
    table: 'outbox', owner: 'whatsapp', relation: { kind: 'patient', column: 'patient_id', byIdentifier: true }, export: 'messagesOut',
    erase: { action: 'delete' },
    retention: { age: 'created_at', onlyWhen: { column: 'state', in: ['sent', 'failed', 'cancelled'] }, unlessPurged: { column: 'payload', value: 'empty_bytes' }, action: { set: { payload: 'empty_bytes' } } },
    columns: {
      id: op, patient_id: ref, recipient_key: { class: 'patient_ref', note: 'the patient id the sender orders by' },
      to_phone: phone, to_bsuid: bsuid, to_sealed: { class: 'identifier_sealed', sealed: { key: 'patient', as: 'json' }, note: '{phone, bsuid}' },
      kind: op, purpose: op,
      payload: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' }, note: 'the message sent' },
      requires_window: op, caused_by: op, idempotency_key: pseudo, callback_token: { class: 'secret', note: 'random part of biz_opaque_callback_data' },
      ...ops('state', 'attempts', 'next_attempt_at', 'claimed_at', 'dispatched_at', 'claim_seq', 'in_doubt_at'),
      wamid: pseudo,
      ...ops('status', 'status_rank', 'error_code', 'error_title', 'created_at', 'accepted_at', 'sent_at', 'delivered_at', 'read_at', 'failed_at'),
    },
  },
  {
    // Statuses of our outbound messages: by the message's wamid, or by the recipient they name.
    table: 'status_events', owner: 'whatsapp',
    relation: { kind: 'patient', byIdentifier: true, via: { column: 'wamid', table: 'outbox', key: 'wamid' } }, export: 'statuses',
    erase: { action: 'delete' },
    retention: { age: 'received_at', action: { delete: true } },
    columns: {
      id: op, wamid: pseudo, status: op, occurred_at: op, received_at: op, callback_data: pseudo,
      recipient: { class: 'identifier_clear', identifier: 'any', note: 'before 0012; null once converted' },
      recipient_index: { class: 'identifier_index', identifier: 'any', noExport: true, note: 'the phone (or BSUID) the status is about' },
      error_code: op, details: { class: 'pseudonymous', note: 'conversation, pricing and error objects from Meta' },
      ...ops('applied_at', 'attempts', 'next_attempt_at', 'expired_at'),
    },
  },
  {
    table: 'media', owner: 'whatsapp', relation: { kind: 'patient', column: 'patient_id' }, export: 'media', erase: { action: 'delete' },
    retention: {
      age: 'created_at', onlyWhen: { column: 'state', in: ['stored', 'failed'] }, unlessPurged: { column: 'error', value: 'purged_by_retention' },
      action: { set: { content: null, chunk_count: null, chunk_attempt: null, state: 'failed', error: 'purged_by_retention' } },
    },
    columns: {
      id: op, media_id: pseudo, inbound_message_id: op, patient_id: ref,
      mime_type: op, sha256: pseudo, size: op,
      content: { class: 'phi_sealed', sealed: { key: 'patient', as: 'bytes' }, noExport: true, note: 'files stored before 0006; the export lists media, not their bytes' },
      ...ops('state', 'attempts', 'next_attempt_at', 'error', 'created_at', 'stored_at', 'chunk_count', 'chunk_attempt'),
    },
  },
  {
    table: 'media_chunks', owner: 'whatsapp', relation: { kind: 'patient', via: { column: 'media_row_id', table: 'media', key: 'id' } },
    erase: { action: 'delete' }, why: 'the bytes of the media listed in the export',
    retention: { age: 'created_at', via: { column: 'media_row_id', table: 'media', key: 'id' }, action: { delete: true } },
    columns: { media_row_id: op, attempt: op, seq: op, content: { class: 'phi_sealed', sealed: { key: 'app', as: 'bytes', aad: true }, noExport: true } },
  },
  {
    table: 'consent_events', owner: 'compliance', relation: { kind: 'patient', column: 'patient_id' }, export: 'consents',
    // Append-only: an application DELETE is refused; the patient row's ON DELETE CASCADE removes them (the
    // trigger lets only that through). Each consent's proof stays in the audit trail (consent.* entries, PHI-free).
    erase: { action: 'keep', why: 'removed by the patient row\'s cascade; the audit trail keeps the PHI-free proof' },
    columns: { ...ops('id', 'purpose', 'granted', 'text_version', 'language', 'channel', 'source', 'at'), patient_id: ref, recorded_by: { class: 'operational', note: 'a staff user id' } },
  },
  {
    table: 'patient_consents', owner: 'compliance', relation: { kind: 'patient', column: 'patient_id' }, export: 'consentState',
    erase: { action: 'delete' },
    columns: { patient_id: ref, ...ops('purpose', 'granted', 'channel', 'at', 'event_id') },
  },
  {
    table: 'identity_verifications', owner: 'compliance', relation: { kind: 'patient', column: 'patient_id' }, export: 'identityVerifications',
    erase: { action: 'delete' },
    columns: {
      id: op, patient_id: ref, code_hash: { class: 'secret' },
      ...ops('created_at', 'dob_checked_at', 'code_sent_at', 'code_expires_at', 'code_used_at', 'attempts', 'locked_at', 'unlocked_at', 'verified_at', 'verified_until'),
    },
  },
  {
    table: 'conversation_state', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' }, export: 'conversationState',
    erase: { action: 'delete' },
    retention: { age: 'updated_at', action: { delete: true } },
    columns: { patient_id: ref, flow: op, state: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' } }, updated_at: op, version: op },
  },
  {
    table: 'handoffs', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' }, export: 'handoffs',
    erase: { action: 'delete' },
    retention: { age: 'opened_at', onlyWhen: { column: 'state', in: ['closed'] }, action: { delete: true } },
    columns: { id: op, patient_id: ref, ...ops('state', 'reason', 'priority', 'assigned_to', 'opened_at', 'assigned_at', 'closed_at', 'closed_by', 'last_patient_message_at') },
  },
  {
    table: 'staff_alerts', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' }, export: 'staffAlerts',
    erase: { action: 'delete' },
    retention: { age: 'created_at', action: { delete: true } },
    columns: { id: op, patient_id: ref, ...ops('kind', 'handoff_id', 'codes', 'created_at', 'acknowledged_at', 'acknowledged_by') },
  },
  {
    table: 'inbox_notes', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' }, export: 'inboxNotes',
    erase: { action: 'delete' },
    retention: { age: 'created_at', action: { delete: true } },
    columns: {
      id: op, patient_id: ref, handoff_id: op, author_id: { class: 'clinic', note: 'the staff member who wrote it' }, author_kind: op,
      body: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' }, note: 'an internal note of staff about the patient' }, created_at: op,
    },
  },
  {
    table: 'handoff_events', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' }, export: 'handoffEvents',
    erase: { action: 'delete' },
    retention: { age: 'at', action: { delete: true } },
    columns: { id: op, handoff_id: op, patient_id: ref, kind: op, actor_type: op, actor_id: { class: 'clinic', note: 'the staff user or token that acted' }, assigned_to: op, outbox_id: op, at: op },
  },
  {
    table: 'standby_events', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id', byIdentifier: true }, export: 'standbyEvents',
    erase: { action: 'delete' },
    retention: { age: 'received_at', action: { delete: true } },
    columns: {
      id: op, received_at: op, item: op, wamid: pseudo, status: op, type: op, occurred_at: op,
      wa_id_index: phoneIdx, bsuid_index: bsuidIdx, patient_id: ref,
      payload: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' }, note: 'the standby item as Meta sent it: ENCRYPTION_KEY until linked, then the patient\'s key' },
      linked_at: op,
    },
  },
  {
    table: 'inbox_changes', owner: 'conversation', relation: { kind: 'patient', column: 'patient_id' },
    why: 'a change feed for live updates (patient id and a PHI-free kind), pruned after minutes: nothing to export',
    erase: { action: 'delete' },
    retention: { age: 'at', action: { delete: true } },
    columns: { id: op, patient_id: ref, kind: op, at: op },
  },
  {
    table: 'webhook_dead_letters', owner: 'whatsapp', relation: { kind: 'unlinked', why: 'webhook bodies we could not parse: no patient column' },
    erase: { action: 'scan_delete', column: 'body', key: 'id' },
    retention: { age: 'received_at', action: { delete: true } },
    columns: { id: op, received_at: op, reason: op, body: { class: 'phi_sealed', sealed: { key: 'app', as: 'text' } } },
  },
  {
    table: 'webhook_other_events', owner: 'whatsapp', relation: { kind: 'unlinked', why: 'account, template and error events: no patient column' },
    erase: { action: 'scan_delete', column: 'payload', key: 'id' },
    retention: { age: 'received_at', action: { delete: true } },
    columns: { id: op, received_at: op, field: op, payload: { class: 'phi_sealed', sealed: { key: 'app', as: 'text' } }, processed_at: op },
  },
  {
    table: 'audit_log', owner: 'compliance', relation: { kind: 'patient', column: 'patient_id' }, export: 'auditTrail',
    erase: { action: 'keep', why: 'accountability (HIPAA 164.312(b), GDPR art. 5(2)): entries name the patient only by the opaque id, their details are PHI-free, and the hash chain must keep verifying' },
    columns: {
      id: audit, at: audit, actor_type: audit, actor_id: audit, action: audit, patient_id: ref, target: { class: 'pseudonymous', note: 'user:<id>, wamid:<id>' },
      // The staff member's address is their personal data, not the patient's: not in the patient's export.
      ip: { class: 'audit', noExport: true, note: 'the staff member\'s address' }, details: audit, prev_hash: audit, hash: audit, chain: audit, seq: audit, hash_version: audit,
    },
  },
  // Appointments (0017, src/scheduling): the patient's own records. Exported; deleted at erasure (their sealed
  // video link and cancellation note are unreadable anyway once the key is shredded). No retention purge: they
  // are care records, not messages.
  {
    table: 'appointments', owner: 'scheduling', relation: { kind: 'patient', column: 'patient_id' }, export: 'appointments',
    erase: { action: 'delete' },
    columns: {
      id: op, patient_id: ref,
      ...ops('clinic_id', 'location_id', 'practitioner_id', 'service_id', 'starts_at', 'ends_at', 'blocks_until', 'state', 'booked_by_type', 'booked_by_id',
        'cancel_reason', 'cancelled_by_type', 'cancelled_by_id', 'rescheduled_to', 'created_at', 'updated_at'),
      cancel_note: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' }, note: 'why the appointment was cancelled, in the words given' },
      video_url: { class: 'phi_sealed', sealed: { key: 'patient', as: 'text' }, note: 'the video visit\'s join link' },
    },
  },
  {
    table: 'appointment_history', owner: 'scheduling', relation: { kind: 'patient', column: 'patient_id' }, export: 'appointmentHistory',
    erase: { action: 'delete' },
    columns: { id: op, appointment_id: op, patient_id: ref, ...ops('state', 'actor_type', 'actor_id', 'reason', 'at') },
  },
  {
    table: 'waitlist_entries', owner: 'scheduling', relation: { kind: 'patient', column: 'patient_id' }, export: 'waitlist',
    erase: { action: 'delete' },
    columns: { id: op, patient_id: ref, ...ops('clinic_id', 'service_id', 'practitioner_id', 'from_date', 'to_date', 'part_of_day', 'state', 'appointment_id', 'created_at', 'updated_at') },
  },
  {
    table: 'reminders', owner: 'reminders', relation: { kind: 'patient', column: 'patient_id' }, export: 'reminders',
    erase: { action: 'delete' },
    columns: { id: op, patient_id: ref, ...ops('appointment_id', 'kind', 'offset_minutes', 'due_at', 'state', 'reason', 'outbox_id', 'via', 'created_at', 'decided_at') },
  },
  // Care plans (0021, src/careplans): the patient's care records. Exported; deleted at erasure (the sealed
  // details and values are unreadable anyway once the key is shredded). No retention purge: care records.
  {
    table: 'care_plans', owner: 'careplans', relation: { kind: 'patient', column: 'patient_id' }, export: 'carePlans',
    erase: { action: 'delete' },
    columns: {
      id: op, patient_id: ref,
      ...ops('kind', 'rrule', 'dtstart_local', 'time_zone', 'threshold_low', 'threshold_high', 'threshold_unit', 'active', 'scheduled_until', 'created_at', 'updated_at'),
      created_by: { class: 'operational', note: 'a staff user id' },
      stopped_by: { class: 'operational', note: 'a staff user id' },
      stopped_at: op,
      stop_reason: { class: 'operational', note: 'a code (completed, side_effects…), never free text: codes stay clear like kind and interpretation, values are sealed' },
      details: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' }, note: 'the medicine and dose, the service or the measure' },
    },
  },
  {
    table: 'care_plan_occurrences', owner: 'careplans', relation: { kind: 'patient', column: 'patient_id' }, export: 'carePlanOccurrences',
    erase: { action: 'delete' },
    columns: { id: op, patient_id: ref, ...ops('plan_id', 'due_at', 'state', 'reason', 'snoozes', 'outbox_id', 'via', 'sent_at', 'answered_at', 'created_at') },
  },
  {
    table: 'observations', owner: 'careplans', relation: { kind: 'patient', column: 'patient_id' }, export: 'observations',
    erase: { action: 'delete' },
    columns: {
      id: op, patient_id: ref,
      ...ops('plan_id', 'occurrence_id', 'code', 'unit', 'effective_at', 'source', 'interpretation', 'created_at'),
      value: { class: 'phi_sealed', sealed: { key: 'patient', as: 'json' }, note: 'the reading' },
    },
  },
  { table: 'message_templates', owner: 'whatsapp', relation: { kind: 'none', why: 'the clinic\'s message templates and their review by Meta' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('name', 'language', 'meta_language', 'category', 'status', 'meta_id', 'reason', 'definition_hash', 'created_at', 'updated_at', 'synced_at') },
  clinicTable('reminder_settings', { ...ops('clinic_id', 'appointment_offsets_minutes', 'quiet_start', 'quiet_end', 'updated_at'), updated_by: { class: 'operational', note: 'a staff user id' } }),
  {
    table: 'waitlist_offers', owner: 'scheduling', relation: { kind: 'patient', column: 'patient_id' }, export: 'waitlistOffers',
    erase: { action: 'delete' },
    columns: { id: op, entry_id: op, patient_id: ref, ...ops('service_id', 'location_id', 'practitioner_id', 'starts_at', 'ends_at', 'expires_at', 'outcome', 'appointment_id', 'created_at', 'decided_at', 'notified_at', 'gone_notified_at') },
  },
  { table: 'send_schedule', owner: 'whatsapp', relation: { kind: 'none', why: 'the number\'s throughput' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('id', 'next_slot') },
  { table: 'webhook_listeners', owner: 'whatsapp', relation: { kind: 'none', why: 'instances\' listening spans' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('instance', 'started_at', 'beat_at') },
  { table: 'sender_pause', owner: 'whatsapp', relation: { kind: 'none', why: 'the sender\'s pause' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('id', 'paused_until', 'reason') },
  { table: 'operator_alerts', owner: 'whatsapp', relation: { kind: 'none', why: 'alerts carry codes and counts, never PHI' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('id', 'raised_at', 'code', 'message', 'resolved_at') },
  { table: 'schema_migrations', owner: 'db', relation: { kind: 'none', why: 'applied migrations' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('name', 'timestamp') },
  { table: 'schema_migrations_lock', owner: 'db', relation: { kind: 'none', why: 'the migration lock' }, erase: { action: 'keep', why: 'no personal data' }, columns: ops('id', 'is_locked') },
  clinicTable('clinics', { id: op, ...clinicCols('code', 'name', 'default_language', 'languages', 'emergency_number', 'phone', 'email', 'website', 'crisis_line'), ...ops('created_at', 'updated_at') }),
  clinicTable('locations', { id: op, clinic_id: op, ...clinicCols('code', 'name', 'address_line1', 'address_line2', 'postal_code', 'city', 'country', 'time_zone', 'phone', 'emergency_number', 'languages', 'accessibility_notes', 'latitude', 'longitude'), ...ops('active', 'created_at', 'updated_at') }),
  clinicTable('practitioners', { id: op, clinic_id: op, ...clinicCols('code', 'display_name', 'title', 'specialties', 'languages'), ...ops('active', 'created_at', 'updated_at') }),
  clinicTable('services', { id: op, clinic_id: op, ...clinicCols('code', 'name', 'instructions', 'duration_minutes', 'buffer_minutes', 'requires_referral', 'mode', 'lead_time_minutes', 'horizon_days', 'slot_step_minutes', 'keywords'), ...ops('active', 'created_at', 'updated_at') }),
  clinicTable('availability_exceptions', { ...ops('id', 'clinic_id', 'location_id', 'practitioner_id'), ...clinicCols('starts_at', 'ends_at', 'reason'), created_at: op }),
  clinicTable('practitioner_services', ops('clinic_id', 'practitioner_id', 'service_id', 'location_id', 'created_at')),
  clinicTable('opening_hours', { ...ops('id', 'clinic_id', 'location_id', 'practitioner_id', 'service_id'), ...clinicCols('weekday', 'start_time', 'end_time', 'valid_from', 'valid_to'), created_at: op }),
  clinicTable('closures', { ...ops('id', 'clinic_id', 'location_id', 'practitioner_id'), ...clinicCols('starts_at', 'ends_at', 'reason'), created_at: op }),
  clinicTable('faq_entries', { ...ops('id', 'clinic_id', 'location_id', 'intent', 'language'), ...clinicCols('question', 'answer', 'variants', 'link', 'title'), updated_by: { class: 'operational', note: 'a staff user id' }, ...ops('created_at', 'updated_at') }),
  clinicTable('faq_revisions', ops('clinic_id', 'revision', 'changed_at')),
  clinicTable('clinic_seed_rows', ops('clinic_id', 'table_name', 'seed_key', 'row_id', 'content_hash', 'seeded_at')),
  // Staff accounts (0010, src/staff): the clinic's staff, never patients; their e-mail and name are the staff
  // member's own data. Secrets are stored only as hashes or sealed.
  ...staffTables(),
  sandboxTable('sandbox_patients', { id: op, wa_id: phone, bsuid, name: { class: 'phi_sealed', sealed: { key: 'app', as: 'text' } }, ...ops('language', 'last_inbound_at', 'typing_until', 'rev', 'created_at') }),
  sandboxTable('sandbox_messages', { ...ops('id', 'patient_id', 'direction'), wamid: pseudo, type: op, content: { class: 'phi_sealed', sealed: { key: 'app', as: 'json' } }, ...ops('status', 'error_code'), callback_data: pseudo, context_wamid: pseudo, ...ops('created_at', 'rev') }),
  sandboxTable('sandbox_media', { id: pseudo, ...ops('mime_type', 'sha256', 'size', 'filename', 'origin'), content: { class: 'phi_sealed', sealed: { key: 'app', as: 'bytes' } }, ...ops('created_at', 'deleted_at') }),
  sandboxTable('sandbox_templates', ops('id', 'name', 'language', 'category', 'parameter_format', 'components', 'status', 'created_at', 'approve_at', 'status_notified')),
  sandboxTable('sandbox_settings', ops('key', 'value')),
  sandboxTable('sandbox_webhooks', { ...ops('id', 'kind'), ref_wamid: pseudo, body: { class: 'phi_sealed', sealed: { key: 'app', as: 'text' } }, ...ops('due_at', 'attempts', 'lease_until', 'delivered_at', 'last_error') }),
  sandboxTable('sandbox_api_log', ops('id', 'at', 'method', 'path', 'http_status', 'error_code', 'details')),
];

/** The map entry of a table (throws on a table the map does not know: a programming error). */
export function tableSpec(table: string): TableSpec {
  const t = DATA_MAP.find((s) => s.table === table);
  if (!t) throw new Error(`the data map has no table ${table}`);
  return t;
}

/** Problems between the map and the columns a database really has: one line per column to fix. */
export function dataMapProblems(columns: readonly { table: string; column: string }[]): string[] {
  const problems: string[] = [];
  const actual = new Map<string, Set<string>>();
  for (const c of columns) {
    if (!actual.has(c.table)) actual.set(c.table, new Set());
    actual.get(c.table)!.add(c.column);
  }
  for (const [table, cols] of actual) {
    const spec = DATA_MAP.find((s) => s.table === table);
    if (!spec) {
      problems.push(`table ${table} (${[...cols].join(', ')}) is not in the data map: add a TableSpec for it to DATA_MAP in src/compliance/data-map.ts, with its relation to a patient, export, erase and retention`);
      continue;
    }
    for (const c of cols) {
      if (!spec.columns[c]) problems.push(`column ${table}.${c} is not classified: add \`${c}: { class: ... }\` to the columns of table '${table}' in DATA_MAP (src/compliance/data-map.ts)`);
    }
    for (const c of Object.keys(spec.columns)) {
      if (!cols.has(c)) problems.push(`column ${table}.${c} is in the data map but not in the database: remove it from table '${table}' in DATA_MAP (src/compliance/data-map.ts)`);
    }
  }
  for (const spec of DATA_MAP) {
    if (!actual.has(spec.table)) problems.push(`table ${spec.table} is in the data map but not in the database: remove it from DATA_MAP (src/compliance/data-map.ts)`);
  }
  // The engines' own references must name mapped columns.
  for (const spec of DATA_MAP) {
    const has = (t: string, c: string) => Boolean(DATA_MAP.find((s) => s.table === t)?.columns[c]);
    const r = spec.relation;
    if (r.kind === 'patient') {
      if (r.column && !has(spec.table, r.column)) problems.push(`${spec.table}: relation column ${r.column} is not a column of it`);
      if (r.via && (!has(spec.table, r.via.column) || !has(r.via.table, r.via.key))) problems.push(`${spec.table}: relation via ${r.via.table}.${r.via.key} names a missing column`);
      if (r.byIdentifier && !Object.values(spec.columns).some((c) => c.identifier)) problems.push(`${spec.table}: byIdentifier without an identifier column`);
    }
    if (spec.erase.action === 'scan_delete' && !has(spec.table, spec.erase.column)) problems.push(`${spec.table}: scan_delete column ${spec.erase.column} is missing`);
    if (spec.erase.action === 'delete' && spec.erase.except && !has(spec.table, spec.erase.except.column)) problems.push(`${spec.table}: erasure exception column ${spec.erase.except.column} is missing`);
    const ret = spec.retention;
    if (ret) {
      const ageTable = ret.via ? ret.via.table : spec.table;
      if (!has(ageTable, ret.age)) problems.push(`${spec.table}: retention age column ${ageTable}.${ret.age} is missing`);
      if ('set' in ret.action) for (const c of Object.keys(ret.action.set)) if (!has(spec.table, c)) problems.push(`${spec.table}: retention sets missing column ${c}`);
    }
  }
  return problems;
}

function describeRelation(r: Relation): string {
  if (r.kind === 'subject') return 'the patient';
  if (r.kind === 'patient') {
    const ways = [r.column ? `by ${r.column}` : null, r.byIdentifier ? 'by phone/BSUID' : null, r.via ? `via ${r.via.table}.${r.via.key}` : null].filter(Boolean);
    return ways.join(', ');
  }
  return `${r.kind === 'unlinked' ? 'unlinked' : 'none'}: ${r.why}`;
}

function describeErasure(e: Erasure): string {
  if (e.action === 'keep') return `kept: ${e.why}`;
  if (e.action === 'delete') return e.except ? `deleted, except ${e.except.column} in (${e.except.in.join(', ')})` : 'deleted';
  if (e.action === 'shred') return 'shredded';
  return `opened and deleted when it names the patient (${e.column})`;
}

function describeRetention(r: Retention | undefined): string {
  if (!r) return '-';
  const what = 'delete' in r.action ? 'rows deleted' : `${Object.keys(r.action.set).join(', ')} purged`;
  return `${what} after RETENTION_MESSAGE_DAYS by ${r.via ? `${r.via.table}.` : ''}${r.age}${r.onlyWhen ? ` (${r.onlyWhen.column} in ${r.onlyWhen.in.join('/')})` : ''}`;
}

/** The map as a Markdown table, for operators and the data protection officer (`patientline data-map`). */
export function dataMapMarkdown(): string {
  const lines = ['| table | relation to a patient | export | erasure | retention | columns by class |', '| --- | --- | --- | --- | --- | --- |'];
  for (const t of DATA_MAP) {
    const byClass = new Map<string, string[]>();
    for (const [name, c] of Object.entries(t.columns)) byClass.set(c.class, [...(byClass.get(c.class) ?? []), name]);
    const cols = [...byClass].map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ');
    lines.push(`| ${t.table} | ${describeRelation(t.relation)} | ${t.export ?? '-'} | ${describeErasure(t.erase)} | ${describeRetention(t.retention)} | ${cols} |`);
  }
  return lines.join('\n') + '\n';
}
