// The demo clinic's FAQ in its six languages. Answers are what a Paris clinic's reception would say; they
// must agree with the hours in demo-clinic-data.ts (Mon–Fri 8:00–12:30 and 13:30–18:00, Sat 9:00–12:00,
// blood tests Mon–Fri 8:00–10:30 and Sat 9:00–11:00, dermatology Tue and Thu) and with the address,
// phone number and emergency number seeded there. Each answer fits one WhatsApp message.
import { FAQ_INTENTS, type FaqIntent } from './schemas.js';

const LANGUAGES = ['en', 'fr', 'it', 'es', 'pt', 'de'] as const;
type Language = (typeof LANGUAGES)[number];
type Entry = { question: string; answer: string[] };

const FAQ: Record<FaqIntent, Record<Language, Entry>> = {
  opening_hours: {
    en: {
      question: 'What are your opening hours?',
      answer: [
        'Centre Médical Saint-Martin is open:',
        'Monday to Friday: 8:00–12:30 and 13:30–18:00',
        'Saturday: 9:00–12:00',
        'Closed on Sundays and public holidays. All times are Paris time.',
        '',
        'Blood tests (by appointment): Monday to Friday 8:00–10:30, Saturday 9:00–11:00.',
        'Dermatology: Tuesdays and Thursdays.',
        '',
        'When we are closed and it is a medical emergency, call 112.',
      ],
    },
    fr: {
      question: "Quels sont vos horaires d'ouverture ?",
      answer: [
        'Le Centre Médical Saint-Martin est ouvert :',
        'du lundi au vendredi : 8h00–12h30 et 13h30–18h00',
        'le samedi : 9h00–12h00',
        'Fermé le dimanche et les jours fériés.',
        '',
        'Prises de sang (sur rendez-vous) : du lundi au vendredi 8h00–10h30, le samedi 9h00–11h00.',
        'Dermatologie : le mardi et le jeudi.',
        '',
        "En dehors de ces horaires, en cas d'urgence médicale, appelez le 112.",
      ],
    },
    it: {
      question: 'Quali sono gli orari di apertura?',
      answer: [
        'Il Centre Médical Saint-Martin è aperto:',
        'dal lunedì al venerdì: 8:00–12:30 e 13:30–18:00',
        'il sabato: 9:00–12:00',
        "Chiuso la domenica e nei giorni festivi. Gli orari sono riferiti all'ora di Parigi.",
        '',
        'Prelievi di sangue (su appuntamento): dal lunedì al venerdì 8:00–10:30, il sabato 9:00–11:00.',
        'Dermatologia: il martedì e il giovedì.',
        '',
        'Fuori orario, in caso di emergenza medica, chiami il 112.',
      ],
    },
    es: {
      question: '¿Cuál es su horario?',
      answer: [
        'El Centre Médical Saint-Martin abre:',
        'de lunes a viernes: 8:00–12:30 y 13:30–18:00',
        'sábados: 9:00–12:00',
        'Cerrado los domingos y festivos. Los horarios son en hora de París.',
        '',
        'Extracciones de sangre (con cita): de lunes a viernes 8:00–10:30, sábados 9:00–11:00.',
        'Dermatología: martes y jueves.',
        '',
        'Fuera de este horario, ante una urgencia médica, llame al 112.',
      ],
    },
    pt: {
      question: 'Qual é o horário de funcionamento?',
      answer: [
        'O Centre Médical Saint-Martin está aberto:',
        'de segunda a sexta-feira: 8h00–12h30 e 13h30–18h00',
        'ao sábado: 9h00–12h00',
        'Encerrado aos domingos e feriados. Os horários são na hora de Paris.',
        '',
        'Colheitas de sangue (com marcação): de segunda a sexta-feira 8h00–10h30, ao sábado 9h00–11h00.',
        'Dermatologia: às terças e quintas-feiras.',
        '',
        'Fora deste horário, em caso de emergência médica, ligue 112.',
      ],
    },
    de: {
      question: 'Wann haben Sie geöffnet?',
      answer: [
        'Das Centre Médical Saint-Martin ist geöffnet:',
        'Montag bis Freitag: 8:00–12:30 und 13:30–18:00 Uhr',
        'Samstag: 9:00–12:00 Uhr',
        'Sonntags und an Feiertagen geschlossen. Alle Zeiten in Pariser Ortszeit.',
        '',
        'Blutabnahmen (mit Termin): Montag bis Freitag 8:00–10:30 Uhr, Samstag 9:00–11:00 Uhr.',
        'Dermatologie: dienstags und donnerstags.',
        '',
        'Außerhalb der Öffnungszeiten wählen Sie bei einem medizinischen Notfall die 112.',
      ],
    },
  },

  location: {
    en: {
      question: 'Where is the clinic and how do I get there?',
      answer: [
        'Centre Médical Saint-Martin',
        '42 rue du Faubourg Saint-Martin, 75010 Paris (reception on the ground floor).',
        "Metro: Château d'Eau (line 4) or Strasbourg – Saint-Denis (lines 4, 8 and 9), 3 minutes' walk; Gare de l'Est (lines 4, 5 and 7, and mainline trains) is 6 minutes away.",
        "We have no car park of our own; the nearest public car parks are around Gare de l'Est.",
        'Phone: +33 1 99 00 42 42',
      ],
    },
    fr: {
      question: 'Où se trouve le centre et comment y aller ?',
      answer: [
        'Centre Médical Saint-Martin',
        "42 rue du Faubourg Saint-Martin, 75010 Paris (accueil au rez-de-chaussée).",
        "Métro : Château d'Eau (ligne 4) ou Strasbourg – Saint-Denis (lignes 4, 8 et 9), à 3 minutes à pied ; Gare de l'Est (lignes 4, 5 et 7, et trains grandes lignes) à 6 minutes.",
        "Pas de parking sur place ; les parkings publics les plus proches sont autour de la gare de l'Est.",
        'Téléphone : 01 99 00 42 42',
      ],
    },
    it: {
      question: 'Dove si trova la clinica e come ci si arriva?',
      answer: [
        'Centre Médical Saint-Martin',
        '42 rue du Faubourg Saint-Martin, 75010 Parigi (accoglienza al piano terra).',
        "Metro: Château d'Eau (linea 4) o Strasbourg – Saint-Denis (linee 4, 8 e 9), a 3 minuti a piedi; Gare de l'Est (linee 4, 5 e 7, e treni a lunga percorrenza) a 6 minuti.",
        "Non disponiamo di un parcheggio; i parcheggi pubblici più vicini sono intorno alla Gare de l'Est.",
        'Telefono: +33 1 99 00 42 42',
      ],
    },
    es: {
      question: '¿Dónde está la clínica y cómo llego?',
      answer: [
        'Centre Médical Saint-Martin',
        '42 rue du Faubourg Saint-Martin, 75010 París (recepción en la planta baja).',
        "Metro: Château d'Eau (línea 4) o Strasbourg – Saint-Denis (líneas 4, 8 y 9), a 3 minutos a pie; Gare de l'Est (líneas 4, 5 y 7, y trenes de larga distancia) a 6 minutos.",
        "No tenemos aparcamiento propio; los aparcamientos públicos más cercanos están alrededor de la Gare de l'Est.",
        'Teléfono: +33 1 99 00 42 42',
      ],
    },
    pt: {
      question: 'Onde fica a clínica e como lá chego?',
      answer: [
        'Centre Médical Saint-Martin',
        '42 rue du Faubourg Saint-Martin, 75010 Paris (receção no rés-do-chão).',
        "Metro: Château d'Eau (linha 4) ou Strasbourg – Saint-Denis (linhas 4, 8 e 9), a 3 minutos a pé; Gare de l'Est (linhas 4, 5 e 7, e comboios de longo curso) a 6 minutos.",
        "Não temos estacionamento próprio; os parques públicos mais próximos ficam junto à Gare de l'Est.",
        'Telefone: +33 1 99 00 42 42',
      ],
    },
    de: {
      question: 'Wo ist die Praxis und wie komme ich hin?',
      answer: [
        'Centre Médical Saint-Martin',
        '42 rue du Faubourg Saint-Martin, 75010 Paris (Empfang im Erdgeschoss).',
        "Metro: Château d'Eau (Linie 4) oder Strasbourg – Saint-Denis (Linien 4, 8 und 9), 3 Minuten zu Fuß; Gare de l'Est (Linien 4, 5 und 7 sowie Fernzüge) 6 Minuten.",
        "Wir haben keine eigenen Parkplätze; die nächsten öffentlichen Parkhäuser liegen rund um die Gare de l'Est.",
        'Telefon: +33 1 99 00 42 42',
      ],
    },
  },

  insurance: {
    en: {
      question: 'Which health insurance do you accept?',
      answer: [
        'Our doctors are contracted with the French national health insurance (Assurance Maladie, sector 1): we charge the official rates, with no extra fees.',
        '• Carte Vitale: bring it to every appointment; your claim is sent electronically.',
        '• Top-up insurance (mutuelle): we offer direct billing (tiers payant) with most mutuelles; bring your card.',
        '• Visitors from the EU, EEA or Switzerland: bring your European Health Insurance Card (EHIC). You pay at the visit and we give you a care form (feuille de soins) to claim your refund.',
        '• Other international insurance: you pay at the visit and we give you a detailed invoice for your insurer.',
        'For dermatology, you are reimbursed at the full rate when your regular doctor (médecin traitant) refers you.',
      ],
    },
    fr: {
      question: 'Quelles assurances acceptez-vous ?',
      answer: [
        "Nos médecins sont conventionnés secteur 1 : nous appliquons les tarifs de l'Assurance Maladie, sans dépassement d'honoraires.",
        '• Carte Vitale : apportez-la à chaque rendez-vous ; la feuille de soins est transmise électroniquement.',
        '• Mutuelle : nous pratiquons le tiers payant avec la plupart des complémentaires santé ; apportez votre carte.',
        "• Patients de l'UE, de l'EEE ou de Suisse : présentez votre carte européenne d'assurance maladie (CEAM). Vous réglez la consultation et nous vous remettons une feuille de soins pour vous faire rembourser.",
        '• Autres assurances étrangères : vous réglez sur place et nous vous remettons une facture détaillée pour votre assureur.',
        'En dermatologie, vous êtes remboursé au taux plein si votre médecin traitant vous a orienté (parcours de soins coordonnés).',
      ],
    },
    it: {
      question: 'Quali assicurazioni sanitarie accettate?',
      answer: [
        "I nostri medici sono convenzionati con il servizio sanitario nazionale francese (Assurance Maladie, settore 1): applichiamo le tariffe ufficiali, senza supplementi.",
        '• Carte Vitale: la porti a ogni appuntamento; la richiesta di rimborso viene trasmessa elettronicamente.',
        '• Assicurazione integrativa (mutuelle): con la maggior parte delle mutuelle pratichiamo il pagamento diretto (tiers payant); porti la sua tessera.',
        '• Cittadini di UE, SEE o Svizzera: porti la Tessera europea di assicurazione malattia (TEAM). Paga la visita e le consegniamo un modulo (feuille de soins) per chiedere il rimborso.',
        '• Altre assicurazioni estere: paga sul posto e le consegniamo una fattura dettagliata per la sua assicurazione.',
        'Per la dermatologia il rimborso è pieno se è il suo medico curante (médecin traitant) a indirizzarla.',
      ],
    },
    es: {
      question: '¿Qué seguros médicos aceptan?',
      answer: [
        'Nuestros médicos están concertados con el seguro público de salud francés (Assurance Maladie, sector 1): aplicamos las tarifas oficiales, sin recargos.',
        '• Carte Vitale: tráigala a cada cita; la solicitud de reembolso se envía electrónicamente.',
        '• Seguro complementario (mutuelle): con la mayoría de las mutuas aplicamos el pago directo (tiers payant); traiga su tarjeta.',
        '• Visitantes de la UE, el EEE o Suiza: traiga su Tarjeta Sanitaria Europea (TSE). Paga la consulta y le entregamos un formulario (feuille de soins) para solicitar el reembolso.',
        '• Otros seguros internacionales: paga en la consulta y le entregamos una factura detallada para su aseguradora.',
        'En dermatología, el reembolso es completo si le deriva su médico de cabecera (médecin traitant).',
      ],
    },
    pt: {
      question: 'Que seguros de saúde aceitam?',
      answer: [
        'Os nossos médicos têm convenção com o seguro público de saúde francês (Assurance Maladie, setor 1): aplicamos as tarifas oficiais, sem sobretaxas.',
        '• Carte Vitale: traga-a a todas as consultas; o pedido de reembolso é enviado eletronicamente.',
        '• Seguro complementar (mutuelle): com a maioria das mutuelles praticamos o pagamento direto (tiers payant); traga o seu cartão.',
        '• Visitantes da UE, do EEE ou da Suíça: traga o Cartão Europeu de Seguro de Doença (CESD). Paga a consulta e entregamos-lhe um formulário (feuille de soins) para pedir o reembolso.',
        '• Outros seguros internacionais: paga no local e entregamos-lhe uma fatura detalhada para a sua seguradora.',
        'Em dermatologia, o reembolso é total se for encaminhado pelo seu médico assistente (médecin traitant).',
      ],
    },
    de: {
      question: 'Welche Krankenversicherungen akzeptieren Sie?',
      answer: [
        'Unsere Ärztinnen und Ärzte sind Vertragsärzte der französischen gesetzlichen Krankenversicherung (Assurance Maladie, Sektor 1): Es gelten die offiziellen Tarife ohne Aufschläge.',
        '• Carte Vitale: Bitte zu jedem Termin mitbringen; die Abrechnung erfolgt elektronisch.',
        '• Zusatzversicherung (mutuelle): Mit den meisten mutuelles rechnen wir direkt ab (tiers payant); bitte bringen Sie Ihre Karte mit.',
        '• Gäste aus der EU, dem EWR oder der Schweiz: Bringen Sie Ihre Europäische Krankenversicherungskarte (EHIC) mit. Sie bezahlen den Termin und erhalten ein Formular (feuille de soins) für die Erstattung.',
        '• Andere ausländische Versicherungen: Sie bezahlen vor Ort und erhalten eine detaillierte Rechnung für Ihre Versicherung.',
        'In der Dermatologie gilt der volle Erstattungssatz, wenn Ihre Hausärztin oder Ihr Hausarzt (médecin traitant) Sie überweist.',
      ],
    },
  },

  payment: {
    en: {
      question: 'How can I pay?',
      answer: [
        'You pay at reception after your appointment, by card (contactless, Apple Pay and Google Pay accepted) or in cash. We do not accept cheques.',
        'With your Carte Vitale and direct billing (tiers payant), you pay only the part that is not covered, often nothing at all.',
        'Our fees are the official Assurance Maladie rates and are displayed in the waiting room. Reception gives you a receipt or an invoice whenever you ask.',
      ],
    },
    fr: {
      question: 'Comment puis-je payer ?',
      answer: [
        "Le règlement se fait à l'accueil après le rendez-vous, par carte bancaire (sans contact, Apple Pay et Google Pay acceptés) ou en espèces. Nous n'acceptons pas les chèques.",
        'Avec votre carte Vitale et le tiers payant, vous ne payez que la part non remboursée, souvent rien du tout.',
        "Nos tarifs sont ceux de l'Assurance Maladie et sont affichés en salle d'attente. L'accueil vous remet un reçu ou une facture sur simple demande.",
      ],
    },
    it: {
      question: 'Come posso pagare?',
      answer: [
        "Si paga all'accoglienza dopo la visita, con carta (anche contactless, Apple Pay e Google Pay) o in contanti. Non accettiamo assegni.",
        'Con la Carte Vitale e il pagamento diretto (tiers payant) paga solo la parte non coperta, spesso nulla.',
        "Le nostre tariffe sono quelle ufficiali dell'Assurance Maladie e sono esposte in sala d'attesa. All'accoglienza può chiedere in qualsiasi momento una ricevuta o una fattura.",
      ],
    },
    es: {
      question: '¿Cómo puedo pagar?',
      answer: [
        'Se paga en recepción después de la cita, con tarjeta (también sin contacto, Apple Pay y Google Pay) o en efectivo. No aceptamos cheques.',
        'Con la Carte Vitale y el pago directo (tiers payant), solo paga la parte no cubierta, a menudo nada.',
        'Nuestras tarifas son las oficiales de la Assurance Maladie y están expuestas en la sala de espera. En recepción le damos un recibo o una factura cuando lo pida.',
      ],
    },
    pt: {
      question: 'Como posso pagar?',
      answer: [
        'O pagamento é feito na receção após a consulta, com cartão (incluindo contactless, Apple Pay e Google Pay) ou em numerário. Não aceitamos cheques.',
        'Com a Carte Vitale e o pagamento direto (tiers payant), paga apenas a parte não comparticipada, muitas vezes nada.',
        'As nossas tarifas são as oficiais da Assurance Maladie e estão afixadas na sala de espera. Na receção entregamos-lhe um recibo ou uma fatura sempre que pedir.',
      ],
    },
    de: {
      question: 'Wie kann ich bezahlen?',
      answer: [
        'Sie bezahlen nach dem Termin am Empfang, mit Karte (auch kontaktlos, Apple Pay und Google Pay) oder bar. Schecks nehmen wir nicht an.',
        'Mit der Carte Vitale und Direktabrechnung (tiers payant) zahlen Sie nur den nicht erstatteten Anteil, oft gar nichts.',
        'Unsere Preise sind die offiziellen Tarife der Assurance Maladie und hängen im Wartezimmer aus. Eine Quittung oder Rechnung erhalten Sie jederzeit am Empfang.',
      ],
    },
  },

  accessibility: {
    en: {
      question: 'Is the clinic accessible?',
      answer: [
        'Yes. The entrance is step-free with an automatic door, a lift takes you to the consultation rooms on the first floor, and there is an accessible toilet. Reception has a hearing loop, and assistance dogs are welcome.',
        'We consult in English, French, Italian, Spanish, Portuguese and German.',
        'If you need help (a wheelchair on arrival, a longer appointment, someone with you), tell us when you book and we will be ready.',
      ],
    },
    fr: {
      question: 'Le centre est-il accessible aux personnes à mobilité réduite ?',
      answer: [
        "Oui. L'entrée est de plain-pied avec une porte automatique, un ascenseur dessert les cabinets du 1er étage et des toilettes sont adaptées. L'accueil est équipé d'une boucle magnétique et les chiens d'assistance sont les bienvenus.",
        'Nous consultons en français, anglais, italien, espagnol, portugais et allemand.',
        "Si vous avez besoin d'aide (fauteuil roulant à l'arrivée, rendez-vous plus long, accompagnant), dites-le-nous à la prise de rendez-vous.",
      ],
    },
    it: {
      question: 'La clinica è accessibile?',
      answer: [
        "Sì. L'ingresso è senza gradini con porta automatica, un ascensore porta agli ambulatori del primo piano e c'è un bagno accessibile. All'accoglienza c'è un anello a induzione magnetica e i cani d'assistenza sono benvenuti.",
        'Le visite si svolgono in italiano, francese, inglese, spagnolo, portoghese e tedesco.',
        "Se ha bisogno di aiuto (una sedia a rotelle all'arrivo, un appuntamento più lungo, un accompagnatore), ce lo dica al momento della prenotazione.",
      ],
    },
    es: {
      question: '¿La clínica es accesible?',
      answer: [
        'Sí. La entrada no tiene escalones y la puerta es automática, un ascensor lleva a las consultas de la primera planta y hay un aseo adaptado. La recepción cuenta con bucle magnético y se admiten perros de asistencia.',
        'Atendemos en español, francés, inglés, italiano, portugués y alemán.',
        'Si necesita ayuda (una silla de ruedas a la llegada, una cita más larga, un acompañante), díganoslo al pedir la cita.',
      ],
    },
    pt: {
      question: 'A clínica é acessível?',
      answer: [
        'Sim. A entrada não tem degraus e a porta é automática, um elevador dá acesso aos consultórios do 1.º andar e há uma casa de banho adaptada. A receção tem anel de indução magnética e os cães de assistência são bem-vindos.',
        'Atendemos em português, francês, inglês, italiano, espanhol e alemão.',
        'Se precisar de ajuda (uma cadeira de rodas à chegada, uma consulta mais longa, um acompanhante), diga-nos ao fazer a marcação.',
      ],
    },
    de: {
      question: 'Ist die Praxis barrierefrei?',
      answer: [
        'Ja. Der Eingang ist stufenlos mit automatischer Tür, ein Aufzug führt zu den Behandlungsräumen im 1. Stock, und es gibt ein barrierefreies WC. Am Empfang gibt es eine Induktionsschleife, Assistenzhunde sind willkommen.',
        'Wir behandeln auf Deutsch, Französisch, Englisch, Italienisch, Spanisch und Portugiesisch.',
        'Wenn Sie Unterstützung brauchen (einen Rollstuhl bei der Ankunft, einen längeren Termin, eine Begleitperson), sagen Sie es uns bitte bei der Terminbuchung.',
      ],
    },
  },

  what_to_bring: {
    en: {
      question: 'What should I bring to my appointment?',
      answer: [
        'Please bring:',
        '• your Carte Vitale, or your European Health Insurance Card or insurance details, and an ID;',
        '• your mutuelle card, if you have one;',
        '• your prescription or referral letter, if you have one (needed for a blood test);',
        '• the list of medicines you take and your recent results or reports;',
        "• for a child, the child's health record book (carnet de santé).",
        'For a fasting blood test, do not eat for 12 hours before (water is fine). Please arrive 10 minutes early.',
      ],
    },
    fr: {
      question: 'Que dois-je apporter à mon rendez-vous ?',
      answer: [
        "Merci d'apporter :",
        "• votre carte Vitale (ou votre CEAM ou vos informations d'assurance) et une pièce d'identité ;",
        '• votre carte de mutuelle, si vous en avez une ;',
        "• votre ordonnance ou votre courrier d'orientation, si vous en avez un (indispensable pour une prise de sang) ;",
        '• la liste de vos médicaments et vos résultats ou comptes rendus récents ;',
        '• pour un enfant, son carnet de santé.',
        "Pour une prise de sang à jeun, ne mangez pas pendant les 12 heures qui précèdent (l'eau est permise). Merci d'arriver 10 minutes en avance.",
      ],
    },
    it: {
      question: "Cosa devo portare all'appuntamento?",
      answer: [
        'Porti con sé:',
        "• la Carte Vitale, oppure la TEAM o i dati della sua assicurazione, e un documento d'identità;",
        '• la tessera della mutuelle, se ne ha una;',
        '• la prescrizione o la lettera del medico, se ne ha una (necessaria per il prelievo di sangue);',
        "• l'elenco dei farmaci che assume e gli ultimi esami o referti;",
        '• per un bambino, il suo libretto sanitario (carnet de santé).',
        "Per un prelievo a digiuno, non mangi nelle 12 ore precedenti (l'acqua è consentita). La preghiamo di arrivare 10 minuti prima.",
      ],
    },
    es: {
      question: '¿Qué debo llevar a la cita?',
      answer: [
        'Traiga, por favor:',
        '• su Carte Vitale, o su Tarjeta Sanitaria Europea o los datos de su seguro, y un documento de identidad;',
        '• la tarjeta de su mutua, si la tiene;',
        '• su receta o carta de derivación, si la tiene (necesaria para una extracción de sangre);',
        '• la lista de sus medicamentos y sus resultados o informes recientes;',
        '• para un niño, su cartilla de salud (carnet de santé).',
        'Para una extracción en ayunas, no coma en las 12 horas anteriores (puede beber agua). Le rogamos que llegue 10 minutos antes.',
      ],
    },
    pt: {
      question: 'O que devo levar para a consulta?',
      answer: [
        'Traga, por favor:',
        '• a Carte Vitale, ou o Cartão Europeu de Seguro de Doença ou os dados do seu seguro, e um documento de identificação;',
        '• o cartão da mutuelle, se tiver;',
        '• a prescrição ou a carta de encaminhamento, se tiver (necessária para a colheita de sangue);',
        '• a lista dos medicamentos que toma e os resultados ou relatórios recentes;',
        '• para uma criança, o boletim de saúde (carnet de santé).',
        'Para uma colheita em jejum, não coma nas 12 horas anteriores (pode beber água). Chegue 10 minutos antes, por favor.',
      ],
    },
    de: {
      question: 'Was soll ich zum Termin mitbringen?',
      answer: [
        'Bitte bringen Sie mit:',
        '• Ihre Carte Vitale oder Ihre Europäische Krankenversicherungskarte bzw. Ihre Versicherungsdaten sowie einen Ausweis;',
        '• Ihre Karte der Zusatzversicherung (mutuelle), falls vorhanden;',
        '• Ihr Rezept oder Ihre Überweisung, falls vorhanden (für eine Blutabnahme erforderlich);',
        '• die Liste Ihrer Medikamente und aktuelle Befunde oder Berichte;',
        '• für ein Kind sein Gesundheitsheft (carnet de santé).',
        'Für eine Blutabnahme nüchtern essen Sie 12 Stunden vorher nichts (Wasser ist erlaubt). Bitte kommen Sie 10 Minuten vor Ihrem Termin.',
      ],
    },
  },

  cancellation_policy: {
    en: {
      question: 'How do I cancel or change my appointment?',
      answer: [
        'You can cancel or move your appointment free of charge right here on WhatsApp, or by calling +33 1 99 00 42 42. Please do so at least 24 hours before, so that another patient can have the slot.',
        'If you arrive more than 10 minutes late, we may have to give you a new appointment.',
        'If your symptoms get worse before your appointment, do not wait: in an emergency, call 112.',
      ],
    },
    fr: {
      question: 'Comment annuler ou déplacer mon rendez-vous ?',
      answer: [
        "Vous pouvez annuler ou déplacer votre rendez-vous gratuitement ici sur WhatsApp, ou en appelant le 01 99 00 42 42, au moins 24 heures à l'avance, pour que le créneau profite à un autre patient.",
        "Au-delà de 10 minutes de retard, nous pourrons être amenés à vous proposer un autre rendez-vous.",
        "Si vos symptômes s'aggravent avant le rendez-vous, n'attendez pas : en cas d'urgence, appelez le 112.",
      ],
    },
    it: {
      question: "Come posso annullare o spostare l'appuntamento?",
      answer: [
        "Può annullare o spostare l'appuntamento gratuitamente qui su WhatsApp, oppure chiamando il +33 1 99 00 42 42, almeno 24 ore prima, così che l'orario possa andare a un altro paziente.",
        'Con più di 10 minuti di ritardo potremmo doverle fissare un nuovo appuntamento.',
        "Se i sintomi peggiorano prima dell'appuntamento, non aspetti: in caso di emergenza chiami il 112.",
      ],
    },
    es: {
      question: '¿Cómo cancelo o cambio mi cita?',
      answer: [
        'Puede cancelar o cambiar su cita sin coste aquí mismo por WhatsApp, o llamando al +33 1 99 00 42 42, con al menos 24 horas de antelación, para que otro paciente pueda aprovechar la hora.',
        'Si llega con más de 10 minutos de retraso, puede que tengamos que darle una nueva cita.',
        'Si sus síntomas empeoran antes de la cita, no espere: ante una urgencia, llame al 112.',
      ],
    },
    pt: {
      question: 'Como cancelo ou altero a minha consulta?',
      answer: [
        'Pode cancelar ou alterar a consulta sem custos aqui mesmo no WhatsApp, ou pelo telefone +33 1 99 00 42 42, com pelo menos 24 horas de antecedência, para que outro doente possa ficar com a vaga.',
        'Se chegar com mais de 10 minutos de atraso, poderemos ter de marcar uma nova consulta.',
        'Se os sintomas piorarem antes da consulta, não espere: em caso de emergência, ligue 112.',
      ],
    },
    de: {
      question: 'Wie kann ich meinen Termin absagen oder verschieben?',
      answer: [
        'Sie können Ihren Termin kostenlos hier über WhatsApp oder telefonisch unter +33 1 99 00 42 42 absagen oder verschieben, bitte mindestens 24 Stunden vorher, damit ein anderer Patient den Termin bekommen kann.',
        'Bei mehr als 10 Minuten Verspätung müssen wir Ihnen eventuell einen neuen Termin geben.',
        'Wenn sich Ihre Beschwerden vor dem Termin verschlimmern, warten Sie nicht: Im Notfall wählen Sie die 112.',
      ],
    },
  },
};

// How patients really ask (src/faq matches on meaning against the question and these): chat style, typos,
// missing accents, one or two words. Kept apart from src/faq/dev/*.yaml, the set the matcher is measured on.
const VARIANTS: Record<FaqIntent, Record<Language, string[]>> = {
  opening_hours: {
    en: ['when are you open', 'opening times?', 'what time do you open tomorrow', 'what time do u close', 'are you open on saturday', 'open sunday?', 'hours pls', 'is the clinic open today'],
    fr: ['vous etes ouverts quand', 'horaires svp', 'a quelle heure vous ouvrez', 'vous fermez a quelle heure', 'ouvert le samedi ?', 'c ouvert dimanche', 'heures d ouverture', 'le cabinet est ouvert aujourdhui ?'],
    it: ['quando siete aperti', 'orari?', 'a che ora aprite domani', 'a che ora chiudete', 'siete aperti il sabato', 'aperto domenica?', 'orario di apertura', 'oggi siete aperti'],
    es: ['cuando abren', 'horarios?', 'a que hora abren mañana', 'a q hora cierran', 'abren los sabados', 'abierto el domingo?', 'horario de apertura', 'estan abiertos hoy'],
    pt: ['quando estao abertos', 'horarios?', 'a que horas abrem amanha', 'a que horas fecham', 'abrem ao sabado', 'aberto domingo?', 'horario de abertura', 'hoje estao abertos'],
    de: ['wann habt ihr offen', 'öffnungszeiten?', 'oeffnungszeiten bitte', 'um wieviel uhr macht ihr auf', 'wann macht ihr morgen früh auf', 'seid ihr am montag geöffnet', 'wann schließen sie', 'habt ihr samstag offen', 'sonntags geöffnet?', 'ist die praxis heute offen'],
  },
  location: {
    en: ['where are you', 'whats the address', 'address pls', 'how do i get to the clinic', 'which metro station', 'is there parking', 'where is the practice located', 'directions'],
    fr: ['vous etes ou', 'c quoi l adresse', 'adresse svp', 'comment venir au centre', 'quel metro', 'il y a un parking ?', 'ou est situe le cabinet', 'itineraire'],
    it: ['dove siete', 'qual è l indirizzo', 'indirizzo per favore', 'come arrivo alla clinica', 'quale fermata della metro', 'c è parcheggio', 'dove si trova lo studio', 'indicazioni stradali'],
    es: ['donde estan', 'cual es la direccion', 'direccion porfa', 'como llego a la clinica', 'que estacion de metro', 'hay parking', 'donde queda el consultorio', 'como llegar'],
    pt: ['onde ficam', 'qual é a morada', 'endereço por favor', 'como chego a clinica', 'qual estacao de metro', 'tem estacionamento', 'onde fica o consultorio', 'como chegar'],
    de: ['wo seid ihr', 'wie ist die adresse', 'adresse bitte', 'wie komme ich zur praxis', 'welche metro station', 'gibt es parkplätze', 'wo befindet sich die praxis', 'anfahrt'],
  },
  insurance: {
    en: ['do you take my insurance', 'do you accept carte vitale', 'is it covered by health insurance', 'i have an ehic card', 'do u accept mutuelle', 'will insurance reimburse me', 'i have travel insurance', 'are you sector 1'],
    fr: ['vous prenez la carte vitale', 'c rembourse par la secu ?', 'vous acceptez ma mutuelle', 'tiers payant ?', 'je suis pas assure en france', 'depassement d honoraires ?', 'vous etes conventionnes', 'j ai la ceam'],
    it: ['accettate la mia assicurazione', 'la visita è rimborsata', 'ho la tessera sanitaria europea', 'accettate la carte vitale', 'siete convenzionati', 'ho un assicurazione di viaggio', 'posso avere il rimborso', 'accettate la mutua'],
    es: ['aceptan mi seguro', 'la consulta la cubre el seguro', 'tengo la tarjeta sanitaria europea', 'aceptan carte vitale', 'trabajan con mutuas', 'tengo seguro de viaje', 'me lo reembolsan', 'estan concertados'],
    pt: ['aceitam o meu seguro', 'a consulta é comparticipada', 'tenho o cartao europeu de seguro de doença', 'aceitam carte vitale', 'trabalham com mutuelle', 'tenho seguro de viagem', 'vou ser reembolsado', 'tem convenção'],
    de: ['nehmt ihr meine versicherung', 'zahlt die krankenkasse das', 'ich habe die ehic karte', 'akzeptieren sie carte vitale', 'ich bin privat versichert', 'reiseversicherung', 'bekomme ich das erstattet', 'kassenpatient ok?'],
  },
  payment: {
    en: ['can i pay by card', 'do you take cash', 'how much is a consultation', 'price of a visit', 'do you accept apple pay', 'can i pay by cheque', 'how much does it cost', 'do i pay before or after'],
    fr: ['je peux payer par carte', 'vous prenez les especes', 'combien coute une consultation', 'c combien', 'paiement sans contact ?', 'vous acceptez les cheques', 'tarif de la consultation', 'on paye avant ou apres'],
    it: ['posso pagare con carta', 'accettate contanti', 'quanto costa una visita', 'quanto si paga', 'accettate apple pay', 'posso pagare con assegno', 'prezzo della visita', 'si paga prima o dopo'],
    es: ['puedo pagar con tarjeta', 'aceptan efectivo', 'cuanto cuesta la consulta', 'cuanto es', 'aceptan apple pay', 'puedo pagar con cheque', 'precio de la consulta', 'se paga antes o despues'],
    pt: ['posso pagar com cartao', 'aceitam dinheiro', 'quanto custa a consulta', 'quanto é', 'aceitam apple pay', 'posso pagar com cheque', 'preço da consulta', 'pago antes ou depois'],
    de: ['kann ich mit karte zahlen', 'nehmt ihr bargeld', 'was kostet ein termin', 'wie viel kostet das', 'geht apple pay', 'kann ich mit scheck bezahlen', 'preis der behandlung', 'zahlt man vorher oder nachher'],
  },
  accessibility: {
    en: ['is there wheelchair access', 'do you have a lift', 'i use a wheelchair', 'accessible for disabled people', 'are there stairs', 'can i bring my guide dog', 'disabled toilet?', 'hearing loop'],
    fr: ['acces fauteuil roulant ?', 'il y a un ascenseur', 'je suis en fauteuil', 'accessible aux handicapes', 'y a des marches', 'je peux venir avec mon chien guide', 'toilettes pmr', 'boucle magnetique'],
    it: ['accesso per sedia a rotelle', 'c è l ascensore', 'sono in carrozzina', 'accessibile ai disabili', 'ci sono scale', 'posso portare il cane guida', 'bagno per disabili', 'anello magnetico'],
    es: ['acceso para silla de ruedas', 'hay ascensor', 'voy en silla de ruedas', 'es accesible para discapacitados', 'hay escaleras', 'puedo ir con mi perro guia', 'baño adaptado', 'bucle magnetico'],
    pt: ['acesso para cadeira de rodas', 'tem elevador', 'ando de cadeira de rodas', 'acessivel a deficientes', 'tem escadas', 'posso levar o cao guia', 'casa de banho adaptada', 'anel magnetico'],
    de: ['rollstuhlgerecht?', 'gibt es einen aufzug', 'ich sitze im rollstuhl', 'barrierefrei', 'gibt es treppen', 'darf mein blindenhund mit', 'behindertentoilette', 'induktionsschleife'],
  },
  what_to_bring: {
    en: ['what do i need to bring', 'do i need id', 'documents for the appointment', 'should i bring my prescription', 'do i need to fast for the blood test', 'what to bring for my kid', 'bring carte vitale?', 'what papers do i need'],
    fr: ['je dois apporter quoi', 'il faut une piece d identite', 'documents pour le rdv', 'je dois ramener l ordonnance', 'faut etre a jeun pour la prise de sang', 'quoi apporter pour mon enfant', 'faut la carte vitale ?', 'quels papiers'],
    it: ['cosa devo portare', 'serve un documento', 'documenti per l appuntamento', 'devo portare la ricetta', 'devo essere a digiuno per il prelievo', 'cosa portare per mio figlio', 'serve la tessera', 'che documenti servono'],
    es: ['que tengo que llevar', 'hace falta el dni', 'documentos para la cita', 'tengo que llevar la receta', 'hay que ir en ayunas al analisis', 'que llevo para mi hijo', 'llevo la tarjeta', 'que papeles necesito'],
    pt: ['o que tenho de levar', 'preciso de documento de identificação', 'documentos para a consulta', 'tenho de levar a receita', 'tenho de ir em jejum para as analises', 'o que levar para o meu filho', 'levo o cartao', 'que papeis preciso'],
    de: ['was muss ich mitbringen', 'brauche ich einen ausweis', 'unterlagen für den termin', 'soll ich das rezept mitnehmen', 'muss ich nüchtern zur blutabnahme', 'was für mein kind mitbringen', 'versichertenkarte mitbringen?', 'welche papiere brauche ich'],
  },
  cancellation_policy: {
    en: ['can i cancel', 'how do i move my appointment', 'is there a cancellation fee', 'what if im late', 'need to change my appointment', 'cancel rdv', 'what is your cancellation policy', 'how late can i cancel'],
    fr: ['je peux annuler', 'comment decaler mon rdv', 'annulation payante ?', 'et si je suis en retard', 'je dois changer mon rendez vous', 'annuler rdv', 'politique d annulation', 'jusqu a quand je peux annuler'],
    it: ['posso annullare', 'come sposto l appuntamento', 'c è una penale per la disdetta', 'e se arrivo in ritardo', 'devo cambiare l appuntamento', 'disdire visita', 'regole di cancellazione', 'entro quando posso disdire'],
    es: ['puedo cancelar', 'como cambio la cita', 'cancelar tiene coste', 'y si llego tarde', 'tengo que cambiar mi cita', 'anular cita', 'politica de cancelacion', 'hasta cuando puedo cancelar'],
    pt: ['posso cancelar', 'como mudo a consulta', 'cancelar tem custo', 'e se eu chegar atrasado', 'preciso de alterar a consulta', 'desmarcar consulta', 'politica de cancelamento', 'ate quando posso desmarcar'],
    de: ['kann ich absagen', 'wie verschiebe ich meinen termin', 'kostet eine absage was', 'was wenn ich zu spät komme', 'ich muss meinen termin ändern', 'termin stornieren', 'stornierungsbedingungen', 'bis wann kann ich absagen'],
  },
};

/** Every intent in every language, flattened for seeding. */
export const DEMO_FAQ: { intent: FaqIntent; language: Language; question: string; answer: string; variants: string[] }[] = FAQ_INTENTS.flatMap((intent) =>
  LANGUAGES.map((language) => {
    const e = FAQ[intent][language];
    return { intent, language, question: e.question, answer: e.answer.join('\n'), variants: VARIANTS[intent][language] };
  }),
);
