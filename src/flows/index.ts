// The flows the router knows, by the prefix of their button ids, and the emergency reply the engine sends
// first on every red flag.
import type { ClinicView, Translate } from '../conversation/flow.js';
import type { FlowRegistry } from '../conversation/router.js';
import type { RedFlag } from '../nlu/types.js';
import { text, type OutboundMessage } from '../whatsapp/outbound.js';
import { bookingFlow } from './booking.js';
import { consentFlow } from './consent.js';
import { faqFlow } from './faq.js';
import { handoffFlow } from './handoff.js';
import { languageFlow } from './language.js';

export { translator, formatWhen, CATALOGUES, catalogueKeys } from './i18n.js';

export const FLOWS: FlowRegistry = {
  [bookingFlow.name]: bookingFlow,
  [consentFlow.name]: consentFlow,
  [faqFlow.name]: faqFlow,
  [handoffFlow.name]: handoffFlow,
  [languageFlow.name]: languageFlow,
};

/** Until the safety branch's src/flows/emergency.ts is merged: the number first, in plain words. */
export function emergencyReply(flags: RedFlag[], clinic: ClinicView, _t: Translate): OutboundMessage[] {
  const crisis = clinic.crisisLine && flags.some((f) => f.kind === 'self_harm') ? ` / ${clinic.crisisLine}` : '';
  return [text(`${clinic.emergencyNumber}${crisis}`)];
}
