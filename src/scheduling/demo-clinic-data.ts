// The demo clinic of shared/ARCHITECTURE.md ("Demo clinic (SEED_DEMO)") as reference data: one location in
// Paris, four practitioners, four services, weekly hours and French public holidays. The FAQ answers live
// in demo-faq.ts and must stay consistent with the hours below (demo-clinic.test.ts checks the figures).
import { DEMO_FAQ } from './demo-faq.js';
import type { ClinicDefinitionInput, WeeklyRule } from './schemas.js';

export const DEMO_CLINIC_CODE = 'demo';
export const DEMO_LOCATION_CODE = 'saint-martin';
const here = DEMO_LOCATION_CODE;

const MON_FRI = [1, 2, 3, 4, 5];
const SAT = 6;

/** The same hours on several ISO weekdays (1 = Monday). */
function on(days: number | number[], start: string, end: string): WeeklyRule[] {
  return (Array.isArray(days) ? days : [days]).map((weekday) => ({ weekday, start, end }));
}

/** Easter Sunday (Gregorian calendar; anonymous algorithm, valid for every year we will ever seed). */
function easterSunday(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return new Date(Date.UTC(year, month - 1, day));
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The eleven French public holidays of a year, as whole local days. */
export function frenchPublicHolidays(year: number): { from: string; to: string; reason: string }[] {
  const easter = easterSunday(year).getTime();
  const day = 86_400_000;
  const fixed: [string, string][] = [
    ['01-01', "New Year's Day"],
    ['05-01', 'Labour Day'],
    ['05-08', 'Victory in Europe Day'],
    ['07-14', 'Bastille Day'],
    ['08-15', 'Assumption Day'],
    ['11-01', "All Saints' Day"],
    ['11-11', 'Armistice Day'],
    ['12-25', 'Christmas Day'],
  ];
  const moving: [number, string][] = [
    [1, 'Easter Monday'],
    [39, 'Ascension Day'],
    [50, 'Whit Monday'],
  ];
  return [
    ...fixed.map(([md, reason]) => ({ date: `${year}-${md}`, reason })),
    ...moving.map(([offset, reason]) => ({ date: isoDate(new Date(easter + offset * day)), reason })),
  ]
    .sort((x, y) => x.date.localeCompare(y.date))
    .map(({ date, reason }) => ({ from: date, to: date, reason: `Public holiday: ${reason}` }));
}

/** The calendar year in Paris at `now`. */
function parisYear(now: Date): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Paris', year: 'numeric' }).format(now));
}

/** The demo clinic, with the public holidays of the current and the next year as closures. */
export function demoClinic(now: Date): ClinicDefinitionInput {
  const year = parisYear(now);
  return {
    code: DEMO_CLINIC_CODE,
    name: 'PatientLine Demo Clinic',
    defaultLanguage: 'en',
    languages: ['en', 'fr', 'it', 'es', 'pt', 'de'],
    emergencyNumber: '112',
    // +33 1 99 00 xx xx is the block ARCEP reserves for fiction: it can never ring a real subscriber.
    phone: '+33199004242',
    email: 'contact@demo.patientline.local',
    website: null,
    // France's national suicide-prevention line (free, 24/7).
    crisisLine: '3114',
    locations: [
      {
        code: here,
        name: 'Centre Médical Saint-Martin',
        address: { line1: '42 rue du Faubourg Saint-Martin', line2: 'Ground floor (reception)', postalCode: '75010', city: 'Paris', country: 'FR' },
        timeZone: 'Europe/Paris',
        phone: '+33199004242',
        emergencyNumber: '112',
        languages: ['en', 'fr', 'it', 'es', 'pt', 'de'],
        accessibilityNotes: {
          en: 'Step-free entrance from the street with an automatic door, lift to the first floor, accessible toilet, hearing loop at reception. Assistance dogs welcome.',
          fr: "Entrée de plain-pied avec porte automatique, ascenseur jusqu'au 1er étage, toilettes accessibles, boucle magnétique à l'accueil. Chiens d'assistance bienvenus.",
          it: "Ingresso senza gradini con porta automatica, ascensore fino al primo piano, bagno accessibile, anello a induzione all'accoglienza. Cani guida e di assistenza benvenuti.",
          es: 'Entrada sin escalones con puerta automática, ascensor hasta la primera planta, aseo adaptado, bucle magnético en recepción. Se admiten perros de asistencia.',
          pt: 'Entrada sem degraus com porta automática, elevador até ao 1.º andar, casa de banho acessível, anel de indução na receção. Cães de assistência são bem-vindos.',
          de: 'Stufenloser Eingang mit automatischer Tür, Aufzug in den 1. Stock, barrierefreies WC, Induktionsschleife am Empfang. Assistenzhunde willkommen.',
        },
        latitude: 48.8713,
        longitude: 2.3566,
        hours: [...on(MON_FRI, '08:00', '12:30'), ...on(MON_FRI, '13:30', '18:00'), ...on(SAT, '09:00', '12:00')],
        closures: [...frenchPublicHolidays(year), ...frenchPublicHolidays(year + 1)],
      },
    ],
    practitioners: [
      {
        code: 'camille-laurent',
        displayName: 'Dr Camille Laurent',
        title: 'Dr',
        specialties: ['general-practice'],
        languages: ['fr', 'en', 'es'],
        at: [{
          location: here,
          services: ['general-consultation', 'follow-up', 'video-consultation'],
          sessions: [...on(MON_FRI, '08:00', '12:30'), ...on([1, 2, 4], '13:30', '18:00'), ...on(SAT, '09:00', '12:00')],
        }],
      },
      {
        code: 'marco-bianchi',
        displayName: 'Dr Marco Bianchi',
        title: 'Dr',
        specialties: ['general-practice'],
        languages: ['it', 'fr', 'en', 'de'],
        at: [{
          location: here,
          services: ['general-consultation', 'follow-up', 'video-consultation'],
          sessions: [...on(3, '08:00', '12:30'), ...on(MON_FRI, '13:30', '18:00')],
        }],
      },
      {
        code: 'ana-ferreira',
        displayName: 'Dr Ana Ferreira',
        title: 'Dr',
        specialties: ['dermatology'],
        languages: ['pt', 'es', 'fr', 'en'],
        at: [{
          location: here,
          services: ['dermatology', 'follow-up'],
          // Friday mornings are for follow-ups only: dermatology's own windows are Tuesday and Thursday.
          sessions: [...on([2, 4], '09:00', '12:30'), ...on([2, 4], '13:30', '17:00'), ...on(5, '09:00', '12:30')],
        }],
      },
      {
        code: 'julia-weber',
        displayName: 'Julia Weber',
        title: null,
        specialties: ['nursing'],
        languages: ['de', 'fr', 'en'],
        at: [{ location: here, services: ['blood-test'], sessions: [...on(MON_FRI, '08:00', '12:30'), ...on(SAT, '09:00', '12:00')] }],
      },
    ],
    services: [
      {
        code: 'general-consultation',
        name: {
          en: 'General consultation',
          fr: 'Consultation de médecine générale',
          it: 'Visita di medicina generale',
          es: 'Consulta de medicina general',
          pt: 'Consulta de medicina geral',
          de: 'Allgemeinmedizinische Sprechstunde',
        },
        keywords: [
          'general practitioner', 'gp', 'doctor', 'check-up', 'checkup', 'appointment with a doctor',
          'médecin', 'médecin généraliste', 'généraliste', 'docteur', 'medecine generale',
          'medico', 'medico di base', 'medico di famiglia', 'medicina generale', 'visita medica', 'dottore',
          'médico', 'médico de cabecera', 'médico de familia', 'medicina general', 'consulta médica',
          'médico de família', 'clínico geral', 'medicina geral', 'consulta medica',
          'hausarzt', 'hausärztin', 'allgemeinarzt', 'allgemeinmedizin', 'arzt', 'ärztin', 'arzttermin',
        ],
        durationMinutes: 20,
      },
      {
        code: 'blood-test',
        name: { en: 'Blood test', fr: 'Prise de sang', it: 'Prelievo di sangue', es: 'Extracción de sangre', pt: 'Colheita de sangue', de: 'Blutabnahme' },
        keywords: [
          'blood test', 'blood work', 'bloods', 'blood sample', 'lab test',
          'analyse de sang', 'analyses de sang', 'bilan sanguin', 'prélèvement', 'prise de sang', 'analyses',
          'analisi del sangue', 'analisi', 'esami del sangue', 'esame del sangue', 'prelievo',
          'análisis de sangre', 'analítica', 'análisis', 'extracción',
          'análise de sangue', 'análises ao sangue', 'análises', 'exame de sangue', 'exames de sangue', 'colheita',
          'bluttest', 'blutuntersuchung', 'blutentnahme', 'blutabnahme', 'blutbild', 'labor',
        ],
        instructions: {
          en: 'Bring the prescription from your doctor. If your tests require fasting, do not eat for 12 hours before; you may drink water.',
          fr: "Apportez l'ordonnance de votre médecin. Si vos analyses se font à jeun, ne mangez pas pendant les 12 heures qui précèdent ; vous pouvez boire de l'eau.",
          it: "Porti la prescrizione del suo medico. Se gli esami richiedono il digiuno, non mangi nelle 12 ore precedenti; può bere acqua.",
          es: 'Traiga la receta de su médico. Si sus análisis requieren ayuno, no coma nada en las 12 horas anteriores; puede beber agua.',
          pt: 'Traga a prescrição do seu médico. Se as análises exigirem jejum, não coma nas 12 horas anteriores; pode beber água.',
          de: 'Bringen Sie die Überweisung bzw. das Rezept Ihrer Ärztin oder Ihres Arztes mit. Wenn die Untersuchung nüchtern erfolgen muss, essen Sie 12 Stunden vorher nichts; Wasser ist erlaubt.',
        },
        durationMinutes: 10,
        // Labelling the tubes and logging the sample for the lab courier.
        bufferMinutes: 5,
        requiresReferral: true,
        // Samples leave with the lab courier at 11:00: blood is taken in the morning only.
        windows: [...on(MON_FRI, '08:00', '10:30'), ...on(SAT, '09:00', '11:00')].map((r) => ({ location: here, ...r })),
      },
      {
        code: 'dermatology',
        name: {
          en: 'Dermatology consultation',
          fr: 'Consultation de dermatologie',
          it: 'Visita dermatologica',
          es: 'Consulta de dermatología',
          pt: 'Consulta de dermatologia',
          de: 'Dermatologische Sprechstunde',
        },
        keywords: [
          'dermatologist', 'dermatology', 'skin', 'skin doctor', 'mole', 'rash', 'eczema', 'acne',
          'dermatologue', 'dermato', 'dermatologie', 'peau', 'grain de beauté',
          'dermatologo', 'dermatologa', 'dermatologia', 'pelle', 'neo',
          'dermatólogo', 'dermatóloga', 'dermatología', 'piel', 'lunar',
          'dermatologista', 'dermatologia', 'pele', 'sinal',
          'hautarzt', 'hautärztin', 'dermatologe', 'dermatologin', 'dermatologie', 'haut', 'muttermal',
        ],
        instructions: {
          en: 'Please come without make-up, nail polish or self-tanner on the areas to be examined, and bring any previous reports.',
          fr: 'Venez sans maquillage, vernis à ongles ni autobronzant sur les zones à examiner, et apportez vos comptes rendus précédents.',
          it: 'Si presenti senza trucco, smalto o autoabbronzante sulle zone da esaminare e porti eventuali referti precedenti.',
          es: 'Venga sin maquillaje, esmalte de uñas ni autobronceador en las zonas que se van a examinar, y traiga sus informes anteriores.',
          pt: 'Venha sem maquilhagem, verniz nas unhas ou autobronzeador nas zonas a examinar e traga relatórios anteriores.',
          de: 'Bitte kommen Sie ohne Make-up, Nagellack oder Selbstbräuner an den zu untersuchenden Stellen und bringen Sie frühere Befunde mit.',
        },
        durationMinutes: 30,
        // The dermatoscope room is equipped on Tuesdays and Thursdays only.
        windows: [...on([2, 4], '09:00', '12:30'), ...on([2, 4], '13:30', '17:00')].map((r) => ({ location: here, ...r })),
      },
      {
        code: 'follow-up',
        name: { en: 'Follow-up visit', fr: 'Consultation de suivi', it: 'Visita di controllo', es: 'Consulta de seguimiento', pt: 'Consulta de seguimento', de: 'Kontrolltermin' },
        keywords: [
          'follow-up', 'follow up', 'followup', 'check up on results', 'review', 'control visit',
          'suivi', 'contrôle', 'visite de contrôle', 'rendez-vous de suivi',
          'controllo', 'visita di controllo', 'ricontrollo',
          'seguimiento', 'revisión', 'control', 'consulta de control',
          'seguimento', 'consulta de seguimento', 'controlo', 'revisão',
          'kontrolle', 'nachkontrolle', 'kontrolltermin', 'nachsorge', 'verlaufskontrolle',
        ],
        instructions: {
          en: 'Bring your latest results and the list of medicines you take.',
          fr: 'Apportez vos derniers résultats et la liste des médicaments que vous prenez.',
          it: "Porti gli ultimi risultati e l'elenco dei farmaci che assume.",
          es: 'Traiga sus últimos resultados y la lista de los medicamentos que toma.',
          pt: 'Traga os resultados mais recentes e a lista dos medicamentos que toma.',
          de: 'Bringen Sie Ihre neuesten Befunde und die Liste Ihrer Medikamente mit.',
        },
        durationMinutes: 15,
      },
      {
        code: 'video-consultation',
        name: {
          en: 'Video consultation',
          fr: 'Téléconsultation',
          it: 'Televisita',
          es: 'Videoconsulta',
          pt: 'Teleconsulta',
          de: 'Videosprechstunde',
        },
        instructions: {
          en: 'Join from a quiet, well-lit place with your phone or computer, a few minutes early. Have your medicines and any recent results at hand.',
          fr: "Connectez-vous depuis un endroit calme et bien éclairé, avec votre téléphone ou votre ordinateur, quelques minutes à l'avance. Gardez vos médicaments et vos derniers résultats à portée de main.",
          it: 'Si colleghi da un luogo tranquillo e ben illuminato con il telefono o il computer, qualche minuto prima. Tenga a portata di mano i farmaci e gli ultimi risultati.',
          es: 'Conéctese desde un lugar tranquilo y bien iluminado con su teléfono u ordenador, unos minutos antes. Tenga a mano sus medicamentos y sus últimos resultados.',
          pt: 'Entre a partir de um local calmo e bem iluminado, com o telemóvel ou o computador, alguns minutos antes. Tenha à mão os seus medicamentos e os resultados recentes.',
          de: 'Wählen Sie sich einige Minuten vorher von einem ruhigen, hellen Ort mit Telefon oder Computer ein. Halten Sie Ihre Medikamente und neuere Befunde bereit.',
        },
        durationMinutes: 15,
        mode: 'video',
        keywords: [
          'video', 'video call', 'online', 'teleconsultation', 'telehealth', 'remote consultation', 'video visit',
          'téléconsultation', 'teleconsultation', 'consultation vidéo', 'visio', 'en ligne', 'à distance',
          'televisita', 'videochiamata', 'visita online', 'video visita', 'a distanza',
          'videoconsulta', 'videollamada', 'consulta online', 'teleconsulta', 'a distancia',
          'teleconsulta', 'videochamada', 'consulta online', 'consulta por vídeo', 'à distância',
          'videosprechstunde', 'video-sprechstunde', 'videotermin', 'online-sprechstunde', 'telemedizin',
        ],
      },
    ],
    faq: DEMO_FAQ,
  };
}
