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
export const TEMPLATE_STATUSES = ['NOT_CREATED', 'PENDING', 'APPROVED', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION', 'DELETED', 'LIMIT_EXCEEDED', 'ARCHIVED'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

/** The language code Meta files each of our languages under. */
export const META_LANGUAGE: Record<Language, string> = { en: 'en', fr: 'fr', it: 'it', es: 'es', pt: 'pt_PT', de: 'de' };

/** A button of a template: a quick reply whose payload is `action:<subject>`, or an authentication template's copy-code button. */
export interface TemplateButton {
  /** The payload's prefix (`confirm` → `confirm:<id>`); for a copy-code button, the variable it copies. */
  action: string;
  text: Readonly<Record<Language, string>>;
  /** quick_reply unless said. */
  kind?: 'quick_reply' | 'copy_code';
}

export interface TemplateDefinition {
  /** The name on the WABA: lowercase letters, digits, underscores; versioned (`_v1`). */
  name: string;
  category: TemplateCategory;
  /** What {{1}}, {{2}}… carry, in order, with an example value per language for the review. */
  variables: readonly { key: string; example: Readonly<Record<Language, string>> }[];
  /**
   * The text the patient reads. For an AUTHENTICATION template it is Meta's preset (not submitted: Meta builds
   * it from `authentication`), kept here for the console and the tests.
   */
  body: Readonly<Record<Language, string>>;
  /** Quick replies, in order: `action` is the payload's prefix (`confirm` → `confirm:<id>`). At most 3 here. */
  buttons: readonly TemplateButton[];
  /** Meta's fixed one-time-code format (AUTHENTICATION only): the security sentence and the expiry footer. */
  authentication?: { addSecurityRecommendation: boolean; codeExpirationMinutes: number };
}

const REMINDER_EXAMPLE = {
  clinic: { en: 'Saint-Martin Medical Centre', fr: 'Centre Médical Saint-Martin', it: 'Centro Medico Saint-Martin', es: 'Centro Médico Saint-Martin', pt: 'Centro Médico Saint-Martin', de: 'Medizinisches Zentrum Saint-Martin' },
  service: { en: 'General consultation', fr: 'Consultation de médecine générale', it: 'Visita di medicina generale', es: 'Consulta de medicina general', pt: 'Consulta de medicina geral', de: 'Allgemeinmedizinische Sprechstunde' },
  when: { en: 'Thursday 4 December at 10:20', fr: 'jeudi 4 décembre à 10:20', it: 'giovedì 4 dicembre alle 10:20', es: 'jueves, 4 de diciembre, 10:20', pt: 'quinta-feira, 4 de dezembro às 10:20', de: 'Donnerstag, 4. Dezember um 10:20' },
  practitioner: { en: 'Dr Camille Laurent', fr: 'Dr Camille Laurent', it: 'Dr Camille Laurent', es: 'Dr Camille Laurent', pt: 'Dr Camille Laurent', de: 'Dr Camille Laurent' },
  place: { en: '42 rue du Faubourg Saint-Martin, 75010 Paris', fr: '42 rue du Faubourg Saint-Martin, 75010 Paris', it: '42 rue du Faubourg Saint-Martin, 75010 Paris', es: '42 rue du Faubourg Saint-Martin, 75010 Paris', pt: '42 rue du Faubourg Saint-Martin, 75010 Paris', de: '42 rue du Faubourg Saint-Martin, 75010 Paris' },
} as const;

const same = (v: string): Record<Language, string> => ({ en: v, fr: v, it: v, es: v, pt: v, de: v });
const EXAMPLE = {
  ...REMINDER_EXAMPLE,
  code: same('123456'),
  medicine: { en: 'Metformin', fr: 'Metformine', it: 'Metformina', es: 'Metformina', pt: 'Metformina', de: 'Metformin' },
  dose: { en: '1 tablet (500 mg)', fr: '1 comprimé (500 mg)', it: '1 compressa (500 mg)', es: '1 comprimido (500 mg)', pt: '1 comprimido (500 mg)', de: '1 Tablette (500 mg)' },
  time: same('08:00'),
  measure: { en: 'blood glucose', fr: 'glycémie', it: 'glicemia', es: 'glucosa en sangre', pt: 'glicemia', de: 'Blutzucker' },
} as const;
type ExampleKey = keyof typeof EXAMPLE;
const vars = (...keys: readonly ExampleKey[]) => keys.map((key) => ({ key, example: EXAMPLE[key] }));

export const TEMPLATES = {
  appointmentReminder: {
    name: 'pl_appointment_reminder_v1',
    category: 'UTILITY',
    variables: vars('clinic', 'service', 'when', 'practitioner', 'place'),
    body: {
      en: 'Reminder from {{1}}: you have an appointment for {{2}} on {{3}} with {{4}} ({{5}}). Please confirm it, or reschedule or cancel it with the buttons below.',
      fr: 'Rappel de {{1}} : vous avez rendez-vous pour {{2}} le {{3}} avec {{4}} ({{5}}). Merci de le confirmer, ou de le déplacer ou l\'annuler avec les boutons ci-dessous.',
      it: 'Promemoria da {{1}}: ha un appuntamento per {{2}}, {{3}}, con {{4}} ({{5}}). La preghiamo di confermarlo, oppure di spostarlo o annullarlo con i pulsanti qui sotto.',
      es: 'Recordatorio de {{1}}: tiene una cita de {{2}} el {{3}} con {{4}} ({{5}}). Por favor, confírmela, o cámbiela o anúlela con los botones de abajo.',
      pt: 'Lembrete de {{1}}: tem uma consulta de {{2}}, {{3}}, com {{4}} ({{5}}). Por favor, confirme-a, ou altere-a ou desmarque-a com os botões abaixo.',
      de: 'Erinnerung von {{1}}: Sie haben einen Termin für {{2}} am {{3}} bei {{4}} ({{5}}). Bitte bestätigen Sie ihn oder verschieben bzw. sagen Sie ihn mit den Schaltflächen unten ab.',
    },
    buttons: [
      { action: 'confirm', text: { en: 'Confirm', fr: 'Confirmer', it: 'Confermare', es: 'Confirmar', pt: 'Confirmar', de: 'Bestätigen' } },
      { action: 'reschedule', text: { en: 'Reschedule', fr: 'Déplacer', it: 'Spostare', es: 'Cambiar la cita', pt: 'Alterar', de: 'Verschieben' } },
      { action: 'cancel', text: { en: 'Cancel', fr: 'Annuler', it: 'Annullare', es: 'Anular', pt: 'Desmarcar', de: 'Absagen' } },
    ],
  },
  appointmentConfirmation: {
    name: 'pl_appointment_confirmation_v1',
    category: 'UTILITY',
    variables: vars('clinic', 'service', 'when', 'practitioner', 'place'),
    body: {
      en: 'Your appointment at {{1}} is booked: {{2}} on {{3}} with {{4}} ({{5}}). If you need to, you can reschedule or cancel it with the buttons below.',
      fr: 'Votre rendez-vous chez {{1}} est réservé : {{2}} le {{3}} avec {{4}} ({{5}}). Si besoin, vous pouvez le déplacer ou l\'annuler avec les boutons ci-dessous.',
      it: 'Il suo appuntamento presso {{1}} è prenotato: {{2}}, {{3}}, con {{4}} ({{5}}). Se necessario, può spostarlo o annullarlo con i pulsanti qui sotto.',
      es: 'Su cita en {{1}} está reservada: {{2}} el {{3}} con {{4}} ({{5}}). Si lo necesita, puede cambiarla o anularla con los botones de abajo.',
      pt: 'A sua consulta em {{1}} está marcada: {{2}}, {{3}}, com {{4}} ({{5}}). Se precisar, pode alterá-la ou desmarcá-la com os botões abaixo.',
      de: 'Ihr Termin bei {{1}} ist gebucht: {{2}} am {{3}} bei {{4}} ({{5}}). Bei Bedarf können Sie ihn mit den Schaltflächen unten verschieben oder absagen.',
    },
    buttons: [
      { action: 'reschedule', text: { en: 'Reschedule', fr: 'Déplacer', it: 'Spostare', es: 'Cambiar la cita', pt: 'Alterar', de: 'Verschieben' } },
      { action: 'cancel', text: { en: 'Cancel', fr: 'Annuler', it: 'Annullare', es: 'Anular', pt: 'Desmarcar', de: 'Absagen' } },
    ],
  },
  rescheduleOffer: {
    name: 'pl_reschedule_offer_v1',
    category: 'UTILITY',
    variables: vars('clinic', 'service', 'when', 'practitioner'),
    body: {
      en: 'Good news from {{1}}: an earlier time is free for your appointment ({{2}}): {{3}} with {{4}}. Would you like to move your appointment to this time?',
      fr: 'Bonne nouvelle de {{1}} : un créneau plus proche s\'est libéré pour votre rendez-vous ({{2}}) : le {{3}} avec {{4}}. Souhaitez-vous déplacer votre rendez-vous à ce créneau ?',
      it: 'Buone notizie da {{1}}: si è liberato un orario più vicino per il suo appuntamento ({{2}}): {{3}} con {{4}}. Desidera spostare l\'appuntamento a questo orario?',
      es: 'Buenas noticias de {{1}}: se ha liberado una hora más próxima para su cita ({{2}}): el {{3}} con {{4}}. ¿Desea cambiar su cita a esta hora?',
      pt: 'Boas notícias de {{1}}: vagou um horário mais próximo para a sua consulta ({{2}}): {{3}} com {{4}}. Deseja mudar a sua consulta para este horário?',
      de: 'Gute Nachricht von {{1}}: Für Ihren Termin ({{2}}) ist ein früherer Zeitpunkt frei geworden: {{3}} bei {{4}}. Möchten Sie Ihren Termin auf diesen Zeitpunkt verschieben?',
    },
    buttons: [
      { action: 'yes', text: { en: 'Yes', fr: 'Oui', it: 'Sì', es: 'Sí', pt: 'Sim', de: 'Ja' } },
      { action: 'no', text: { en: 'No', fr: 'Non', it: 'No', es: 'No', pt: 'Não', de: 'Nein' } },
    ],
  },
  resultsReady: {
    name: 'pl_results_ready_v1',
    category: 'UTILITY',
    variables: vars('clinic'),
    body: {
      en: 'Your results from {{1}} are ready. Tap the button below to find out how to view them.',
      fr: 'Vos résultats de {{1}} sont disponibles. Touchez le bouton ci-dessous pour savoir comment les consulter.',
      it: 'I suoi risultati di {{1}} sono pronti. Tocchi il pulsante qui sotto per sapere come consultarli.',
      es: 'Sus resultados de {{1}} ya están disponibles. Pulse el botón de abajo para saber cómo consultarlos.',
      pt: 'Os seus resultados de {{1}} já estão disponíveis. Toque no botão abaixo para saber como consultá-los.',
      de: 'Ihre Ergebnisse von {{1}} liegen vor. Tippen Sie auf die Schaltfläche unten, um zu erfahren, wie Sie sie einsehen können.',
    },
    buttons: [
      { action: 'results', text: { en: 'View results', fr: 'Voir les résultats', it: 'Vedi i risultati', es: 'Ver resultados', pt: 'Ver resultados', de: 'Ergebnisse ansehen' } },
    ],
  },
  // Meta's fixed authentication format: the body is Meta's preset ("<code> is your verification code.") with
  // the security sentence, the footer its expiry line, the button copies the code. The name is the one
  // src/compliance/verification.ts sends (and the sandbox has approved from the start).
  oneTimeCode: {
    name: 'patientline_one_time_code',
    category: 'AUTHENTICATION',
    variables: vars('code'),
    body: {
      en: '*{{1}}* is your verification code. For your security, do not share this code.',
      fr: '*{{1}}* est votre code de vérification. Pour votre sécurité, ne le partagez pas.',
      it: '*{{1}}* è il tuo codice di verifica. Per la tua sicurezza, non condividerlo.',
      es: '*{{1}}* es tu código de verificación. Por tu seguridad, no lo compartas.',
      pt: '*{{1}}* é o seu código de verificação. Para sua segurança, não o partilhe.',
      de: '*{{1}}* ist dein Bestätigungscode. Teile diesen Code aus Sicherheitsgründen nicht.',
    },
    buttons: [
      { action: 'code', kind: 'copy_code', text: { en: 'Copy code', fr: 'Copier le code', it: 'Copia codice', es: 'Copiar código', pt: 'Copiar código', de: 'Code kopieren' } },
    ],
    authentication: { addSecurityRecommendation: true, codeExpirationMinutes: 10 },
  },
  medicationReminder: {
    name: 'pl_medication_reminder_v1',
    category: 'UTILITY',
    variables: vars('medicine', 'dose', 'time'),
    body: {
      en: 'Medication reminder: it is time to take {{1}}, {{2}}, planned for {{3}}. Tap Taken once done, or Snooze 30 min to be reminded later.',
      fr: 'Rappel de traitement : c\'est l\'heure de prendre {{1}}, {{2}}, prévu à {{3}}. Touchez Pris une fois fait, ou Rappel dans 30 min pour un rappel plus tard.',
      it: 'Promemoria terapia: è ora di prendere {{1}}, {{2}}, previsto alle {{3}}. Tocchi Preso quando fatto, oppure Rinvia di 30 min per un nuovo promemoria.',
      es: 'Recordatorio de medicación: es hora de tomar {{1}}, {{2}}, previsto a las {{3}}. Pulse Tomado cuando lo haya hecho, o Aplazar 30 min para recordárselo más tarde.',
      pt: 'Lembrete de medicação: está na hora de tomar {{1}}, {{2}}, previsto para as {{3}}. Toque em Tomado quando o fizer, ou Adiar 30 min para ser lembrado mais tarde.',
      de: 'Erinnerung an Ihre Medikamente: Es ist Zeit für {{1}}, {{2}}, geplant um {{3}} Uhr. Tippen Sie auf Genommen, sobald erledigt, oder auf 30 Min. später für eine spätere Erinnerung.',
    },
    buttons: [
      { action: 'taken', text: { en: 'Taken', fr: 'Pris', it: 'Preso', es: 'Tomado', pt: 'Tomado', de: 'Genommen' } },
      { action: 'snooze', text: { en: 'Snooze 30 min', fr: 'Rappel dans 30 min', it: 'Rinvia di 30 min', es: 'Aplazar 30 min', pt: 'Adiar 30 min', de: '30 Min. später' } },
    ],
  },
  followUp: {
    name: 'pl_follow_up_v1',
    category: 'UTILITY',
    variables: vars('clinic', 'service'),
    body: {
      en: 'Hello from {{1}}: it is time to book your follow-up appointment for {{2}}. Tap Book to choose a time that suits you.',
      fr: 'Bonjour de la part de {{1}} : il est temps de prendre votre rendez-vous de suivi pour {{2}}. Touchez Réserver pour choisir un créneau qui vous convient.',
      it: 'Un saluto da {{1}}: è il momento di prenotare la sua visita di controllo per {{2}}. Tocchi Prenota per scegliere l\'orario che preferisce.',
      es: 'Un saludo de {{1}}: es el momento de pedir su cita de seguimiento para {{2}}. Pulse Reservar para elegir la hora que mejor le venga.',
      pt: 'Mensagem de {{1}}: está na hora de marcar a sua consulta de seguimento para {{2}}. Toque em Marcar para escolher o horário que lhe convém.',
      de: 'Hallo von {{1}}: Es ist Zeit, Ihren Kontrolltermin für {{2}} zu vereinbaren. Tippen Sie auf Buchen, um einen passenden Termin zu wählen.',
    },
    buttons: [
      { action: 'book', text: { en: 'Book', fr: 'Réserver', it: 'Prenota', es: 'Reservar', pt: 'Marcar', de: 'Buchen' } },
    ],
  },
  vitalsPrompt: {
    name: 'pl_vitals_prompt_v1',
    category: 'UTILITY',
    variables: vars('clinic', 'measure'),
    body: {
      en: 'Message from {{1}}: please measure your {{2}} and reply to this message with the value and its unit. Thank you.',
      fr: 'Message de {{1}} : veuillez mesurer votre {{2}} et répondre à ce message avec la valeur et son unité. Merci.',
      it: 'Messaggio da {{1}}: misuri il suo valore di {{2}} e risponda a questo messaggio con il valore e l\'unità di misura. Grazie.',
      es: 'Mensaje de {{1}}: mida su {{2}} y responda a este mensaje con el valor y su unidad. Gracias.',
      pt: 'Mensagem de {{1}}: por favor, faça a medição de {{2}} e responda a esta mensagem com o valor e a unidade. Obrigado.',
      de: 'Nachricht von {{1}}: Bitte messen Sie jetzt: {{2}}. Antworten Sie auf diese Nachricht mit dem Wert und der Einheit. Danke.',
    },
    // No button: the patient's answer is the reading itself (src/flows/careplans).
    buttons: [],
  },
  survey: {
    name: 'pl_survey_v1',
    category: 'UTILITY',
    variables: vars('clinic'),
    body: {
      en: 'Thank you for your visit to {{1}}. How was your experience? Your answer helps us improve.',
      fr: 'Merci pour votre visite chez {{1}}. Comment s\'est-elle passée ? Votre réponse nous aide à nous améliorer.',
      it: 'Grazie per la sua visita presso {{1}}. Com\'è andata? La sua risposta ci aiuta a migliorare.',
      es: 'Gracias por su visita a {{1}}. ¿Qué tal fue su experiencia? Su respuesta nos ayuda a mejorar.',
      pt: 'Obrigado pela sua visita a {{1}}. Como correu? A sua resposta ajuda-nos a melhorar.',
      de: 'Danke für Ihren Besuch bei {{1}}. Wie war es für Sie? Ihre Antwort hilft uns, besser zu werden.',
    },
    buttons: [
      { action: 'survey_good', text: { en: 'Good', fr: 'Bien', it: 'Bene', es: 'Bien', pt: 'Bem', de: 'Gut' } },
      { action: 'survey_ok', text: { en: 'OK', fr: 'Moyen', it: 'Così così', es: 'Regular', pt: 'Razoável', de: 'Mittel' } },
      { action: 'survey_bad', text: { en: 'Bad', fr: 'Mal', it: 'Male', es: 'Mal', pt: 'Mal', de: 'Schlecht' } },
    ],
  },
} as const satisfies Record<string, TemplateDefinition>;

export type TemplateKey = keyof typeof TEMPLATES;

/** The body of POST /{waba-id}/message_templates for one definition in one language. */
export function creationRequest(def: TemplateDefinition, language: Language): Record<string, unknown> {
  const head = { name: def.name, language: META_LANGUAGE[language], category: def.category };
  if (def.authentication) {
    // Meta writes an authentication template's text itself: no body text, no examples, an OTP button.
    const auth = def.authentication;
    return {
      ...head,
      components: [
        { type: 'BODY', add_security_recommendation: auth.addSecurityRecommendation },
        { type: 'FOOTER', code_expiration_minutes: auth.codeExpirationMinutes },
        { type: 'BUTTONS', buttons: def.buttons.map((b) => ({ type: 'OTP', otp_type: 'COPY_CODE', text: b.text[language] })) },
      ],
    };
  }
  return {
    ...head,
    components: [
      { type: 'BODY', text: def.body[language], ...(def.variables.length > 0 ? { example: { body_text: [def.variables.map((v) => v.example[language])] } } : {}) },
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
    // A copy-code button is sent as a url button carrying the code (Meta's authentication format).
    buttons: def.buttons.map((b, index) => (b.kind === 'copy_code'
      ? { subType: 'url' as const, index, text: parameterText(values[b.action] ?? '') }
      : { subType: 'quick_reply' as const, index, payload: `${b.action}:${subject}` })),
  });
}

/** A value as a template parameter: one line, no run of more than four spaces, never empty. */
export function parameterText(v: string): string {
  const s = v.replace(/[\r\n\t]+/g, ' ').replace(/ {5,}/g, '    ').trim();
  return s === '' ? '-' : s;
}
