// What patients call a service (issue 14, owned by src/scheduling; read by the chat booking flow's service
// matching): words in any language besides the service's names ("prise de sang", "analisi", "Bluttest",
// "Hautarzt"). Lower case, trimmed, at most 60 of 60 characters each (checked by the API's schema).
// Waitlist offers are sent by a worker (src/conversation/waitlist-notifier.ts) whoever freed the time (a
// patient in chat, staff through the API): `notified_at` once the offer was queued to the patient,
// `gone_notified_at` once they were told someone else took it.
// The seed now also writes `mode` (a video visit) and `keywords`: both join the services' hashed columns, so
// the hashes of seeded rows nobody edited since are recomputed to the new list (as 0015 and 0016 did), else
// every seeded service would look edited and never be brought up to date again.
export const serviceTerms: readonly string[] = [
  `alter table services add column keywords text[] not null default '{}'`,
  `alter table waitlist_offers add column notified_at timestamptz, add column gone_notified_at timestamptz`,
  `create index waitlist_offers_to_notify on waitlist_offers (created_at) where notified_at is null and outcome = 'pending'`,
  `create index waitlist_offers_gone_to_notify on waitlist_offers (decided_at) where gone_notified_at is null and outcome = 'gone' and notified_at is not null`,
  `update clinic_seed_rows s set content_hash = md5(jsonb_build_array(v.code, v.name, v.instructions, v.duration_minutes, v.buffer_minutes, v.requires_referral, v.active, v.mode, v.keywords)::text)
     from services v
    where s.table_name = 'services' and s.row_id = v.id
      and s.content_hash = md5(jsonb_build_array(v.code, v.name, v.instructions, v.duration_minutes, v.buffer_minutes, v.requires_referral, v.active)::text)`,
];
