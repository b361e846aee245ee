// Inbound messages are ordered per person, not per sender key: the claim (src/conversation/inbound-worker.ts)
// looks for an earlier pending message with the same BSUID or the same phone, so both get a partial index of
// pending rows. The per-sender-key index has no reader left and only cost every insert.
export const inboundOrder: readonly string[] = [
  `create index inbound_messages_pending_bsuid on inbound_messages (bsuid, id) where state = 'pending' and bsuid is not null`,
  `create index inbound_messages_pending_wa_id on inbound_messages (wa_id, id) where state = 'pending' and wa_id is not null`,
  `drop index inbound_messages_pending_sender`,
];
