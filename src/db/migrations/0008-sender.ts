// The sender, round 2 (issue 11): a claim number per outbox row, so that only the claim that took a row may
// mark it dispatched or settle it; one shared send schedule (the next free slot of the number's throughput)
// in place of the per-claim counter rows; and the spans during which each instance listened for webhooks,
// so that an in-doubt send whose wait spans a time when nobody listened waits for Meta's retried statuses.
export const sender: readonly string[] = [
  `alter table outbox add column claim_seq integer not null default 0`,
  `create table send_schedule (
    id integer primary key default 1 check (id = 1),
    next_slot timestamptz not null
  )`,
  `insert into send_schedule (id, next_slot) values (1, now())`,
  `drop table send_claims`,
  `create table webhook_listeners (
    instance text primary key,
    started_at timestamptz not null,
    beat_at timestamptz not null
  )`,
  `create index webhook_listeners_started on webhook_listeners (started_at)`,
  // Whatever ran before this migration listened until now at most: the first instance after it starts a new
  // span, so an in-doubt send from before the upgrade gets the wait of a send whose wait spans a restart.
  `insert into webhook_listeners (instance, started_at, beat_at) values ('before-0008', now(), now())`,
];
