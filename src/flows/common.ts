// What several flows say the same way: the main menu, "anything else?", the clinic's name, and the notice of
// when staff will answer (open now, or closed until the next opening in the clinic's zone).
import type { FlowContext, StepResult } from '../conversation/flow.js';
import type { InboundMessage } from '../whatsapp/inbound-model.js';
import { list, replyButtons, text, type OutboundMessage } from '../whatsapp/outbound.js';

/** The clinic's name, or the catalogue's "your clinic" where none is configured. */
export function clinicName(ctx: FlowContext): string {
  return ctx.clinic.name.trim() === '' ? ctx.t('common.clinicFallback') : ctx.clinic.name;
}

/** The main menu as a list (five entries do not fit three reply buttons). */
export function mainMenu(ctx: FlowContext, body = ctx.t('menu.body')): OutboundMessage {
  const { t } = ctx;
  return list({
    body,
    button: t('menu.openButton'),
    sections: [{
      rows: [
        { id: 'menu:book', title: t('menu.bookRow'), description: t('menu.bookRowDescription') },
        { id: 'menu:faq', title: t('menu.faqRow'), description: t('menu.faqRowDescription') },
        { id: 'menu:symptoms', title: t('menu.symptomsRow'), description: t('menu.symptomsRowDescription') },
        { id: 'handoff:human', title: t('menu.staffRow'), description: t('menu.staffRowDescription') },
        { id: 'menu:language', title: t('menu.languageRow'), description: t('menu.languageRowDescription') },
      ],
    }],
  });
}

export function welcome(ctx: FlowContext): OutboundMessage {
  return mainMenu(ctx, ctx.t('common.welcomeBody', { clinic: clinicName(ctx) }));
}

/** "Anything else?" with the menu's most used entries as buttons. */
export function anythingElse(ctx: FlowContext): OutboundMessage {
  const { t } = ctx;
  return replyButtons({
    body: t('common.anythingElseBody'),
    buttons: [
      { id: 'menu:faq', title: t('menu.faqButton') },
      { id: 'menu:book', title: t('menu.bookButton') },
      { id: 'handoff:human', title: t('menu.staffButton') },
    ],
  });
}

/** When the patient can expect a human answer: now (open), or at the next opening (closed). */
export function availability(ctx: FlowContext, now: Date): string {
  if (ctx.clinic.isOpen(now)) return ctx.t('handoff.openNow', { count: 1 });
  const at = ctx.clinic.nextOpening(now);
  return at ? ctx.t('handoff.closedUntil', { at }) : ctx.t('handoff.closedUnknown');
}

/** A text and the notice of when staff answer, in one message. */
export function withAvailability(ctx: FlowContext, now: Date, body: string): OutboundMessage {
  return text(`${body}\n\n${availability(ctx, now)}`);
}

export const done = (outbound: OutboundMessage[], effects: StepResult['effects'] = []): StepResult<never> => ({ state: null, outbound, effects });

/** The id of a tapped reply button or list row (or a template quick reply's payload), or null. */
export function tappedId(message: InboundMessage): string | null {
  if (message.type === 'interactive' && (message.reply.kind === 'button_reply' || message.reply.kind === 'list_reply')) return message.reply.id;
  if (message.type === 'button') return message.payload;
  return null;
}
