// Statuses get a life cycle of their own: a new status (never tried) is found through its own partial index
// and applied at once; one that matched no message of ours is held and retried on its own schedule
// (next_attempt_at, backoff) until it expires (expired_at, terminal). Held ones never sit in front of new
// ones, and a status of another app on the same WhatsApp Business Account stops costing anything after a while.
export const statuses: readonly string[] = [
  `alter table status_events add column next_attempt_at timestamptz`,
  `alter table status_events add column expired_at timestamptz`,
  // Rows held before this migration: due now; those the old rule had given up on (60 tries) are expired.
  `update status_events set expired_at = now() where applied_at is null and attempts >= 60`,
  `update status_events set next_attempt_at = now() where applied_at is null and attempts > 0 and expired_at is null`,
  `drop index status_events_unapplied`,
  `create index status_events_new on status_events (id) where applied_at is null and attempts = 0`,
  `create index status_events_held on status_events (next_attempt_at, id) where applied_at is null and expired_at is null and attempts > 0`,
];
