// The outbox row is rewritten three times per send: claimed (pending → sending), marked dispatched just before
// the request leaves, and settled (sent, in doubt, retried). The claim and the settle change `state`, which the
// partial indexes test, so each writes an entry into every index that holds the new version; the dispatch mark
// changes only `dispatched_at`, which no index reads, so it can be a heap-only tuple update (no index entry at
// all) if the row's page has room for the new version. Pages filled to 100 % never have it: at 70 % a page
// keeps room for the versions of its own sends, and pruning frees the dead ones as the sends go (issue 15).
// Pages already written keep their layout; new ones follow the setting.
export const outboxFillfactor: readonly string[] = [
  `alter table outbox set (fillfactor = 70)`,
];
