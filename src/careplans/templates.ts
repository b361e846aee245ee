// The care-plan message templates (issue 15), under the key names the templates branch gives them in
// src/whatsapp/templates.ts TEMPLATES (`medicationReminder`, `followUp`, `vitalsPrompt`): minimal definitions
// here until that branch is merged, when these should be replaced by TEMPLATES' own (the lead merges).
// Quick-reply payloads carry the action and the occurrence (`taken:<id>`, `snooze:<id>`) or the service's
// code (`book:<code>`): the router sends them to the care-plans and booking flows.
import type { TemplateDefinition } from '../whatsapp/templates.js';

const MEDICINE = { en: 'Metformin', fr: 'Metformine', it: 'Metformina', es: 'Metformina', pt: 'Metformina', de: 'Metformin' } as const;
const DOSE = { en: '500 mg', fr: '500 mg', it: '500 mg', es: '500 mg', pt: '500 mg', de: '500 mg' } as const;
const TIME = { en: '08:00', fr: '08:00', it: '08:00', es: '08:00', pt: '08:00', de: '08:00' } as const;
const CLINIC = { en: 'Saint-Martin Medical Centre', fr: 'Centre Médical Saint-Martin', it: 'Centro Medico Saint-Martin', es: 'Centro Médico Saint-Martin', pt: 'Centro Médico Saint-Martin', de: 'Medizinisches Zentrum Saint-Martin' } as const;
const SERVICE = { en: 'General consultation', fr: 'Consultation de médecine générale', it: 'Visita di medicina generale', es: 'Consulta de medicina general', pt: 'Consulta de medicina geral', de: 'Allgemeinmedizinische Sprechstunde' } as const;
const MEASURE = { en: 'blood glucose', fr: 'glycémie', it: 'glicemia', es: 'glucemia', pt: 'glicemia', de: 'Blutzucker' } as const;

export const CARE_TEMPLATES = {
  medicationReminder: {
    name: 'pl_medication_reminder_v1',
    category: 'UTILITY',
    variables: [{ key: 'medicine', example: MEDICINE }, { key: 'dose', example: DOSE }, { key: 'time', example: TIME }],
    body: {
      en: 'Time for {{1}} {{2}} ({{3}}). Tap Taken once you have taken it, or Snooze to be reminded in 30 minutes.',
      fr: 'C\'est l\'heure de {{1}} {{2}} ({{3}}). Appuyez sur Pris une fois pris, ou sur Plus tard pour un rappel dans 30 minutes.',
      it: 'È ora di {{1}} {{2}} ({{3}}). Tocchi Preso quando l\'ha preso, o Rimanda per un promemoria tra 30 minuti.',
      es: 'Es la hora de {{1}} {{2}} ({{3}}). Pulse Tomado cuando lo haya tomado, o Más tarde para un aviso en 30 minutos.',
      pt: 'É hora de {{1}} {{2}} ({{3}}). Toque em Tomado quando o tiver tomado, ou Mais tarde para ser lembrado em 30 minutos.',
      de: 'Zeit für {{1}} {{2}} ({{3}}). Tippen Sie auf Genommen, sobald Sie es genommen haben, oder auf Später für eine Erinnerung in 30 Minuten.',
    },
    buttons: [
      { action: 'taken', text: { en: 'Taken', fr: 'Pris', it: 'Preso', es: 'Tomado', pt: 'Tomado', de: 'Genommen' } },
      { action: 'snooze', text: { en: 'Snooze 30 min', fr: 'Plus tard (30 min)', it: 'Rimanda 30 min', es: 'Más tarde (30 min)', pt: 'Mais tarde (30 min)', de: 'Später (30 Min.)' } },
    ],
  },
  followUp: {
    name: 'pl_follow_up_v1',
    category: 'UTILITY',
    variables: [{ key: 'clinic', example: CLINIC }, { key: 'service', example: SERVICE }],
    body: {
      en: '{{1}}: it is time to book your check-up ({{2}}). Tap Book to choose a time.',
      fr: '{{1}} : il est temps de prendre rendez-vous pour votre contrôle ({{2}}). Appuyez sur Réserver pour choisir un horaire.',
      it: '{{1}}: è il momento di prenotare il suo controllo ({{2}}). Tocchi Prenota per scegliere un orario.',
      es: '{{1}}: es momento de reservar su revisión ({{2}}). Pulse Reservar para elegir una hora.',
      pt: '{{1}}: está na altura de marcar a sua consulta de controlo ({{2}}). Toque em Marcar para escolher um horário.',
      de: '{{1}}: Es ist Zeit, Ihre Kontrolluntersuchung zu buchen ({{2}}). Tippen Sie auf Buchen, um eine Zeit zu wählen.',
    },
    buttons: [{ action: 'book', text: { en: 'Book', fr: 'Réserver', it: 'Prenota', es: 'Reservar', pt: 'Marcar', de: 'Buchen' } }],
  },
  vitalsPrompt: {
    name: 'pl_vitals_prompt_v1',
    category: 'UTILITY',
    variables: [{ key: 'measure', example: MEASURE }],
    body: {
      en: 'Please send your {{1}} reading in reply to this message.',
      fr: 'Merci d\'envoyer votre mesure de {{1}} en réponse à ce message.',
      it: 'La preghiamo di inviare la sua misurazione di {{1}} in risposta a questo messaggio.',
      es: 'Por favor, envíe su medición de {{1}} en respuesta a este mensaje.',
      pt: 'Por favor, envie a sua medição de {{1}} em resposta a esta mensagem.',
      de: 'Bitte senden Sie Ihren {{1}}-Messwert als Antwort auf diese Nachricht.',
    },
    buttons: [],
  },
} as const satisfies Record<string, TemplateDefinition>;
