// A fixed answer in place of the conversation engine, for tests about transport and ordering (which message
// is processed when, by which instance) rather than conversation: the inbound worker still records STOP and
// START first, then asks the handler for the replies, inside the message's transaction.
import type { Tx } from '../db/database.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import type { OutboundMessage } from '../whatsapp/outbound.js';
import type { Patient } from '../patients/index.js';

export interface HandlerInput {
  message: InboundMessage;
  patient: Patient;
  isNewPatient: boolean;
  now: Date;
}

export type ConversationHandler = (tx: Tx, input: HandlerInput) => Promise<OutboundMessage[]>;
