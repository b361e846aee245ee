// Inbound media stored as encrypted chunks (src/whatsapp/media-store.ts) instead of one bytea value, so that a
// 100 MB document never sits whole in memory. Rows stored before this keep their `content` and stay readable.
export const mediaChunks: readonly string[] = [
  `create table media_chunks (
    media_row_id uuid not null references media (id) on delete cascade,
    attempt integer not null,
    seq integer not null,
    content bytea not null,
    primary key (media_row_id, attempt, seq)
  )`,
  `alter table media add column chunk_count integer`,
  `alter table media add column chunk_attempt integer`,
];
