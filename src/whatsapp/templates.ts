// Our message templates, defined in code per language (issue 15): their Meta category, body with positional
// variables ({{1}}…, each with an example for Meta's review), and quick-reply buttons whose payloads are set
// at send time (`confirm:<appointment id>`: the tap comes back as an inbound `button` message). They are
// created on the WhatsApp Business Account through POST /{waba-id}/message_templates and their review status
// is kept in `message_templates` (src/whatsapp/template-sync.ts). Only an APPROVED template is sent; each
// language is a template of its own on Meta's side. A text change needs a new name (Meta does not let an
// approved template's body change without a new review): bump the `_vN` suffix.
import type { Language } from '../nlu/types.js';
import { template, type TemplateMessage } from './outbound.js';

export const TEMPLATE_CATEGORIES = ['UTILITY', 'MARKETING', 'AUTHENTICATION'] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];
/** Meta's review states, and ours for a template not yet created. */
export const TEMPLATE_STATUSES = ['NOT_CREATED', 'PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION', 'DELETED', 'LIMIT_EXCEEDED'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** The language code Meta files each of our languages under. */
export const META_LANGUAGE: Record<Language, string> = { en: 'en', fr: 'fr', it: 'it', es: 'es', pt: 'pt_PT', de: 'de' };

export interface TemplateDefinition {
  /** The name on the WABA: lowercase letters, digits, underscores; versioned (`_v1`). */
  name: string;
  category: TemplateCategory;
  /** What {{1}}, {{2}}… carry, in order, with an example value per language for the review. */
  variables: readonly { key: string; example: Readonly<Record<Language, string>> }[];
  body: Readonly<Record<Language, string>>;
  /** Quick replies, in order: `action` is the payload's prefix (`confirm` → `confirm:<id>`). At most 3 here. */
  buttons: readonly { action: string; text: Readonly<Record<Language, string>> }[];
}

const REMINDER_EXAMPLE = {
  clinic: { en: 'Saint-Martin Medical Centre', fr: 'Centre Médical Saint-Martin', it: 'Centro Medico Saint-Martin', es: 'Centro Médico Saint-Martin', pt: 'Centro Médico Saint-Martin', de: 'Medizinisches Zentrum Saint-Martin' },
  service: { en: 'General consultation', fr: 'Consultation de médecine générale', it: 'Visita di medicina generale', es: 'Consulta de medicina general', pt: 'Consulta de medicina geral', de: 'Allgemeinmedizinische Sprechstunde' },
  when: { en: 'Thursday 4 December at 10:20', fr: 'jeudi 4 décembre à 10:20', it: 'giovedì 4 dicembre alle 10:20', es: 'jueves, 4 de diciembre, 10:20', pt: 'quinta-feira, 4 de dezembro às 10:20', de: 'Donnerstag, 4. Dezember um 10:20' },
  practitioner: { en: 'Dr Camille Laurent', fr: 'Dr Camille Laurent', it: 'Dr Camille Laurent', es: 'Dr Camille Laurent', pt: 'Dr Camille Laurent', de: 'Dr Camille Laurent' },
  place: { en: '42 rue du Faubourg Saint-Martin, 75010 Paris', fr: '42 rue du Faubourg Saint-Martin, 75010 Paris', it: '42 rue du Faubourg Saint-Martin, 75010 Paris', es: '42 rue du Faubourg Saint-Martin, 75010 Paris', pt: '42 rue du Faubourg Saint-Martin, 75010 Paris', de: '42 rue du Faubourg Saint-Martin, 75010 Paris' },
} as const;

export const TEMPLATES = {
  appointmentReminder: {
    name: 'pl_appointment_reminder_v1',
    category: 'UTILITY',
    variables: (['clinic', 'service', 'when', 'practitioner', 'place'] as const).map((key) => ({ key, example: REMINDER_EXAMPLE[key] })),
    body: {
      en: 'Reminder from {{1}}: you have an appointment for {{2}} on {{3}} with {{4}} ({{5}}). Please confirm it, or reschedule or cancel it with the buttons below.',
      fr: 'Rappel de {{1}} : vous avez rendez-vous pour {{2}} le {{3}} avec {{4}} ({{5}}). Merci de le confirmer, ou de le déplacer ou l\'annuler avec les boutons ci-dessous.',
      it: 'Promemoria da {{1}}: ha un appuntamento per {{2}} {{3}} con {{4}} ({{5}}). La preghiamo di confermarlo, oppure di spostarlo o annullarlo con i pulsanti qui sotto.',
      es: 'Recordatorio de {{1}}: tiene una cita de {{2}} el {{3}} con {{4}} ({{5}}). Por favor, confírmela, o cámbiela o anúlela con los botones de abajo.',
      pt: 'Lembrete de {{1}}: tem uma consulta de {{2}} {{3}} com {{4}} ({{5}}). Por favor, confirme-a, ou altere-a ou desmarque-a com os botões abaixo.',
      de: 'Erinnerung von {{1}}: Sie haben einen Termin für {{2}} am {{3}} bei {{4}} ({{5}}). Bitte bestätigen Sie ihn oder verschieben bzw. sagen Sie ihn mit den Schaltflächen unten ab.',
    },
    buttons: [
      { action: 'confirm', text: { en: 'Confirm', fr: 'Confirmer', it: 'Confermare', es: 'Confirmar', pt: 'Confirmar', de: 'Bestätigen' } },
      { action: 'reschedule', text: { en: 'Reschedule', fr: 'Déplacer', it: 'Spostare', es: 'Cambiar la cita', pt: 'Alterar', de: 'Verschieben' } },
      { action: 'cancel', text: { en: 'Cancel', fr: 'Annuler', it: 'Annullare', es: 'Anular', pt: 'Desmarcar', de: 'Absagen' } },
    ],
  },
} as const satisfies Record<string, TemplateDefinition>;

export type TemplateKey = keyof typeof TEMPLATES;

/** The body of POST /{waba-id}/message_templates for one definition in one language. */
export function creationRequest(def: TemplateDefinition, language: Language): Record<string, unknown> {
  return {
    name: def.name,
    language: META_LANGUAGE[language],
    category: def.category,
    components: [
      { type: 'BODY', text: def.body[language], example: { body_text: [def.variables.map((v) => v.example[language])] } },
      ...(def.buttons.length > 0 ? [{ type: 'BUTTONS', buttons: def.buttons.map((b) => ({ type: 'QUICK_REPLY', text: b.text[language] })) }] : []),
    ],
  };
}

/**
 * The template message for a send: the variables' values by key (no newline or tab, at most four spaces in a
 * row: Meta refuses them in parameters) and the id the buttons' payloads carry.
 */
export function templateMessage(def: TemplateDefinition, language: Language, values: Readonly<Record<string, string>>, subject: string): TemplateMessage {
  return template({
    name: def.name,
    language: META_LANGUAGE[language],
    body: def.variables.map((v) => parameterText(values[v.key] ?? '')),
    buttons: def.buttons.map((b, index) => ({ subType: 'quick_reply' as const, index, payload: `${b.action}:${subject}` })),
  });
}

/** A value as a template parameter: one line, no run of more than four spaces, never empty. */
export function parameterText(v: string): string {
  const s = v.replace(/[\r\n\t]+/g, ' ').replace(/ {5,}/g, '    ').trim();
  return s === '' ? '-' : s;
}
