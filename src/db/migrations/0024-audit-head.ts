// The audit chain's lock and its head in one round trip (issue 11, fewer statements per message). The lock is
// taken first and the head read after it, inside a VOLATILE function: under READ COMMITTED each of its
// statements takes a new snapshot, so the head read sees the entry of whoever held the lock before (one
// statement of our own, `select pg_advisory_xact_lock(), (select head)`, would read it from a snapshot taken
// before the wait and fork the chain).
export const auditHead: readonly string[] = [
  `create or replace function audit_chain_head(lock_key bigint) returns table (id text, hash text)
     language plpgsql volatile as $$
   begin
     perform pg_advisory_xact_lock(lock_key);
     return query select a.id::text, a.hash from audit_log a order by a.id desc limit 1;
   end $$`,
];
