// Several audit chains instead of one (issue 11: every processing transaction and every settle queued for the
// one chain's lock, held through its commit, so at 50 messages a second replies waited seconds). Each chain
// has its own advisory lock and its own gapless sequence (`seq`); a transaction appends to one chain, picked
// from the patient (src/compliance/audit.ts). `id` stays unique across chains, now from a sequence (a rolled
// back append leaves a hole in ids, never in a chain's seq). The entries written before this migration are
// chain 0, seq = id, and chain 0 goes on from their head.
export const auditChains: readonly string[] = [
  `alter table audit_log add column chain smallint not null default 0`,
  `alter table audit_log add column seq bigint`,
  // The only UPDATE the table ever gets: the trigger is off for this one statement of the migration.
  `alter table audit_log disable trigger audit_log_no_change`,
  `update audit_log set seq = id`,
  `alter table audit_log enable trigger audit_log_no_change`,
  `alter table audit_log alter column seq set not null`,
  `alter table audit_log alter column chain drop default`,
  `create unique index audit_log_chain_seq on audit_log (chain, seq)`,
  `create sequence audit_log_id_seq owned by audit_log.id`,
  `select setval('audit_log_id_seq', coalesce((select max(id) from audit_log), 0) + 1, false)`,
  `drop function audit_chain_head(bigint)`,
  // The chain's lock, then its head as it stands once the lock is ours, and `n` fresh ids: one round trip.
  // VOLATILE, so the head is read from a snapshot taken after the wait (see 0024).
  `create function audit_chain_head(lock_key bigint, chain_no smallint, n integer)
     returns table (seq text, hash text, ids text[])
     language plpgsql volatile as $$
   begin
     perform pg_advisory_xact_lock(lock_key + chain_no);
     return query
       select h.seq::text, h.hash, array(select nextval('audit_log_id_seq')::text from generate_series(1, n))
       from (select 1) one
       left join lateral (select a.seq, a.hash from audit_log a where a.chain = chain_no order by a.seq desc limit 1) h on true;
   end $$`,
];
