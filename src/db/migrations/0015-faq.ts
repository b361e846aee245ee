// The FAQ as staff edit it (issue 13, src/faq): several ways patients ask each question (variants, per entry
// and language), an optional https link, and topics beyond the fixed seven. A staff-defined topic is a slug
// with a title per entry (≤ 24 characters: a WhatsApp list row); the seven built-in topics keep their names
// and titles come from src/faq/topics.ts. Existing rows stay valid (no variants, no link, no title).
//
// faq_revisions counts every change to a clinic's FAQ (a trigger, so the seed, the API and any other writer
// bump it): each instance keeps its match index in memory and rebuilds it when the revision moves. The bump
// is an update of one row per clinic, so concurrent writers serialise on it and readers never see a revision
// whose rows are not committed.
//
// The seed ledger's hash of an FAQ entry now covers variants and link (src/scheduling/seed-clinic.ts): rows
// that still hold what the seed wrote are rehashed here, so a re-seed keeps updating them.
const BUILT_IN = `'opening_hours', 'location', 'insurance', 'payment', 'accessibility', 'what_to_bring', 'cancellation_policy'`;

export const faq: readonly string[] = [
  `create function is_faq_variants(v text[]) returns boolean
    language sql immutable strict parallel safe
    set search_path = pg_catalog
    as $$
      select case
        when cardinality(v) = 0 then true
        when cardinality(v) > 30 or array_ndims(v) <> 1 then false
        when array_position(v, null) is not null then false
        else (select bool_and(btrim(x) <> '' and char_length(x) <= 500) from unnest(v) x)
      end
    $$`,
  `alter table faq_entries drop constraint faq_entries_intent_check`,
  `alter table faq_entries add constraint faq_entries_topic check (
    intent in (${BUILT_IN}) or (intent ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(intent) <= 64)
  )`,
  `alter table faq_entries add column variants text[] not null default '{}' constraint faq_entries_variants check (is_faq_variants(variants))`,
  `alter table faq_entries add column link text constraint faq_entries_link check (link ~ '^https://[^\\s/?#]+[^\\s]*$' and char_length(link) <= 2000)`,
  `alter table faq_entries add column title text constraint faq_entries_title check (btrim(title) <> '' and char_length(title) <= 24)`,
  `alter table faq_entries add constraint faq_entries_custom_topic_titled check (intent in (${BUILT_IN}) or title is not null)`,
  `create index faq_entries_by_clinic on faq_entries (clinic_id, intent, language)`,

  `create table faq_revisions (
    clinic_id uuid primary key references clinics (id) on delete cascade,
    revision bigint not null default 0 check (revision >= 0),
    changed_at timestamptz not null default now()
  )`,
  `insert into faq_revisions (clinic_id) select id from clinics`,
  `create function faq_entries_bump_revision() returns trigger language plpgsql as $$
    declare
      c uuid;
    begin
      if tg_op = 'DELETE' then c := old.clinic_id; else c := new.clinic_id; end if;
      insert into faq_revisions as r (clinic_id, revision, changed_at) values (c, 1, now())
        on conflict (clinic_id) do update set revision = r.revision + 1, changed_at = now();
      if tg_op = 'UPDATE' and old.clinic_id <> new.clinic_id then
        update faq_revisions set revision = revision + 1, changed_at = now() where clinic_id = old.clinic_id;
      end if;
      return null;
    end
  $$`,
  `create trigger faq_entries_revision after insert or update or delete on faq_entries
    for each row execute function faq_entries_bump_revision()`,

  `update clinic_seed_rows s
     set content_hash = md5(jsonb_build_array(f.location_id, f.intent, f.language, f.question, f.answer, f.updated_by, f.variants, f.link)::text)
    from faq_entries f
   where s.table_name = 'faq_entries' and s.row_id = f.id
     and s.content_hash = md5(jsonb_build_array(f.location_id, f.intent, f.language, f.question, f.answer, f.updated_by)::text)`,
];
