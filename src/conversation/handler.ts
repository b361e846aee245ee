// The contract between the conversation engine (ordering, persistence, outbox) and what decides the
// answer. The placeholder below answers any message with a welcome and a menu, and answers the clinic's
// FAQ from the staff-edited entries; the conversation engine issue replaces it with the real flows.
import type { Tx } from '../db/database.js';
import { changesEarlierMessage, type InboundMessage } from '../whatsapp/inbound-model.js';
import { list, replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';
import type { Patient } from '../patients/index.js';

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

const TOPIC_TITLES: Record<string, string> = {
  opening_hours: 'Opening hours',
  location: 'Address & directions',
  insurance: 'Insurance',
  payment: 'Payment',
  accessibility: 'Accessibility',
  what_to_bring: 'What to bring',
  cancellation_policy: 'Cancelling',
};

function menu(body: string): OutboundMessage {
  return replyButtons({ body, buttons: MENU.map((b) => ({ id: b.id, title: b.title })) });
}

async function faqAnswer(tx: Tx, intent: string): Promise<string | null> {
  const row = await tx.selectFrom('faq_entries').select('answer').where('intent', '=', intent).where('language', '=', 'en').orderBy('location_id').executeTakeFirst();
  return row?.answer ?? null;
}

async function faqTopics(tx: Tx): Promise<OutboundMessage | null> {
  const rows = await tx.selectFrom('faq_entries').select(['intent', 'question']).where('language', '=', 'en').where('location_id', 'is', null).orderBy('intent').limit(10).execute();
  if (rows.length === 0) return null;
  return list({
    body: 'What would you like to know? Or just type your question and our team will answer you here.',
    button: 'Topics',
    sections: [{ rows: rows.map((r) => ({ id: `faq:${r.intent}`, title: TOPIC_TITLES[r.intent] ?? r.intent.replace(/_/g, ' ').slice(0, 24), description: r.question.slice(0, 72) })) }],
  });
}

const BOOKING_SOON = 'Booking in chat is coming soon. Until then, our reception team will call you back to find a time that suits you.';
const WELCOME = 'Hello! Welcome to the clinic. How can we help you today?';
const NO_FAQ = 'Type your question and our team will answer you here as soon as possible.';

/** Answers any message with a welcome and the main menu; menu taps and FAQ topics get their answers. */
export const placeholderHandler: ConversationHandler = async (tx, { message }) => {
  // Nothing to answer: a reaction, a number change, an edit or deletion of an earlier message, or the answer
  // to a call permission request (the calling flow reads it; a menu in reply would be noise).
  if (message.type === 'reaction' || message.type === 'system' || changesEarlierMessage(message)) return [];
  if (message.type === 'interactive' && message.reply.kind === 'call_permission_reply') return [];
  if (message.type === 'interactive' && (message.reply.kind === 'button_reply' || message.reply.kind === 'list_reply')) {
    const id = message.reply.id;
    if (id === 'menu:book') return [menu(BOOKING_SOON)];
    if (id === 'menu:hours') return [text((await faqAnswer(tx, 'opening_hours')) ?? 'Please call us for our opening hours.'), menu('Anything else?')];
    if (id === 'menu:question') return [(await faqTopics(tx)) ?? menu(NO_FAQ)];
    if (id.startsWith('faq:')) {
      const answer = await faqAnswer(tx, id.slice(4));
      if (answer) return [text(answer), menu('Anything else?')];
    }
  }
  // The patient opened the chat for the first time (Meta's request_welcome): greet, do not apologise.
  if (message.type === 'unknown' && message.rawType === 'request_welcome') return [menu(WELCOME)];
  if (message.type === 'unknown') {
    return [text('Sorry, this kind of message is not supported here. Please send text, a photo or a document.')];
  }
  return [menu(WELCOME)];
};
