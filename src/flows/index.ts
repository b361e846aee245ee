// The flows the router knows, by the prefix of their button ids, and the emergency reply the engine sends
// first on every red flag.
import type { FlowRegistry } from '../conversation/router.js';
import { bookingFlow } from './booking/index.js';
import { careplansFlow } from './careplans/index.js';
import { consentFlow } from './consent.js';
import { faqFlow } from './faq.js';
import { handoffFlow } from './handoff.js';
import { languageFlow } from './language.js';
import { triageFlow } from './triage/index.js';

export { emergencyReply } from './emergency.js';

export { translator, formatWhen, CATALOGUES, catalogueKeys } from './i18n.js';

export const FLOWS: FlowRegistry = {
  [bookingFlow.name]: bookingFlow,
  [careplansFlow.name]: careplansFlow,
  [consentFlow.name]: consentFlow,
  [faqFlow.name]: faqFlow,
  [handoffFlow.name]: handoffFlow,
  [languageFlow.name]: languageFlow,
  [triageFlow.name]: triageFlow,
};

