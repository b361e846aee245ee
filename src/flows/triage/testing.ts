// What the flow tests of this folder and src/flows/emergency.test.ts need without I/O: a translator over the
// message catalogues (i18next, as the engine uses them) and a ClinicView of the demo clinic.
import i18next from 'i18next';
import type { ClinicView, FaqLookup, FlowContext, StepInput, Translate } from '../../conversation/flow.js';
import { LANGUAGES, type Language, type NluResult } from '../../nlu/types.js';
import de from '../messages/de.json' with { type: 'json' };
import en from '../messages/en.json' with { type: 'json' };
import es from '../messages/es.json' with { type: 'json' };
import fr from '../messages/fr.json' with { type: 'json' };
import it from '../messages/it.json' with { type: 'json' };
import pt from '../messages/pt.json' with { type: 'json' };

export const CATALOGUES: Record<Language, Record<string, Record<string, string>>> = { en, fr, it, es, pt, de };

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LANGUAGES.map((l) => [l, { translation: CATALOGUES[l] }])),
  lng: 'en',
  fallbackLng: false,
  initAsync: false,
  interpolation: { escapeValue: false },
  // A missing key must show, not fall back silently: the tests look for it.
  returnNull: false,
});

export function translator(language: Language): Translate {
  const t = i18n.getFixedT(language);
  return (key, vars) => String(t(key, vars ?? {}));
}

export function demoClinic(overrides: Partial<ClinicView> = {}): ClinicView {
  return {
    name: 'Centre Médical Saint-Martin',
    emergencyNumber: '112',
    crisisLine: null,
    timeZone: 'Europe/Paris',
    languages: LANGUAGES,
    defaultLanguage: 'fr',
    phone: '+33 1 23 45 67 89',
    isOpen: () => true,
    nextOpening: () => null,
    ...overrides,
  };
}

const noFaq: FaqLookup = {
  answer: async () => null,
  match: async () => null,
  topics: async () => [],
};

export function flowContext(language: Language, clinic: ClinicView = demoClinic()): FlowContext {
  return {
    clinic,
    patient: { id: 'patient-1', language, optedOut: false },
    language,
    t: translator(language),
    tIn: translator,
    faq: noFaq,
    handoff: null,
    scheduling: null,
  };
}

const NOW = new Date('2026-03-10T09:00:00Z');
let seq = 0;
const common = () => ({
  id: `wamid.test${++seq}`,
  from: '33612345678',
  userId: null,
  parentUserId: null,
  groupId: null,
  timestamp: NOW,
  context: null,
  referral: null,
  errors: [],
});

/** A text message, with an NLU result when the test gives one. */
export function textInput(text: string, nlu: Partial<NluResult> | null = null): StepInput {
  const full: NluResult | null =
    nlu === null
      ? null
      : { language: 'en', languageConfidence: 1, intent: 'symptoms', confidence: 0.9, alternatives: [], emergency: false, redFlags: [], entities: {}, ...nlu };
  return { message: { ...common(), type: 'text', text }, text, nlu: full, now: NOW, isNewPatient: false };
}

/** A tap on a reply button or a list row. */
export function tapInput(id: string, title = id, kind: 'button_reply' | 'list_reply' = 'button_reply'): StepInput {
  return { message: { ...common(), type: 'interactive', reply: { kind, id, title, description: null } }, text: title, nlu: null, now: NOW, isNewPatient: false };
}
