// An audit append in one round trip (issue 11: fewer statements per message). Until now the application read
// the chain's head (0025: lock, head, ids), hashed the entries and inserted them: two statements in every
// audited transaction, each message's processing and each send's settle among them. Here the database takes the
// chain's lock, reads the head and links the entries itself: the application hashes each entry's content
// (canonical JSON, src/compliance/audit.ts), and the function chains them, entry by entry,
//   hash = sha256(prev_hash ':' id ':' content_hash)   (hex, UTF-8)
// which covers the content, the id and the link as the first scheme did. Entries say which scheme made them
// (`hash_version`: 1 before this migration, 2 after); `patientline audit-verify` checks each by its own.
// The lock and the head read are inside a VOLATILE function, as in 0024: the head is read with a snapshot
// taken after the lock was granted.
export const auditAppend: readonly string[] = [
  `alter table audit_log add column hash_version smallint not null default 1`,
  `create function audit_append(lock_key bigint, chain_no smallint, entries jsonb) returns void
     language plpgsql volatile as $$
   declare
     head_seq bigint;
     head_hash text;
     n integer := jsonb_array_length(entries);
     ids bigint[] := '{}';
     prevs text[] := '{}';
     hashes text[] := '{}';
     new_id bigint;
   begin
     perform pg_advisory_xact_lock(lock_key + chain_no);
     select a.seq, a.hash into head_seq, head_hash from audit_log a where a.chain = chain_no order by a.seq desc limit 1;
     head_seq := coalesce(head_seq, 0);
     head_hash := coalesce(head_hash, repeat('0', 64));
     for i in 0 .. n - 1 loop
       new_id := nextval('audit_log_id_seq');
       ids := ids || new_id;
       prevs := prevs || head_hash;
       head_hash := encode(sha256(convert_to(head_hash || ':' || new_id::text || ':' || (entries -> i ->> 'content_hash'), 'UTF8')), 'hex');
       hashes := hashes || head_hash;
     end loop;
     insert into audit_log (id, chain, seq, at, actor_type, actor_id, action, patient_id, target, ip, details, prev_hash, hash, hash_version)
     select ids[k], chain_no, head_seq + k, (e ->> 'at')::timestamptz, e ->> 'actor_type', e ->> 'actor_id', e ->> 'action', (e ->> 'patient_id')::uuid,
            e ->> 'target', e ->> 'ip', coalesce(e -> 'details', '{}'::jsonb), prevs[k], hashes[k], 2
       from generate_series(1, n) k, lateral (select entries -> (k - 1) as e) x;
   end $$`,
  `drop function audit_chain_head(bigint, smallint, integer)`,
];
