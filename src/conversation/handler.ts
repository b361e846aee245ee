// The contract between the conversation engine (ordering, persistence, outbox) and what decides the
// answer. The placeholder below answers any message with a welcome and a menu; the conversation engine
// issue replaces it with the real flows.
import type { Tx } from '../db/database.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import { inboundText } from '../whatsapp/inbound-model.js';
import { replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';
import type { Patient } from './patients.js';

export interface HandlerInput {
  message: InboundMessage;
  patient: Patient;
  isNewPatient: boolean;
  now: Date;
}

export type ConversationHandler = (tx: Tx, input: HandlerInput) => Promise<OutboundMessage[]>;

export const MENU = [
  { id: 'menu:book', title: 'Book appointment' },
  { id: 'menu:hours', title: 'Opening hours' },
  { id: 'menu:question', title: 'Ask a question' },
] as const;

function menu(body: string): OutboundMessage {
  return replyButtons({ body, footer: 'PatientLine', buttons: MENU.map((b) => ({ id: b.id, title: b.title })) });
}

const ANSWERS: Record<string, string> = {
  'menu:book': 'Booking in chat is coming soon. Until then, our reception team will call you back to find a time that suits you.',
  'menu:hours': 'We are open Monday to Friday, 8:00 to 18:00, and Saturday 9:00 to 12:00. In an emergency, call 112.',
  'menu:question': 'Type your question and our team will answer you here as soon as possible.',
};

/** Answers any message with a welcome and the main menu; menu taps get a short answer. */
export const placeholderHandler: ConversationHandler = async (_tx, { message }) => {
  if (message.type === 'reaction' || message.type === 'system') return [];
  if (message.type === 'interactive' && (message.reply.kind === 'button_reply' || message.reply.kind === 'list_reply')) {
    const answer = ANSWERS[message.reply.id];
    if (answer) return [menu(answer)];
  }
  if (message.type === 'unknown') {
    return [text('Sorry, this kind of message is not supported here. Please send text, a photo or a document.')];
  }
  const said = inboundText(message);
  void said;
  return [menu('Hello! Welcome to the clinic. How can we help you today?')];
};
