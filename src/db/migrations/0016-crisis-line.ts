// A crisis line per clinic (issue 13, owned by src/conversation's emergency reply): for suicidal thoughts and
// self-harm the first reply gives it beside the emergency number (3114 in France). Digits, or E.164.
// The seed hashes the columns it wrote (0007, src/scheduling/seed-clinic.ts): crisis_line joins the clinic's
// hashed columns, so the hashes of rows nobody edited since are recomputed here to the new column list,
// else every seeded clinic would look edited and never be brought up to date again.
export const crisisLine: readonly string[] = [
  `alter table clinics add column crisis_line text check (crisis_line ~ '^(\\+[1-9][0-9]{6,14}|[0-9]{2,15})$')`,
  `update clinic_seed_rows s set content_hash = md5(jsonb_build_array(c.code, c.name, c.default_language, c.languages, c.emergency_number, c.phone, c.email, c.website, c.crisis_line)::text)
     from clinics c
    where s.table_name = 'clinics' and s.row_id = c.id
      and s.content_hash = md5(jsonb_build_array(c.code, c.name, c.default_language, c.languages, c.emergency_number, c.phone, c.email, c.website)::text)`,
];
